"""What the fake Bot API servers (fake_telegram, fake_zalo) share: lifecycle, call log, limits."""
