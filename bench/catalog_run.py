"""Measure the open data catalog under load on 127.0.0.1, against a minimal Django JSON view.

On the catalog made by bench/catalog_generate.py (100,000 datasets, 300,000 resources, 1,000
publishers), with gunicorn as in bench/run.py and 32 connections, several runs (median):

- /bench/minimal/: the baseline, a JsonResponse through the same middleware;
- CKAN `package_search` with a full-text q and three facets (goal: p99 < 150 ms);
- CKAN `package_show` of one dataset;
- CKAN `organization_list` with all_fields for the 1,000 publishers (goal: < 200 ms);
- the catalog's search page (/datos/?q=…), whose query count a test holds constant;

then a full `ckanapi dump datasets` of 10,000 datasets through the real ckanapi client,
timed (median of --dump-runs). Anonymous reads are normally served from the page cache;
`--no-page-cache` measures the work behind it (every request searches and renders).

    .venv/bin/python bench/catalog_run.py [--database-url URL] [--no-page-cache] [--json F]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, run  # noqa: E402
from bench.catalog_generate import database_url  # noqa: E402

SEARCH_P99_MS = 150.0
ORGANIZATIONS_MS = 200.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else its SQLite file")
    parser.add_argument("--duration", type=float, default=10, help="seconds per run (10)")
    parser.add_argument("--runs", type=int, default=3, help="runs per URL; the median is shown")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--idle-wait", type=float, default=10)
    parser.add_argument("--query", default="salud", help="full-text query of the searches")
    parser.add_argument("--dump-datasets", type=int, default=10_000)
    parser.add_argument("--dump-runs", type=int, default=3)
    parser.add_argument(
        "--no-page-cache", action="store_true", help="serve every request afresh (no page cache)"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = database_url(args.database_url)
    if args.no_page_cache:
        os.environ["PAGE_CACHE_SECONDS"] = "0"
    common.setup_django(url)
    tool = run._choose_tool(args.tool)
    run.LOG_DIR.mkdir(parents=True, exist_ok=True)

    from django.conf import settings
    from django.core.management import call_command

    from abierto.catalog.models import Dataset, Publisher

    datasets = Dataset.objects.public().count()
    publishers = Publisher.objects.count()
    if not datasets:
        print(f"No catalog in {common.describe(url)}: run catalog_generate.py.", file=sys.stderr)
        return 1
    sample = Dataset.objects.public().order_by("name")[datasets // 2]
    call_command("collectstatic", interactive=False, verbosity=0)
    facets = quote(json.dumps(["organization", "groups", "res_format"]))
    q = quote(args.query)
    targets = [
        run.Target("minimal JSON view", "/bench/minimal/"),
        run.Target(
            "package_search",
            f"/api/3/action/package_search?q={q}&facet.field={facets}&rows=10",
            max_p99_ms=SEARCH_P99_MS,
            min_ratio=0.0,
        ),
        run.Target("package_show", f"/api/3/action/package_show?id={sample.name}", min_ratio=0.0),
        run.Target(
            "organization_list",
            f"/api/3/action/organization_list?all_fields=true&limit={publishers}",
            max_p99_ms=ORGANIZATIONS_MS,
            min_ratio=0.0,
        ),
        run.Target("search page", f"/datos/?q={q}", min_ratio=0.0),
    ]
    port = run._free_port()
    server = run.Server(port, args.workers, args.threads, url)
    started_at = dt.datetime.now().astimezone()
    print(f"Database:  {common.describe(url)} ({settings.DATABASES['default']['ENGINE']})")
    print(f"Data:      {datasets:,} public datasets, {publishers:,} publishers")
    print(f"Machine:   {run._machine()}")
    print(
        f"Server:    gunicorn gthread, {args.workers} workers x {args.threads} threads, "
        f"page cache {'off' if args.no_page_cache else 'on'}"
    )
    print(f"Load:      {tool}, {args.connections} connections, {args.runs} x {args.duration:g} s")
    dump_times: list[float] = []
    names = list(
        Dataset.objects.public()
        .order_by("name")
        .values_list("name", flat=True)[: args.dump_datasets]
    )
    try:
        results = run.measure(server, targets, tool, args)
        # The dump needs the server again: measure() stopped it.
        server.start()
        try:
            for _ in range(args.dump_runs):
                dump_times.append(_dump(port, names))
                print(f"  dump of {len(names):,} datasets: {dump_times[-1]:.1f} s", flush=True)
        finally:
            server.stop()
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    run._print_table(
        results,
        goal=(
            f"Goals (issue): package_search with q and three facets p99 < {SEARCH_P99_MS:g} ms "
            f"at {args.connections} connections; organization_list all_fields for 1,000 "
            f"publishers under {ORGANIZATIONS_MS:g} ms (p99 shown). "
        ),
    )
    if dump_times:
        median = statistics.median(dump_times)
        print(
            f"\nckanapi dump datasets ({len(names):,}, 3 processes): median {median:.1f} s, "
            f"{len(names) / median:,.0f} datasets/s (runs: "
            + ", ".join(f"{t:.1f}" for t in dump_times)
            + ")"
        )
    if args.json:
        run.write_json(args.json, started_at, tool, args, results)
        data = json.loads(args.json.read_text())
        data["page_cache"] = not args.no_page_cache
        data["dump"] = {"datasets": len(names), "seconds": dump_times}
        args.json.write_text(json.dumps(data, indent=2))
    return 0


def _dump(port: int, names: list[str]) -> float:
    """Time `ckanapi dump datasets NAME…` against the server; check every dataset came back."""
    ckanapi = Path(sys.executable).with_name("ckanapi")
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "dump.jsonl"
        started = time.perf_counter()
        subprocess.run(
            [
                str(ckanapi),
                "dump",
                "datasets",
                "--quiet",
                "-p",
                "3",
                "-O",
                str(output),
                "-r",
                f"http://{run.HOST}:{port}",
                *names,
            ],
            check=False,
            stdout=subprocess.DEVNULL,
            # ckanapi starts its worker processes as `ckanapi` found on PATH.
            env=os.environ | {"PATH": f"{ckanapi.parent}{os.pathsep}{os.environ['PATH']}"},
        )
        elapsed = time.perf_counter() - started
        if not output.exists():
            raise RuntimeError("ckanapi dump wrote nothing; see its messages above")
        with output.open() as lines:
            dumped = sum(1 for _ in lines)
        if dumped != len(names):
            raise RuntimeError(f"ckanapi dumped {dumped} datasets of {len(names)}")
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
