"""The browser sandbox: chibot against fake Telegram and Zalo servers, driven from a chat page."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "parse_args", "serve"]

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parses `python -m sandbox [--port N] [--reset] [--data DIR]`."""
    parser = argparse.ArgumentParser(
        prog="chibot sandbox",
        description="Runs chibot against fake Telegram and Zalo servers with a chat-like web "
        "page (no token, no internet).",
    )
    parser.add_argument("--port", type=int, default=8080, help="the page's port (default 8080)")
    parser.add_argument(
        "--reset", action="store_true", help="delete the sandbox's data and seed the demo again"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("sandbox-data"),
        help="where the sandbox keeps its database and clock (default ./sandbox-data)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, not {args.port}")
    return args


async def serve(args: argparse.Namespace) -> int:
    """Runs the sandbox until SIGINT/SIGTERM (also during start-up); returns the exit code."""
    from sandbox.runtime import Sandbox, SandboxError

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    sandbox = Sandbox(args.data, port=args.port)
    out = sys.stdout
    if args.reset:
        out.write(f"Đặt lại dữ liệu sandbox trong {sandbox.data_dir} …\n")
    out.write("Đang khởi động sandbox (máy chủ Telegram và Zalo giả + chibot) …\n")
    out.flush()
    starting = asyncio.create_task(sandbox.start(reset=args.reset))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()  # start() stops whatever it had started
        with contextlib.suppress(asyncio.CancelledError, SandboxError):
            await starting
        out.write("Đã dừng. / Stopped.\n")
        return 130
    try:
        url = starting.result()
    except SandboxError as exc:
        stopping.cancel()
        sys.stderr.write(f"{exc}\n")
        return exc.exit_code
    out.write(
        f"\nSandbox của chibot đang chạy: {url}\n"
        f"chibot sandbox is running: {url}\n"
        f"Dữ liệu / data: {sandbox.data_dir}  —  Ctrl+C để dừng / to stop\n"
    )
    out.flush()
    try:
        await stopping
    finally:
        out.write("Đang dừng sandbox …\n")
        out.flush()
        await sandbox.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m sandbox` and `chibot sandbox`; returns the exit code."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return asyncio.run(serve(args))
    except KeyboardInterrupt:  # Ctrl+C while starting: everything started is stopped already
        sys.stderr.write("Đã dừng. / Stopped.\n")
        return 130
