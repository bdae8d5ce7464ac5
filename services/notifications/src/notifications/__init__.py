"""Notifications: e-mails subscribers about the dialogue's events."""
