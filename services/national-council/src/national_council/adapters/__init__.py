"""adapters of the national council."""

# The staff tables sit on the service's MetaData; importing them here means anything that
# imports the tables (migrations, create_schema, tests) sees the whole schema.
from national_council.adapters import staff_tables as staff_tables
