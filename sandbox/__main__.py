"""`python -m sandbox [--port N] [--reset] [--data DIR]`: the browser sandbox."""

from sandbox import main

raise SystemExit(main())
