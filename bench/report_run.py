"""Annual report benchmark: build time and peak memory of one exercise-year's report.

Builds the STL's annual report (gathering, HTML, PDF with WeasyPrint, storage, archiving)
for one exercise and year of the national-scale data of bench/generate.py, through the same
service the worker runs, several times; each run is a fresh process, so its peak resident
memory (ru_maxrss) is that of a worker that builds one report. Prints the median of the runs
and each phase's share. Targets (issue 6): the PDF in under 10 s, under 500 MB.

    .venv/bin/python bench/generate.py --database-url URL        # once
    .venv/bin/python bench/report_run.py [--database-url URL] [--exercise jalisco] [--year Y]

The database is --database-url, else $DATABASE_URL, else var/bench/bench.sqlite3. Files go to
var/bench/media-reports (rebuilt on every run: each run replaces the previous one's files).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

TARGET_SECONDS = 10.0
TARGET_MB = 500.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else the bench SQLite file")
    parser.add_argument("--exercise", default="jalisco", help="slug of the exercise")
    parser.add_argument(
        "--year", type=int, help="year of the report (default: the last complete year with data)"
    )
    parser.add_argument("--runs", type=int, default=5, help="builds; the median is shown")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> int:
    """One build in this process; prints its figures as JSON on the last line."""
    os.environ.setdefault("MEDIA_ROOT", str(common.PROJECT_DIR / "var/bench/media-reports"))
    common.setup_django(common.database_url(args.database_url))
    from abierto.core.models import Exercise
    from abierto.plans.models import Commitment, ProgressUpdate
    from abierto.reports import annual_report, services

    exercise = Exercise.objects.get(slug=args.exercise)
    years = annual_report.years_with_data(exercise)
    # The last complete year before the data's reference date: its plans are all under way.
    from bench.generate import REFERENCE_DATE

    year = args.year or next((y for y in years if y < REFERENCE_DATE.year), years[0])
    baseline = _rss_mb()
    marks: list[tuple[str, float]] = []

    def echo(report) -> None:
        marks.append((report.step_label, time.perf_counter()))

    report = services.annual_report_request(exercise=exercise, year=year, by=None, enqueue=False)
    cpu, started = time.process_time(), time.perf_counter()
    report = services.annual_report_build(report.pk, echo=echo)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if report.status != report.Status.DONE:
        print(report.error, file=sys.stderr)
        return 1
    phases: dict[str, float] = {}
    edges = [("", started), *marks]
    for (label, at), (_next_label, next_at) in zip(edges[1:], edges[2:], strict=False):
        phases[label] = next_at - at
    print(
        json.dumps(
            {
                "year": year,
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "peak_mb": _rss_mb(),
                "baseline_mb": baseline,
                "pdf_pages": report.pdf_pages,
                "pdf_bytes": report.pdf_size,
                "html_bytes": report.html_size,
                "commitments": Commitment.objects.filter(
                    plan__exercise=exercise,
                    plan__start_year__lte=year,
                    plan__end_year__gte=year,
                ).count(),
                "progress_updates": ProgressUpdate.objects.filter(
                    milestone__commitment__plan__exercise=exercise
                ).count(),
                "phases": phases,
            }
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args)
    url = common.database_url(args.database_url)
    print(f"Database: {common.describe(url)}")
    load_before = os.getloadavg()
    command = [sys.executable, __file__, "--child", "--database-url", url]
    command += ["--exercise", args.exercise] + (["--year", str(args.year)] if args.year else [])
    runs = []
    for n in range(1, args.runs + 1):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return done.returncode
        result = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(result)
        print(
            f"  run {n}: {result['seconds']:.2f} s ({result['cpu_seconds']:.2f} s CPU), "
            f"peak {result['peak_mb']:.0f} MB"
        )
    load_after = os.getloadavg()
    first = runs[0]
    seconds = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    peak = statistics.median(r["peak_mb"] for r in runs)
    baseline = statistics.median(r["baseline_mb"] for r in runs)
    print(
        f"\nAnnual report {args.exercise} {first['year']}: {first['commitments']} commitments "
        f"in the year's plans, {first['progress_updates']:,} progress updates in the exercise; "
        f"PDF {first['pdf_pages']} pages ({first['pdf_bytes']:,} bytes), "
        f"HTML {first['html_bytes']:,} bytes"
    )
    print(f"Median of {len(runs)} builds (each in a fresh process):")
    ok_time = "yes" if seconds < TARGET_SECONDS else "NO"
    ok_mem = "yes" if peak < TARGET_MB else "NO"
    print(
        f"  build time   {seconds:6.2f} s  ({cpu:.2f} s CPU)  "
        f"under {TARGET_SECONDS:.0f} s: {ok_time}"
    )
    print(
        f"  peak memory  {peak:6.0f} MB  (before the build: {baseline:.0f} MB)  "
        f"under {TARGET_MB:.0f} MB: {ok_mem}"
    )
    print("  phases (median seconds):")
    for label in first["phases"]:
        values = [r["phases"].get(label, 0.0) for r in runs]
        print(f"    {label:<48} {statistics.median(values):6.2f}")
    print(
        f"Load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "started": dt.datetime.now(dt.UTC).isoformat(),
                    "database": common.describe(url),
                    "exercise": args.exercise,
                    "runs": runs,
                    "median_seconds": seconds,
                    "median_cpu_seconds": cpu,
                    "median_peak_mb": peak,
                    "load_before": load_before,
                    "load_after": load_after,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
