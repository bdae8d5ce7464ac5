"""entrypoints of the regional council."""
