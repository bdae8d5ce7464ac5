"""service layer of the regional council."""
