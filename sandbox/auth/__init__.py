"""Tokens (JWT, HS512, one key per instance) and Cozy permission sets."""
