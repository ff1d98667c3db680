"""The central Fieldnote sync server (FastAPI over SQLAlchemy Core; no Qt).

Stateless: every piece of state lives in the database, so several processes can
serve one PostgreSQL database. SQLite is the default for a single small service.
"""
