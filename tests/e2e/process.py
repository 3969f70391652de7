"""The real `python -m bot` process, started against the Discord double."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from datetime import datetime
from pathlib import Path

from tests.discord_double import DiscordDouble

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


class BotProcess:
    """One bot process; its combined log is kept in `log_file` and shown when a test fails."""

    def __init__(self, double: DiscordDouble, workdir: Path, *, clock_at: datetime | None = None,
                 runner: str = "bot", **env: str) -> None:
        self.double = double
        self.clock_at = clock_at  # run with the clock moved to this instant (see shifted_clock)
        self.runner = runner  # the module run: the bot itself, or a wrapper such as tests.e2e.module_probe
        self.workdir = workdir
        self.log_file = workdir / f"bot-{len(list(workdir.glob('bot-*.log')))}.log"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": str(PROJECT_ROOT),
            "PYTHONUNBUFFERED": "1",
            "DISCORD_TOKEN": double.token,
            "DATA_DIR": str(workdir / "data"),
            "DISCORD_API_BASE_URL": double.api_base_url,
            "DISCORD_GATEWAY_URL": double.gateway_url,
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> BotProcess:
        # The bot runs in its own folder, so a developer's .env is never read by a test.
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("wb")
        command = ["-m", self.runner] if self.clock_at is None else \
            ["-m", "tests.e2e.shifted_clock", self.clock_at.isoformat()]
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, *command, cwd=self.workdir, env=self.env,
            stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
        )
        log.close()
        return self

    async def wait_ready(self) -> None:
        """Until the bot logged that it is ready, or fail with its log if it died first."""
        assert self.process is not None
        ready = asyncio.ensure_future(self._wait_for_log("ready as "))
        exited = asyncio.ensure_future(self.process.wait())
        await asyncio.wait({ready, exited}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            raise AssertionError(f"the bot exited with status {exited.result()} before it was ready:\n{self.log}")
        exited.cancel()
        ready.result()

    async def _wait_for_log(self, text: str, timeout: float = START_TIMEOUT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in self.log:
            if loop.time() > deadline:
                raise TimeoutError(f"the bot never logged {text!r}:\n{self.log}")
            await asyncio.sleep(0.02)

    async def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 20) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            raise AssertionError(f"the bot did not exit within {timeout} s of {sig.name}:\n{self.log}") from None

    async def exit_code(self, timeout: float = 30) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    @property
    def log(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return self.log_file.read_text(errors="replace")
        return ""
