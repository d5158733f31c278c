"""Document storage on SQLAlchemy 2: SQLite by default, PostgreSQL by URL."""
