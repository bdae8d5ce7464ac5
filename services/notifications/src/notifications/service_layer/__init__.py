"""service layer of the notifications service."""
