"""service layer of the national council."""
