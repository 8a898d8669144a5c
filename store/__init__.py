"""The app's only shared state: the classroom database (SQLAlchemy Core; SQLite by default, PostgreSQL for
several replicas). ``store.db`` opens it and keeps its schema; ``store.rooms`` runs rooms on it by
``core.classroom``'s rules."""
