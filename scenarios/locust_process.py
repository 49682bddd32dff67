"""Running locust as a subprocess (never imported here: it patches the process with gevent).

Locust gets its own session, so a Ctrl-C in the terminal reaches only `sim`, which then
stops locust (and its `--processes` workers) as a group and reaps them: no orphans. If
`sim` itself dies (kill -9), locust dies with it: see scenarios/locust_child.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.locust_child import LIFELINE_ENV, pdeathsig_setter

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
LOCUST = [sys.executable, "-m", "scenarios.locust_child"]  # locust, tied to this process


@dataclass(frozen=True)
class LocustFiles:
    out: Path

    @property
    def spec(self) -> Path:
        return self.out / "load-spec.json"

    @property
    def samples(self) -> Path:
        return self.out / "samples.json"

    @property
    def csv_prefix(self) -> Path:
        return self.out / "locust"

    @property
    def html(self) -> Path:
        return self.out / "locust.html"

    @property
    def log(self) -> Path:
        return self.out / "locust.log"

    @property
    def stats_history(self) -> Path:
        return self.out / "locust_stats_history.csv"


def locust_command(files: LocustFiles, target: str, processes: int = 0) -> list[str]:
    command = [*LOCUST, "-f", str(LOCUSTFILE), "--headless",
               "--host", target, "--csv", str(files.csv_prefix), "--html", str(files.html),
               "--only-summary", "--logfile", str(files.log), "--loglevel", "WARNING",
               "--exit-code-on-error", "0", "--stop-timeout", "2"]
    if processes:
        # A free master port, not locust's fixed 5557: two runs at once must not share a
        # master (or pick up each other's workers). The forked workers use --master-port.
        port = str(free_port())
        command += ["--processes", str(processes), "--master-bind-port", port,
                    "--master-port", port]
    return command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("", 0))
        port: int = probe.getsockname()[1]
    return port


def locust_web_command(files: LocustFiles, target: str, web_port: int,
                       processes: int = 0, master_port: int = 5557) -> list[str]:
    """locust with its web UI on loopback and no autostart: the user presses Start."""
    command = [*LOCUST, "-f", str(LOCUSTFILE),
               "--web-host", "127.0.0.1", "--web-port", str(web_port), "--host", target,
               "--logfile", str(files.log), "--loglevel", "WARNING",
               "--exit-code-on-error", "0", "--stop-timeout", "2"]
    if processes:
        command += ["--processes", str(processes), "--master-bind-port", str(master_port),
                    "--master-port", str(master_port)]  # what the forked workers dial
    return command


def locust_worker_command(master_host: str, master_port: int, processes: int = 0
                          ) -> list[str]:
    """A locust worker with the project's locustfile; the master sends it the load spec."""
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker",
               "--master-host", master_host, "--master-port", str(master_port)]
    if processes:
        command += ["--processes", str(processes)]
    return command


class LocustProcess:
    def __init__(self, files: LocustFiles, target: str, spec: dict[str, Any],
                 processes: int = 0, admin_token: str | None = None,
                 web_port: int | None = None, master_port: int = 5557) -> None:
        self.files = files
        self.target = target
        self.spec = spec
        self.processes = processes
        self.admin_token = admin_token
        self.web_port = web_port  # None: headless (`sim run`); a port: the web UI
        self.master_port = master_port
        self.process: asyncio.subprocess.Process | None = None
        self._lifeline: int | None = None  # the pipe's write end; closed with this process

    async def start(self) -> None:
        text = json.dumps(self.spec)
        await asyncio.to_thread(self.files.spec.write_text, text)
        env = {**os.environ, "SIM_LOAD_SPEC": str(self.files.spec),
               "SIM_SAMPLES_OUT": str(self.files.samples), "PYTHONUNBUFFERED": "1"}
        if self.admin_token:
            env["SIM_ADMIN_TOKEN"] = self.admin_token
        command = (locust_command(self.files, self.target, self.processes)
                   if self.web_port is None else
                   locust_web_command(self.files, self.target, self.web_port, self.processes,
                                      self.master_port))
        # The lifeline: locust holds the read end, only this process the write end.
        read_end, self._lifeline = os.pipe()
        env[LIFELINE_ENV] = str(read_end)
        try:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env,
                start_new_session=True, pass_fds=(read_end,), preexec_fn=pdeathsig_setter())
        finally:
            os.close(read_end)

    async def wait(self) -> tuple[int, str]:
        assert self.process is not None and self.process.stderr is not None
        stderr = await self.process.stderr.read()
        code = await self.process.wait()
        return code, stderr.decode(errors="replace")[-4000:]

    async def stop(self, grace: float = 10.0) -> None:
        """SIGINT the group, as a Ctrl-C in locust's own terminal would: locust then writes
        its files and the locustfile its samples. (Its SIGTERM handler did not fire in
        locust 2.47 here: the process died without writing anything.) SIGKILL after
        `grace` seconds."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()

    def kill_group(self) -> None:
        """Last resort (e.g. at interpreter exit): nothing of locust may outlive sim."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self._lifeline is not None:
            os.close(self._lifeline)
            self._lifeline = None
