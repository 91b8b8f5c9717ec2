"""`python -m bot` runs the chibot command line."""

from bot.cli import main

raise SystemExit(main())
