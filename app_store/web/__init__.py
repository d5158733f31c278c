"""The store's HTTP layer: JSON API, registry API, pages."""
