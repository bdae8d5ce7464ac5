"""The fault suite: the running network under kill -9, broker loss, database outage, poison."""
