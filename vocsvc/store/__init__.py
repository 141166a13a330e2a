"""The service database: SQLAlchemy Core tables (:mod:`.schema`), Alembic migrations (:mod:`.migrate`) and the
stores each stage writes through (mentions, calls, alerts, themes, keys). SQLite (WAL) or PostgreSQL (psycopg 3)."""
