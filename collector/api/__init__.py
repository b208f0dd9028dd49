"""The collector's HTTP API (FastAPI)."""
