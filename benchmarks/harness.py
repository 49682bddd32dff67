"""What every benchmark needs: start the simulator and helper servers as their own
processes, drive them with wrk or an asyncio client process, read a process's CPU time,
and write a markdown table between markers in docs/performance.md."""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIM = str(Path(sys.executable).parent / "sim")
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
CALLS_PER_BFF_REQUEST = 13  # product list + 10 inventory calls + favorites + cart
# The last main before issue #13: the BFF on aiohttp's ClientSession, the services aiohttp
# apps reading SQLite on every request. Benchmarks run it side by side with this tree.
OLD_REF = "48fc2fe"
# wrk counts every answer; this counts the complete ones: a 200 with no null in it and,
# where the BFF says so, nothing degraded (a saturated BFF answers fast with fallbacks).
WRK_COMPLETE = ROOT / "benchmarks" / "complete.lua"


def start_sim(ready: Path, bff: bool = True, timeout: float = 30,
              command: tuple[str, ...] = (SIM,)) -> subprocess.Popen[str]:
    """`sim serve` on free ports; returns once it wrote its ready file. `command` runs
    another build of it (e.g. old_sim_command(): an earlier commit's simulator)."""
    ready.unlink(missing_ok=True)  # a file left by an earlier process is not a sign of life
    args = [*command, "serve", "--ready-file", str(ready)] + ([] if bff else ["--no-bff"])
    for name in ("products", "inventory", "favorites", "cart", "admin", "bff"):
        args += [f"--{name}-port", "0"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + timeout
    while not ready.exists() or not ready.read_text():
        if process.poll() is not None:
            raise RuntimeError(f"sim serve exited with {process.returncode}")
        if time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"sim serve was not ready after {timeout:g} s")
        time.sleep(0.01)
    return process


def sim_urls(ready: Path) -> dict[str, str]:
    urls: dict[str, str] = json.loads(ready.read_text())["urls"]
    return urls


def extract_ref(ref: str, into: Path) -> Path:
    """That commit's code (`git archive`) in `into`, to run with this environment's
    packages: tree_sim_command(INTO) or start_script(..., root=INTO). Its own modules come
    first on sys.path (PYTHONPATH / the script's directory), ahead of this tree's."""
    # The command line was cli.py, then cli.py + sim_cli/, now the cli/ package: take
    # whichever of them that commit has.
    wanted = ["cli.py", "cli", "sim_cli", "sim", "bff", "scenarios", "reports", "benchmarks"]
    paths = subprocess.run(["git", "ls-tree", "--name-only", ref, *wanted], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    archive = subprocess.run(["git", "archive", ref, *paths], cwd=ROOT, check=True,
                             capture_output=True).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def tree_sim_command(root: Path) -> tuple[str, ...]:
    """`sim` from an extracted tree: `python ROOT/cli.py` for a commit from before cli/ was
    a package, `python ROOT/cli` (its __main__.py) after."""
    script = root / "cli.py"
    return (sys.executable, str(script if script.exists() else root / "cli"))


def old_sim_command(ref: str, into: Path) -> tuple[str, ...]:
    """That commit's simulator, run with this environment's packages."""
    return tree_sim_command(extract_ref(ref, into))


def start_script(script: str, *args: str, root: Path = ROOT) -> tuple[subprocess.Popen[str],
                                                                      int]:
    """A benchmarks/ server on port 0 (from `root`: another commit's tree, see
    extract_ref); it prints the port it bound."""
    process = subprocess.Popen([sys.executable, str(root / "benchmarks" / script), "0", *args],
                               stdout=subprocess.PIPE, text=True, cwd=root,
                               env={**os.environ, "PYTHONPATH": str(root)})
    assert process.stdout is not None
    return process, int(process.stdout.readline())


def stop(*processes: subprocess.Popen[str]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, seconds: float, connections: int,
        complete: bool = False) -> dict[str, float]:
    """wrk -t1; `complete`: also count complete answers (WRK_COMPLETE) as complete_rps."""
    script = ["-s", str(WRK_COMPLETE)] if complete else []
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency",
                          *script, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    result = {"rps": rps, "requests": float(total)}
    if complete:
        counted = re.search(r"^complete (\d+)", out, re.MULTILINE)
        result["complete_share"] = int(counted.group(1)) / max(total, 1) if counted else 0.0
        result["complete_rps"] = rps * result["complete_share"]
    for pct in ("50", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if match:
            scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[match.group(2)]
            result[f"p{pct}_ms"] = float(match.group(1)) * scale
    return result


def wrk_with_cpu(url: str, seconds: float, connections: int, pid: int,
                 complete: bool = False) -> dict[str, float]:
    """wrk against a server, plus the server process's CPU seconds per request."""
    before = cpu_seconds(pid)
    result = wrk(url, seconds, connections, complete)
    result["cpu_per_request_us"] = (cpu_seconds(pid) - before) / result["requests"] * 1e6
    result["cpu_share"] = (cpu_seconds(pid) - before) / seconds
    return result


def run_client(script: str, *args: str) -> dict[str, Any]:
    """A benchmarks/ client in its own process; it prints one JSON object."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args],
                         capture_output=True, text=True, check=True, cwd=ROOT, env=ENV)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def put_fault(admin: str, service: str, faults: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(f"{admin}/faults/{service}", method="PUT",
                                     data=json.dumps(faults).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def ok(passed: bool) -> str:
    return "met" if passed else "MISSED"


def publish(section: str, rows: list[tuple[str, ...]], details: str, write: bool,
            headers: tuple[str, ...] = ("measure", "value", "notes")) -> None:
    """Print the table; with --write, replace its section in docs/performance.md."""
    text = markdown_table(headers, rows, machine(details))
    print(text)
    if write:
        write_section(ROOT / "docs" / "performance.md", section, text)


def machine(details: str) -> str:
    # The load average as the table is written: 1 minute, and 5 minutes (about the run).
    one, five, _ = os.getloadavg()
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"load average {one:.1f} / {five:.1f} (1 / 5 min) at the end, {details}")


def markdown_table(headers: tuple[str, ...], rows: list[tuple[str, ...]], machine: str) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + f"\n\nMachine: {machine}\n"


def write_section(path: Path, name: str, text: str) -> None:
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    doc = path.read_text()
    start, stop_at = doc.index(begin) + len(begin), doc.index(end)
    path.write_text(doc[:start] + "\n" + text + doc[stop_at:])
