"""Storage: migrations, writes of the ingest path, and reads for the API."""
