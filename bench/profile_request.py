"""Where one request's time goes: its SQL queries (count, time, slowest) and a Python profile.

Runs in-process with the Django test client against the benchmark database, after a few
warm-up requests (template and query caches as in a running server).

    .venv/bin/python bench/profile_request.py [--database-url URL] [PATH ...]

Without PATH it profiles the benchmark's targets (the minimal view, the plan dashboard,
one commitment page, the commitments API list).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--database-url")
    parser.add_argument("--exercise", default="jalisco")
    parser.add_argument("--plan", default="pal-2025-2027")
    parser.add_argument("--repeat", type=int, default=20, help="requests timed per path")
    parser.add_argument("--top", type=int, default=25, help="functions shown in the profile")
    parser.add_argument("--queries", type=int, default=8, help="slowest queries shown")
    parser.add_argument(
        "--sort", choices=("tottime", "cumulative"), default="tottime", help="profile order"
    )
    args = parser.parse_args(argv)
    common.setup_django(common.database_url(args.database_url))

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from abierto.plans.models import ActionPlan, Commitment

    paths = args.paths
    if not paths:
        plan = ActionPlan.objects.get(exercise__slug=args.exercise, slug=args.plan)
        commitment = Commitment.objects.filter(plan=plan).order_by("number").first()
        kwargs = {"exercise": args.exercise, "plan": args.plan}
        paths = [
            "/bench/minimal/",
            reverse("plans:dashboard", kwargs=kwargs),
            reverse("plans:commitment", kwargs=kwargs | {"commitment": commitment.slug}),
            f"/api/v1/commitments/?plan={plan.pk}",
        ]
    client = Client()
    for path in paths:
        for _ in range(3):
            client.get(path)
        began = time.perf_counter()
        for _ in range(args.repeat):
            response = client.get(path)
        per_request = (time.perf_counter() - began) / args.repeat * 1000

        queries: list[tuple[float, str]] = []

        with connection.execute_wrapper(_QueryTimer(queries)):
            began = time.perf_counter()
            client.get(path)
            one = (time.perf_counter() - began) * 1000
        sql_ms = sum(t for t, _ in queries) * 1000

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            client.get(path)
        profiler.disable()

        print("=" * 100)
        print(f"{path}  HTTP {response.status_code}, {len(response.content):,} bytes")
        print(
            f"  {per_request:.1f} ms per request (mean of {args.repeat}); one request: "
            f"{one:.1f} ms, of which {len(queries)} queries {sql_ms:.1f} ms"
        )
        for seconds, sql in sorted(queries, reverse=True)[: args.queries]:
            print(f"    {seconds * 1000:7.2f} ms  {sql[:300]}")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(args.sort)
        stats.print_stats(args.top)
        order = "own time" if args.sort == "tottime" else "cumulative time"
        print(f"  Python profile of 5 requests, by {order}:")
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        for line in lines[start:]:
            if line.strip():
                print("   ", line)
    return 0


class _QueryTimer:
    """Database execute wrapper recording each query's time and SQL."""

    def __init__(self, queries: list[tuple[float, str]]) -> None:
        self.queries = queries

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - start, sql))


if __name__ == "__main__":
    sys.exit(main())
