"""entrypoints of the notifications service."""
