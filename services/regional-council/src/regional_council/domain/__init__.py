"""domain of the regional council."""
