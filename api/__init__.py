"""hki's HTTP API: thin FastAPI routers over the `graph` package."""
