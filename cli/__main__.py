"""`python -m cli`, or `python TREE/cli`: how the benchmarks start another commit's
simulator (benchmarks/harness.py tree_sim_command)."""

import sys
from pathlib import Path

if not __package__:  # run as a directory: that tree's cli, not the installed one, must load
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from cli import main  # after the path is set

main()
