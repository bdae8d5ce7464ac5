"""adapters of the national council."""
