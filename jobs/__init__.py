"""Time-driven work: the outbox dispatcher loop and the periodic tick."""
