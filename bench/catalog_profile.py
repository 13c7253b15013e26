"""Where an uncached catalog search's time goes: CPU per request, its SQL and their plans.

In-process with the Django test client on the catalog made by bench/catalog_generate.py, page
cache off (every request searches, counts facets and renders), after a few warm-up requests:

- CPU ms per request of this process (SQLite runs in it) and, on PostgreSQL, of the backend
  serving it (from /proc), mean of --repeat requests;
- every SQL statement of one request with its time, and the plan of the slowest
  (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN (ANALYZE, BUFFERS)` on PostgreSQL) with --plans;
- with --profile, a Python profile by own time.

    .venv/bin/python bench/catalog_profile.py [--database-url URL] [--plans] [--profile] [PATH ...]

Without PATH: package_search with q=salud and the facets organization, tags, res_format;
the same with groups instead of tags (as catalog_run.py measures it); the search page.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.catalog_generate import database_url  # noqa: E402


def default_paths(q: str) -> list[str]:
    def search(fields: list[str]) -> str:
        facets = quote(json.dumps(fields))
        return f"/api/3/action/package_search?q={quote(q)}&facet.field={facets}&rows=10"

    return [
        "/bench/minimal/",
        search(["organization", "tags", "res_format"]),
        search(["organization", "groups", "res_format"]),
        f"/datos/?q={quote(q)}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--database-url")
    parser.add_argument("--query", default="salud")
    parser.add_argument("--repeat", type=int, default=10, help="requests timed per path")
    parser.add_argument("--plans", action="store_true", help="show the slowest queries' plans")
    parser.add_argument("--profile", action="store_true", help="show a Python profile")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    os.environ["PAGE_CACHE_SECONDS"] = "0"
    common.setup_django(database_url(args.database_url))

    from django.db import connection
    from django.test import Client

    client = Client()
    for path in args.paths or default_paths(args.query):
        for _ in range(3):
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        backend = _backend_cpu(connection)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.repeat):
            client.get(path)
        cpu = (time.process_time() - cpu) / args.repeat * 1000
        wall = (time.perf_counter() - wall) / args.repeat * 1000
        db_cpu = (_backend_cpu(connection) - backend) / args.repeat * 1000 if backend else 0.0

        queries: list[tuple[float, str, tuple]] = []
        with connection.execute_wrapper(_QueryTimer(queries)):
            client.get(path)
        print("=" * 100)
        print(f"{path}  HTTP {response.status_code}, {len(response.content):,} bytes")
        print(
            f"  {wall:.1f} ms wall, {cpu:.1f} ms CPU here"
            + (f" + {db_cpu:.1f} ms PostgreSQL backend" if backend else "")
            + f" per request (mean of {args.repeat}); {len(queries)} queries,"
            f" {sum(t for t, _, _ in queries) * 1000:.1f} ms"
        )
        for seconds, sql, _params in queries:
            print(f"    {seconds * 1000:7.2f} ms  {sql[:240]}")
        if args.plans:
            for seconds, sql, params in sorted(queries, key=lambda x: -x[0])[:2]:
                print(f"  Plan of the {seconds * 1000:.1f} ms query:")
                for line in _plan(connection, sql, params):
                    print("    " + line)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(3):
                client.get(path)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(
                args.top
            )
            print("  Python profile of 3 requests, by own time:")
            lines = out.getvalue().splitlines()
            first = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
            for line in lines[first:]:
                if line.strip():
                    print("   ", line)
    return 0


def _backend_cpu(connection) -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (0 on SQLite)."""
    if connection.vendor != "postgresql":
        return 0.0
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _plan(connection, sql: str, params) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [f"{row[1]:>3} {row[3]}" for row in cursor.fetchall()]
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


class _QueryTimer:
    def __init__(self, queries: list) -> None:
        self.queries = queries

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - start, sql, params))


if __name__ == "__main__":
    sys.exit(main())
