"""The Telegram adapter: one module per feature, each with register(application)."""
