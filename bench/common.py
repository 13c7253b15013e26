"""What the generator, the runner and the profiler share: which database, and Django set-up."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# A database of its own by default, so a benchmark never writes into a development database.
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_DIR / 'var' / 'bench' / 'bench.sqlite3'}"
SETTINGS_MODULE = "bench.settings"


def database_url(given: str | None) -> str:
    """The --database-url given, else $DATABASE_URL, else the benchmark's SQLite file."""
    return given or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def describe(url: str) -> str:
    """The database URL without its password, for printing."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://", "pgsql://"))


def ensure_postgres_database(url: str, *, recreate: bool = False) -> None:
    """Create the PostgreSQL database named in the URL when it is missing (or recreate it)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists and recreate:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            connection.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            exists = None
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def remove_sqlite_database(url: str) -> None:
    path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
    if not path.is_absolute():
        path = PROJECT_DIR / path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def setup_django(url: str) -> None:
    """Point Django at the database and the benchmark settings, then set it up."""
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
