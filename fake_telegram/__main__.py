"""Runs the fake Telegram server standalone: `python -m fake_telegram --port 8081`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from fake_telegram.models import RateLimits
from fake_telegram.server import FakeTelegram


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses the command line."""
    parser = argparse.ArgumentParser(prog="python -m fake_telegram", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--bot-username", default="chibot_test_bot")
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Telegram-like flood limits"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serves until SIGINT/SIGTERM, printing the base URL on the first line of stdout."""
    limits = RateLimits() if args.rate_limits else None
    api = FakeTelegram(args.token, args.bot_username, limits)
    url = await api.start(args.host, args.port)
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


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
