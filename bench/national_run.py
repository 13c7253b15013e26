"""Measure the national page (/nacional/) against the plan dashboard on national-scale data.

Same server, load generator and method as bench/run.py (gunicorn gthread, 2 workers x 4
threads, wrk at 32 connections, median of several rounds, round-robin over the URLs), on the
data of bench/generate.py (32 exercises, 96 plans, 1,440 commitments, 172,800 updates):

- /bench/minimal/: the baseline;
- the plan dashboard of a generated plan (plans:dashboard), the yardstick of the issue;
- the national page (reports:national) and the national API (/api/v1/national/).

Target (issue 6): the national page within 2x the dashboard's cost, i.e. its requests/s at
least half the dashboard's (and its CPU per request at most twice).

Both ways a visitor can be served are measured, each with its own server: with the page cache
(as deployed: anonymous pages served whole from the cache until content changes) and without
it (PAGE_CACHE_SECONDS=0: every request renders the page, the cost after each write).

    .venv/bin/python bench/national_run.py [--database-url URL] [--cache both|on|off]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.run import (  # noqa: E402
    LOG_DIR,
    Result,
    Server,
    Target,
    _choose_tool,
    _free_port,
    _machine,
    measure,
)

TARGET_COST = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else the bench SQLite file")
    parser.add_argument("--duration", type=float, default=10, help="seconds per run (10)")
    parser.add_argument("--runs", type=int, default=3, help="runs per URL; the median is shown")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per URL")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2 cores: 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--exercise", default="jalisco", help="slug of the dashboard's exercise")
    parser.add_argument("--plan", default="pal-2025-2027", help="slug of the dashboard's plan")
    parser.add_argument(
        "--cache",
        choices=["both", "on", "off"],
        default="both",
        help="with the page cache, without it (every request renders), or both (default)",
    )
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=10,
        help="before each run, wait up to this many seconds for the machine to be quiet",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = common.database_url(args.database_url)
    common.setup_django(url)
    tool = _choose_tool(args.tool)
    LOG_DIR.mkdir(parents=True, exist_ok=True)

    from django.conf import settings
    from django.core.management import call_command
    from django.urls import reverse

    from abierto.core.models import Exercise
    from abierto.plans.models import ActionPlan, Commitment

    plan = ActionPlan.objects.filter(exercise__slug=args.exercise, slug=args.plan).first()
    if plan is None:
        print(
            f"No plan {args.exercise}/{args.plan} in {common.describe(url)}: "
            "run bench/generate.py first.",
            file=sys.stderr,
        )
        return 1
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"Database:  {common.describe(url)} ({settings.DATABASES['default']['ENGINE']})")
    print(
        f"Data:      {Exercise.objects.count()} exercises, {ActionPlan.objects.count()} plans, "
        f"{Commitment.objects.count():,} commitments"
    )
    print(f"Machine:   {_machine()}")
    print(
        f"Load:      {tool}, {args.connections} connections, {args.runs} x {args.duration:g} s "
        f"per URL (median), {args.warmup:g} s warm-up; gunicorn gthread "
        f"{args.workers} x {args.threads}"
    )
    modes = {"both": ["on", "off"], "on": ["on"], "off": ["off"]}[args.cache]
    started_at = dt.datetime.now().astimezone()
    tables: dict[str, list[Result]] = {}
    try:
        for mode in modes:
            # The server reads the variable when it starts; PAGE_CACHE_SECONDS=0 renders always.
            if mode == "off":
                os.environ["PAGE_CACHE_SECONDS"] = "0"
            else:
                os.environ.pop("PAGE_CACHE_SECONDS", None)
            targets = [
                Target("minimal JSON view", "/bench/minimal/"),
                Target(
                    "plan dashboard",
                    reverse(
                        "plans:dashboard", kwargs={"exercise": args.exercise, "plan": args.plan}
                    ),
                ),
                Target("national page", reverse("reports:national")),
                Target("national API", reverse("api:national")),
            ]
            print(f"\nPage cache {mode}:")
            server = Server(_free_port(), args.workers, args.threads, url)
            tables[mode] = measure(server, targets, tool, args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    finally:
        os.environ.pop("PAGE_CACHE_SECONDS", None)

    for mode, results in tables.items():
        print_table(mode, results)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": started_at.isoformat(timespec="seconds"),
                    "database": settings.DATABASES["default"]["ENGINE"],
                    "machine": _machine(),
                    "tool": tool,
                    "connections": args.connections,
                    "duration_s": args.duration,
                    "runs": args.runs,
                    "results": {mode: [asdict(r) for r in rs] for mode, rs in tables.items()},
                },
                indent=2,
            )
        )
    return 0


def print_table(mode: str, results: list[Result]) -> None:
    """Each URL's figures, and its cost relative to the plan dashboard (1.0 = the same)."""
    dashboard = next(r for r in results if r.name == "plan dashboard")
    dash_cpu = dashboard.server_cpu_ms + dashboard.db_cpu_ms
    print(f"\nPage cache {mode}")
    header = (
        f"{'target':<18} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} "
        f"{'CPU ms/req':>10} {'cost (req/s)':>12} {'cost (CPU)':>10}  within 2x?"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if r.skipped:
            print(f"{r.name:<18} skipped: {r.skipped}")
            continue
        cpu = r.server_cpu_ms + r.db_cpu_ms
        cost = dashboard.rps / r.rps if r.rps else float("inf")
        cpu_cost = cpu / dash_cpu if dash_cpu else 0.0
        verdict = ""
        if r.name.startswith("national"):
            verdict = "yes" if cost <= TARGET_COST and r.errors == 0 else "no"
        print(
            f"{r.name:<18} {r.rps:8.1f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} {r.errors:6d} "
            f"{cpu:10.2f} {cost:12.2f} {cpu_cost:10.2f}  {verdict}"
        )
    busy = [run["background_busy"] for r in results for run in r.runs]
    if busy:
        print(f"Machine busy before the runs (other processes): max {max(busy):.0%}")
    print(
        "cost (req/s): the dashboard's req/s over the URL's; cost (CPU): the URL's CPU per "
        "request over the dashboard's. Target: national page cost <= 2."
    )


if __name__ == "__main__":
    sys.exit(main())
