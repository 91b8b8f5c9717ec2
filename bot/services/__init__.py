"""Use cases, channel-free, one module per noun; each takes a session and `now` explicitly."""
