"""HTTP API (FastAPI) - see the service API issue."""
