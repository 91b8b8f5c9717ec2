"""Running a fake server standalone until SIGINT/SIGTERM (each package's `__main__`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from fake_common.server import FakeServer


def base_parser(
    package: str, description: str | None, port: int, token: str
) -> argparse.ArgumentParser:
    """A parser for `python -m <package>` with --host, --port (default `port`) and --token."""
    parser = argparse.ArgumentParser(prog=f"python -m {package}", description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port, help="0 picks a free port")
    parser.add_argument("--token", default=token)
    return parser


async def serve_until_stopped(api: FakeServer[Any, Any], host: str, port: int) -> None:
    """Serves until SIGINT/SIGTERM, printing the base URL on the first line of stdout."""
    url = await api.start(host, port)
    sys.stdout.write(f"{url}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await api.stop()
