"""Runs the fake Telegram server standalone: `python -m fake_telegram --port 8081`."""

from __future__ import annotations

import argparse
import asyncio

from fake_common.runner import base_parser, serve_until_stopped
from fake_telegram.models import RateLimits
from fake_telegram.server import FakeTelegram


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses the command line."""
    parser = base_parser("fake_telegram", __doc__, 8081, "123456:TEST")
    parser.add_argument("--bot-username", default="chibot_test_bot")
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Telegram-like flood limits"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serves until SIGINT/SIGTERM, printing the base URL on the first line of stdout."""
    limits = RateLimits() if args.rate_limits else None
    api = FakeTelegram(args.token, args.bot_username, limits)
    await serve_until_stopped(api, args.host, args.port)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
