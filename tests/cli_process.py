"""Running `coachbot` as a real process on this checkout's code, for the CLI tests.

`coachbot(...)` runs a command to its end (synchronously); `start(...)` launches a long-running
one (`run`) inside the test's event loop, reading its output as it comes (a full pipe would block
it), and `stop(...)` sends SIGTERM and returns the exit code and output.
Every process gets a SQLite file in its working directory unless `env` says otherwise.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from asyncio.subprocess import Process
from dataclasses import dataclass
from pathlib import Path

from bot.settings import BUNDLED_CONTENT

ROOT = Path(__file__).resolve().parent.parent
DEMO_ROSTER = BUNDLED_CONTENT.parent / "cohorts" / "feedback-geven-demo.yaml"


def cli_env(cwd: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment: ours, this checkout first on the path, a database in `cwd`."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # this checkout's `bot`, whichever one the venv has installed
        "COACHBOT_DATABASE_URL": f"sqlite+aiosqlite:///{cwd / 'cli.db'}",
        **(env or {}),
    }


def coachbot(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `coachbot args...` to its end."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(cwd, env),
        timeout=120,
        check=False,
    )


@dataclass
class Running:
    """A started `coachbot` process and the readers collecting its output."""

    process: Process
    stdout: asyncio.Task[bytes]
    stderr: asyncio.Task[bytes]

    async def finished(self, *, within: float = 60) -> tuple[int, str, str]:
        """Wait for the end: (exit code, stdout, stderr)."""
        async with asyncio.timeout(within):
            code = await self.process.wait()
            return code, (await self.stdout).decode(), (await self.stderr).decode()


async def start(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Running:
    """Launch `coachbot args...` without waiting for it (it talks to fakes in this loop)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=cwd,
        env=cli_env(cwd, env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    return Running(
        process, asyncio.create_task(process.stdout.read()), asyncio.create_task(process.stderr.read())
    )


async def stop(running: Running) -> tuple[int, str, str]:
    """SIGTERM, as a service manager stops it, then wait for the end."""
    if running.process.returncode is None:
        running.process.send_signal(signal.SIGTERM)
    return await running.finished(within=30)


async def coachbot_async(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `coachbot args...` to its end without blocking the loop (fakes keep answering)."""
    return await (await start(*args, cwd=cwd, env=env)).finished()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, for a process to listen on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
