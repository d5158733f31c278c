"""Mango selectors: parsing with every problem reported, CouchDB collation, matching, SQL."""
