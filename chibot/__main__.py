"""`python -m chibot` runs the chibot command line."""

from chibot.cli import main

raise SystemExit(main())
