"""adapters of the regional council."""
