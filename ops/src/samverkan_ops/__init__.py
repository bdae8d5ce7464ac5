"""The operator's command line for a Samverkan network on any Kafka broker."""
