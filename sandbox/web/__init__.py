"""HTTP layer: FastAPI routers, error envelopes, request → caller resolution."""
