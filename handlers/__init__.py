"""Channel adapters: updates in, the core's actions, API calls out (telegram/, zalo/)."""
