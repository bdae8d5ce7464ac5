"""entrypoints of the national council."""
