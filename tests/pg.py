"""`python -m tests.pg ensure URL`: exit 0 when the PostgreSQL server in URL answers, creating
its database if missing; exit 1 when no server is reachable (the suite then runs on SQLite only)."""
import sys

import psycopg
from sqlalchemy.engine import make_url


def ensure(url: str) -> bool:
    u = make_url(url)
    try:
        conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname="postgres",
                               password=u.password, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return False
    with conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{u.database}"')
    return True


if __name__ == "__main__":
    sys.exit(0 if len(sys.argv) == 3 and sys.argv[1] == "ensure" and ensure(sys.argv[2]) else 1)
