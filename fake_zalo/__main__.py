"""Runs the fake Zalo server standalone: `python -m fake_zalo --port 8082`."""

from __future__ import annotations

import argparse
import asyncio

from fake_common.runner import base_parser, serve_until_stopped
from fake_zalo.models import RateLimits
from fake_zalo.server import FakeZalo


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parses the command line."""
    parser = base_parser("fake_zalo", __doc__, 8082, "1234567890:fake-zalo-token")
    parser.add_argument("--bot-name", default="chibot")
    parser.add_argument(
        "--monthly-quota", type=int, default=None, help="sends allowed (default: unlimited)"
    )
    parser.add_argument("--rate-limits", action="store_true", help="enforce simple flood limits")
    parser.add_argument("--webhook-body", choices=("enveloped", "flat"), default="enveloped")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serves until SIGINT/SIGTERM, printing the base URL on the first line of stdout."""
    api = FakeZalo(
        args.token,
        args.bot_name,
        args.monthly_quota,
        RateLimits() if args.rate_limits else None,
        webhook_body=args.webhook_body,
    )
    await serve_until_stopped(api, args.host, args.port)


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
