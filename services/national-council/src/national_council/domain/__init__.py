"""domain of the national council."""
