"""The collector: MQTT ingest, storage in PostgreSQL/TimescaleDB, and the REST API."""
