"""The personal cloud: one instance per tester, the Cozy stack's HTTP API over synthetic data."""
