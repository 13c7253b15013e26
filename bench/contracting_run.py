"""Measure open contracting (OCDS) at scale: import, compilation, validation, red flags, pages.

On a generated release package (bench/contracting_generate.py) and for SQLite and/or
PostgreSQL, each measurement in a fresh child process (its peak memory is its own ru_maxrss;
wall time, its CPU time and, on PostgreSQL, its backend's CPU time, because the machine is
shared):

- import: Abierto's own import path (`importing.load`, what `manage.py import_ocds --now`
  runs before the red flags): stream, validate, store, compile per batch. Releases/s, MB/s,
  peak memory;
- compilation: `manage.py recompile_records` over every record, beside `ocdskit compile
  --schema <local release schema>` (from var/bench/peers-venv) on the same package in the same
  run; records/s and peak memory of each;
- validation: Abierto's checks (`validation.release_issues`: schema, codelists, additional
  fields, coherence) beside jsonschema alone (Draft4Validator, the same local schema and format
  checks) on the same releases; releases/s;
- red flags: `redflags.refresh()` over all records; records/s;
- under load (gunicorn 2 workers x 4 threads, wrk at 32 connections, medians of runs): the
  process search page with a query, the same with filters, and the record endpoint on random
  ocids (a wrk Lua script); requests/s, p50, p99, page cache on and off.

Targets (issue 5): import and compilation >= 5x ocdskit compile's throughput with peak memory
under 400 MB whatever the package size; the record endpoint's p99 under 50 ms at 32
connections. Each is printed met or missed.

    .venv/bin/python bench/contracting_run.py --quick                  # 10,000 releases, SQLite
    .venv/bin/python bench/contracting_run.py --database both --json var/bench/ocds/100k.json
    .venv/bin/python bench/contracting_run.py --releases 1000000 --phases import,compile
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = common.PROJECT_DIR / "var" / "bench" / "ocds"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/abierto_ocds_bench"
SCHEMA = common.PROJECT_DIR / "abierto" / "contracting" / "schema" / "release-schema.json"
PHASES = ("import", "compile", "validate", "redflags", "serve")
TARGET_RATIO = 5.0
TARGET_PEAK_MB = 400.0
TARGET_RECORD_P99_MS = 50.0
SEARCH_QUERY = "limpieza"
SEARCH_FILTERS = "&metodo=direct&anio=2023&moneda=MXN&orden=-monto"
# What is served under load: name, path ("{random}": a random record per request).
# The record endpoint before the searches: an uncached search at scale leaves the database busy
# for a while after its run.
TARGETS = {
    "minimal": ("minimal JSON view", "/bench/minimal/"),
    "record": ("record endpoint, random ocids", "/contrataciones/ocid/{random}/registro.json"),
    "search": ("search page, q", f"/contrataciones/?q={SEARCH_QUERY}"),
    "search-filters": (
        "search page, q + filters",
        f"/contrataciones/?q={SEARCH_QUERY}{SEARCH_FILTERS}",
    ),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 releases, SQLite, 1 run")
    parser.add_argument("--releases", type=int, default=100_000)
    parser.add_argument("--package", type=Path, help="default: var/bench/ocds/releases_N.json")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--phases", default=",".join(PHASES), help=f"of {','.join(PHASES)}")
    parser.add_argument("--validate-sample", type=int, default=5000, help="releases validated")
    parser.add_argument("--duration", type=float, default=10, help="seconds per load run")
    parser.add_argument("--runs", type=int, default=3, help="load runs per URL (median)")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--idle-wait", type=float, default=5)
    parser.add_argument(
        "--targets",
        default=",".join(TARGETS),
        help=f"URLs served under load, of {','.join(TARGETS)}",
    )
    parser.add_argument("--page-cache", default="on,off", help="serve with the cache on, off")
    parser.add_argument(
        "--redis-url",
        default="",
        help="serve with this Redis as the cache (production's; emptied before each server), "
        "instead of each worker's local memory",
    )
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    # Internal: one measurement in a fresh process.
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.releases = min(args.releases, 10_000)
        args.runs, args.duration, args.warmup, args.idle_wait = 1, 5, 2, 1
        args.validate_sample = min(args.validate_sample, 1000)
    args.phases = [p for p in args.phases.split(",") if p]
    args.targets = [t for t in args.targets.split(",") if t]
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    args.package = args.package or WORK_DIR / f"releases_{args.releases}.json"
    return args


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} {five:.1f} {fifteen:.1f}"


# ------------------------------------------------------------------------------ children


def _child_setup(url: str):
    """Django on the benchmark database, and a clock that also reads the backend's CPU."""
    common.setup_django(url)
    from django.db import connection

    from bench.datastore_run import Clock

    backend = None
    if common.is_postgres(url):
        connection.ensure_connection()
        backend = connection.connection.info.backend_pid
    return Clock(backend)


def _child_import(args: argparse.Namespace, url: str) -> dict:
    clock = _child_setup(url)
    from abierto.contracting import importing, services
    from abierto.contracting.models import Import, Publisher, Record
    from bench.contracting_generate import PREFIX

    publisher = Publisher.objects.filter(ocid_prefix=PREFIX).first() or services.publisher_save(
        actor=None, name="Benchmark de Abierto", ocid_prefix=PREFIX
    )
    import_ = Import.objects.create(publisher=publisher, source=Import.Source.UPLOAD)
    importing.load(import_, str(args.package))
    figures = clock.stop()
    return {
        "rows": import_.releases_stored,
        "status": import_.status,
        "error": import_.error,
        "releases_invalid": import_.releases_invalid,
        "releases_seen": import_.releases_seen,
        "record_compilations": import_.records_compiled,
        "records": Record.objects.count(),
        "issues": import_.report.get("issues", {}),
        **figures,
    }


def _child_compile(args: argparse.Namespace, url: str) -> dict:
    clock = _child_setup(url)
    from django.core.management import call_command

    from abierto.contracting.models import Record
    from bench.contracting_generate import PREFIX

    with open(os.devnull, "w") as quiet:
        call_command("recompile_records", publisher=PREFIX, stdout=quiet)
    figures = clock.stop()
    return {"rows": Record.objects.count(), **figures}


def _child_redflags(args: argparse.Namespace, url: str) -> dict:
    clock = _child_setup(url)
    from abierto.contracting import redflags
    from abierto.contracting.models import Record, RedFlag

    redflags.refresh(None)
    figures = clock.stop()
    return {"rows": Record.objects.count(), "flags": RedFlag.objects.count(), **figures}


def _child_validate(args: argparse.Namespace, url: str) -> dict:
    """The same releases through Abierto's checks, then through jsonschema alone."""
    import ijson

    clock = _child_setup(url)
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    from abierto.contracting import reading, standard, validation

    releases = []
    with args.package.open("rb") as fh:
        for release in ijson.items(fh, "releases.item", use_float=False):
            releases.append(reading.plain(release))
            if len(releases) >= args.validate_sample:
                break
    read = clock.stop()
    now = dt.datetime.now(dt.UTC)
    validation.release_issues(releases[0], now=now)  # compile the validator once, as on import
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    issues = sum(len(validation.release_issues(r, now=now)) for r in releases)
    abierto = {
        "seconds": time.perf_counter() - started_wall,
        "cpu_s": time.process_time() - started_cpu,
        "issues": issues,
    }
    # jsonschema alone, built here from the files, as the reference's offline call does.
    registry = Registry().with_resources(
        (
            standard.BASE_URL + name,
            Resource(
                contents=json.loads((standard.SCHEMA_DIR / name).read_text()),
                specification=DRAFT4,
            ),
        )
        for name in standard.SCHEMA_FILES
    )
    schema = json.loads(SCHEMA.read_text())
    validator = Draft4Validator(schema, registry=registry, format_checker=FormatChecker())
    list(validator.iter_errors(releases[0]))
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    errors = sum(1 for r in releases for _ in validator.iter_errors(r))
    alone = {
        "seconds": time.perf_counter() - started_wall,
        "cpu_s": time.process_time() - started_cpu,
        "errors": errors,
    }
    return {
        "rows": len(releases),
        "read_s": read["seconds"],
        "abierto": abierto,
        "jsonschema": alone,
    }


CHILDREN = {
    "import": _child_import,
    "compile": _child_compile,
    "redflags": _child_redflags,
    "validate": _child_validate,
}


def child_main(args: argparse.Namespace) -> int:
    import resource

    url = os.environ["DATABASE_URL"]
    figures = CHILDREN[args.child](args, url)
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))
    return 0


def _run_child(name: str, args: argparse.Namespace, url: str) -> dict:
    from bench.datastore_run import _django_env

    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        name,
        "--package",
        str(args.package),
        "--validate-sample",
        str(args.validate_sample),
    ]
    load_before = _load()
    done = subprocess.run(  # noqa: S603
        command, cwd=common.PROJECT_DIR, env=_django_env(url), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["load_before"], figures["load_after"] = load_before, _load()
    return figures


def _ocdskit(args: argparse.Namespace) -> dict:
    """`ocdskit compile --schema <local>` on the package; records/s, peak memory (wait4)."""
    from bench.datastore_run import PEERS_VENV, ensure_peers_venv

    ensure_peers_venv()
    ocdskit = PEERS_VENV / "bin" / "ocdskit"
    load_before = _load()
    out_path = WORK_DIR / f"ocdskit-compiled-{os.getpid()}.jsonl"
    started = time.perf_counter()
    with args.package.open("rb") as stdin, out_path.open("wb") as stdout:
        process = subprocess.Popen(  # noqa: S603
            [str(ocdskit), "compile", "--schema", str(SCHEMA)],
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"ocdskit compile failed:\n{process.stderr.read().decode()[-3000:]}")
    with out_path.open("rb") as fh:
        records = sum(1 for _ in fh)
    out_path.unlink()
    return {
        "rows": records,
        "releases": args.releases,
        "seconds": seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "db_cpu_s": 0.0,
        "peak_mb": usage.ru_maxrss / 1024,
        "load_before": load_before,
        "load_after": _load(),
        "command": f"ocdskit compile --schema {SCHEMA.relative_to(common.PROJECT_DIR)} < package",
    }


# ---------------------------------------------------------------------------------- serving


def _child_serve(args: argparse.Namespace, url: str) -> int:
    """gunicorn on the loaded database; search pages and random record endpoints under wrk."""
    os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
    common.setup_django(url)
    import random

    from django.core.management import call_command

    from abierto.contracting.models import Record
    from bench import run

    run.LOG_DIR.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    ocids = list(Record.objects.values_list("ocid", flat=True))
    rng = random.Random(7)
    paths_file = WORK_DIR / f"record-paths-{os.getpid()}.txt"
    paths_file.write_text(
        "\n".join(
            f"/contrataciones/ocid/{ocid}/registro.json"
            for ocid in rng.sample(ocids, min(2000, len(ocids)))
        )
        + "\n"
    )
    os.environ["BENCH_PATHS"] = str(paths_file)
    targets = [TARGETS[key] for key in TARGETS if key in args.targets]
    out = {
        "database": "PostgreSQL" if common.is_postgres(url) else "SQLite",
        "cache": "redis" if args.redis_url else "locmem",
        "results": {},
    }
    for cached in [mode == "on" for mode in args.page_cache.split(",")]:
        os.environ["PAGE_CACHE_SECONDS"] = "600" if cached else "0"
        if args.redis_url:
            import redis

            # Shared by the workers, as in production (docs/deploy.md); each worker's local
            # memory instead keeps at most LOCMEM_CACHE_ENTRIES pages, and culls a third of
            # them when full: random records then keep missing it.
            redis.Redis.from_url(args.redis_url).flushdb()
            os.environ["REDIS_URL"] = args.redis_url
        server = run.Server(run._free_port(), args.workers, args.threads, url)
        label = f"page cache {'on' if cached else 'off'}"
        kind = "Redis" if args.redis_url else "each worker's memory"
        print(
            f"\n  {out['database']}, {label} ({kind}): "
            f"gunicorn {args.workers} x {args.threads}, wrk"
        )
        results = []
        try:
            server.start()
            first = paths_file.read_text().split("\n", 1)[0]
            for name, path in targets:
                probe = first if "{random}" in path else path
                # One visitor alone, before the load: the first request warms caches. A page
                # that takes minutes (an uncached search at scale) is timed once, not skipped.
                single = []
                for _ in range(4):
                    started = time.perf_counter()
                    status = _get(server.port, probe)
                    if status != 200:
                        raise RuntimeError(f"{probe} answers HTTP {status}")
                    single.append((time.perf_counter() - started) * 1000)
                    if single[-1] > 5000:
                        single = [single[-1]] * 2
                        break
                samples = []
                _wrk(server.port, path, args.warmup, args.connections)
                for number in range(args.runs):
                    busy = run._wait_for_quiet(args.idle_wait)
                    before = server.cpu_ticks()
                    sample = _wrk(server.port, path, args.duration, args.connections)
                    after = server.cpu_ticks()
                    per = 1000 / run.TICKS / max(1, sample["requests"])
                    sample["server_cpu_ms"] = run._ticks_between(before[0], after[0]) * per
                    sample["db_cpu_ms"] = run._ticks_between(before[1], after[1]) * per
                    sample["busy_before"] = busy
                    sample["load"] = _load()
                    samples.append(sample)
                    print(
                        f"    run {number + 1}: {name:<30} {sample['rps']:8.1f} req/s  "
                        f"p50 {sample['p50_ms']:7.1f}  p99 {sample['p99_ms']:7.1f} ms  "
                        f"errors {sample['errors']}  CPU/req {sample['server_cpu_ms']:.2f}"
                        f"+{sample['db_cpu_ms']:.2f} ms  (busy before {busy:.0%}, "
                        f"load {sample['load']})",
                        flush=True,
                    )
                results.append(
                    {
                        "name": name,
                        "path": path,
                        "single_ms": statistics.median(single[1:]),
                        **{
                            key: statistics.median(s[key] for s in samples)
                            for key in (
                                "rps",
                                "p50_ms",
                                "p99_ms",
                                "server_cpu_ms",
                                "db_cpu_ms",
                            )
                        },
                        "errors": sum(s["errors"] for s in samples),
                        "runs": samples,
                    }
                )
        finally:
            server.stop()
        out["results"][label] = results
    args.out.write_text(json.dumps(out, indent=2))
    return 0


def _get(port: int, path: str) -> int:
    import http.client

    from bench import run

    connection = http.client.HTTPConnection(run.HOST, port, timeout=600)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _wrk(port: int, path: str, seconds: float, connections: int) -> dict:
    """wrk with the report script, or with the random-ocid script for `{random}` paths."""
    import re

    from bench import run

    script = "wrk_random_paths.lua" if "{random}" in path else "wrk_report.lua"
    url_path = "/" if "{random}" in path else path
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(BENCH_DIR / script),
        f"http://{run.HOST}:{port}{url_path}",
    ]
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    match = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"Unexpected wrk output:\n{output}")
    f = {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}
    errors = sum(
        f[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return {
        "requests": f["requests"],
        "rps": f["requests"] / (f["duration_us"] / 1e6),
        "p50_ms": f["p50_us"] / 1000,
        "p99_ms": f["p99_us"] / 1000,
        "errors": errors,
    }


def _serve(args: argparse.Namespace, url: str) -> dict:
    from bench.datastore_run import _django_env

    out = WORK_DIR / f"serve-{os.getpid()}.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        "serve",
        "--out",
        str(out),
        *(f"--{k}={getattr(args, k.replace('-', '_'))}" for k in ("duration", "runs", "warmup")),
        *(f"--{k}={getattr(args, k.replace('-', '_'))}" for k in ("connections", "workers")),
        f"--threads={args.threads}",
        f"--idle-wait={args.idle_wait}",
        f"--page-cache={args.page_cache}",
        f"--redis-url={args.redis_url}",
        f"--targets={','.join(args.targets)}",
    ]
    subprocess.run(command, cwd=common.PROJECT_DIR, env=_django_env(url), check=True)  # noqa: S603
    return json.loads(out.read_text())


# ------------------------------------------------------------------------------- the driver


def _prepare(database: str, args: argparse.Namespace) -> str:
    from bench.datastore_run import _migrate

    if database == "postgres":
        url = args.postgres_url
        if "import" in args.phases:
            common.ensure_postgres_database(url, recreate=True)
    else:
        path = WORK_DIR / f"contracting-{args.releases}.sqlite3"
        url = f"sqlite:///{path}"
        if "import" in args.phases:
            common.remove_sqlite_database(url)
    _migrate(url)
    return url


def _rate(figures: dict, size: int | None = None) -> None:
    figures["per_s"] = figures["rows"] / figures["seconds"] if figures["seconds"] else 0.0
    cpu = figures.get("cpu_s", 0.0) + figures.get("db_cpu_s", 0.0)
    figures["per_cpu_s"] = figures["rows"] / cpu if cpu else 0.0
    if size:
        figures["mb_per_s"] = size / 1e6 / figures["seconds"]


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _print_phase(name: str, f: dict, unit: str) -> None:
    db = f" + db {f['db_cpu_s']:.1f}" if f.get("db_cpu_s") else ""
    mb = f", {f['mb_per_s']:.2f} MB/s" if "mb_per_s" in f else ""
    print(
        f"  {name:<28} {f['rows']:>9,} {unit:<8} {f['seconds']:8.1f} s wall  "
        f"{f['per_s']:8.1f} {unit}/s{mb}  ({f['per_cpu_s']:.1f} per CPU s; CPU {f['cpu_s']:.1f} s"
        f"{db})  peak {f['peak_mb']:.0f} MB  load {f['load_before']} → {f['load_after']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child == "serve":
        return _child_serve(args, os.environ["DATABASE_URL"])
    if args.child:
        return child_main(args)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    if not args.package.exists():
        from bench import contracting_generate

        print(f"Generating {args.package} …", flush=True)
        contracting_generate.write(args.package, args.releases, "state", 20261126)
    size = args.package.stat().st_size
    info_path = args.package.with_suffix(".info.json")
    info = json.loads(info_path.read_text()) if info_path.exists() else {}
    started = dt.datetime.now(dt.UTC)
    print(
        f"Package {args.package.name}: {args.releases:,} releases, {size / 1e6:.1f} MB; "
        f"{os.cpu_count()} cores, load average {_load()}",
        flush=True,
    )
    report: dict = {
        "date": started.isoformat(timespec="seconds"),
        "package": str(args.package),
        "releases": args.releases,
        "bytes": size,
        "processes": info.get("processes"),
        "phases": args.phases,
        "databases": {},
    }
    if "validate" in args.phases:
        from bench.common import DEFAULT_DATABASE_URL

        figures = _run_child("validate", args, DEFAULT_DATABASE_URL)
        for side in ("abierto", "jsonschema"):
            part = figures[side]
            part["per_s"] = figures["rows"] / part["seconds"]
            part["per_cpu_s"] = figures["rows"] / part["cpu_s"] if part["cpu_s"] else 0.0
        report["validation"] = figures
        a, j = figures["abierto"], figures["jsonschema"]
        print(
            f"\nValidation of {figures['rows']:,} releases (load {figures['load_before']}):\n"
            f"  Abierto (schema + codelists + additional fields + coherence): "
            f"{a['per_s']:8.1f} releases/s ({a['per_cpu_s']:.1f} per CPU s), {a['issues']} issues\n"
            f"  jsonschema alone (Draft4Validator, format checks):             "
            f"{j['per_s']:8.1f} releases/s ({j['per_cpu_s']:.1f} per CPU s), {j['errors']} errors\n"
            f"  ratio Abierto / jsonschema: {a['per_s'] / j['per_s']:.2f} "
            f"(per CPU s {a['per_cpu_s'] / j['per_cpu_s']:.2f})",
            flush=True,
        )
    if "compile" in args.phases:
        print("\nocdskit compile (peer, same package) …", flush=True)
        ocdskit = _ocdskit(args)
        _rate(ocdskit)
        ocdskit["releases_per_s"] = args.releases / ocdskit["seconds"]
        ocdskit["releases_per_cpu_s"] = args.releases / ocdskit["cpu_s"]
        report["ocdskit"] = ocdskit
        _print_phase("ocdskit compile", ocdskit, "records")
        print(f"  ocdskit: {ocdskit['releases_per_s']:.1f} releases/s", flush=True)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    for database in databases:
        url = _prepare(database, args)
        label = "PostgreSQL" if database == "postgres" else "SQLite"
        print(f"\n{label} ({common.describe(url)})", flush=True)
        figures: dict = {}
        report["databases"][label] = figures
        for phase in ("import", "compile", "redflags"):
            if phase not in args.phases:
                continue
            result = _run_child(phase, args, url)
            _rate(result, size if phase == "import" else None)
            figures[phase] = result
            unit = "releases" if phase == "import" else "records"
            _print_phase(
                {"import": "import", "compile": "Abierto compile", "redflags": "red flags"}[phase],
                result,
                unit,
            )
            if phase == "import" and result["status"] != "done":
                raise RuntimeError(f"import ended {result['status']}: {result['error']}")
        if args.json:  # the figures so far survive a failure while serving
            args.json.write_text(json.dumps(report, indent=2))
        if "serve" in args.phases:
            figures["serve"] = _serve(args, url)
        _targets(report, label)
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
    _summary(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"\nFigures written to {args.json}")
    return 0


def _targets(report: dict, label: str) -> None:
    figures = report["databases"][label]
    ocdskit = report.get("ocdskit")
    goals = figures.setdefault("targets", {})
    if ocdskit and "import" in figures:
        ratio = figures["import"]["per_s"] / ocdskit["releases_per_s"]
        cpu_ratio = figures["import"]["per_cpu_s"] / ocdskit["releases_per_cpu_s"]
        goals["import_ratio"] = {
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
            "met": ratio >= TARGET_RATIO,
        }
    if "import" in figures:
        peak = figures["import"]["peak_mb"]
        goals["import_peak"] = {"peak_mb": peak, "met": peak < TARGET_PEAK_MB}
    if ocdskit and "compile" in figures:
        ratio = figures["compile"]["per_s"] / ocdskit["per_s"]
        cpu_ratio = figures["compile"]["per_cpu_s"] / ocdskit["per_cpu_s"]
        goals["compile_ratio"] = {
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
            "met": ratio >= TARGET_RATIO,
        }
    if "compile" in figures:
        peak = figures["compile"]["peak_mb"]
        goals["compile_peak"] = {"peak_mb": peak, "met": peak < TARGET_PEAK_MB}
    for cache, results in figures.get("serve", {}).get("results", {}).items():
        for result in results:
            if result["name"].startswith("record endpoint"):
                goals[f"record_p99 ({cache})"] = {
                    "p99_ms": result["p99_ms"],
                    "met": result["p99_ms"] < TARGET_RECORD_P99_MS,
                }


def _summary(report: dict) -> None:
    print("\nSummary")
    ocdskit = report.get("ocdskit")
    for label, figures in report["databases"].items():
        print(f"\n  {label}")
        goals = figures.get("targets", {})
        if "import_ratio" in goals:
            g = goals["import_ratio"]
            print(
                f"    import {figures['import']['per_s']:.1f} releases/s = {g['ratio']:.2f}x "
                f"ocdskit compile's {ocdskit['releases_per_s']:.1f} "
                f"(per CPU s {g['cpu_ratio']:.2f}x); "
                f"target >= {TARGET_RATIO:g}x: {_met(g['met'])}"
            )
        if "import_peak" in goals:
            g = goals["import_peak"]
            print(
                f"    import peak {g['peak_mb']:.0f} MB; "
                f"target < {TARGET_PEAK_MB:g} MB: {_met(g['met'])}"
            )
        if "compile_ratio" in goals:
            g = goals["compile_ratio"]
            print(
                f"    compile {figures['compile']['per_s']:.1f} records/s = {g['ratio']:.2f}x "
                f"ocdskit's {ocdskit['per_s']:.1f} (per CPU s {g['cpu_ratio']:.2f}x); "
                f"target >= {TARGET_RATIO:g}x: {_met(g['met'])}"
            )
        if "compile_peak" in goals:
            g = goals["compile_peak"]
            print(
                f"    compile peak {g['peak_mb']:.0f} MB (ocdskit {ocdskit['peak_mb']:.0f} MB); "
                f"target < {TARGET_PEAK_MB:g} MB: {_met(g['met'])}"
            )
        if "redflags" in figures:
            f = figures["redflags"]
            print(f"    red flags {f['per_s']:.1f} records/s ({f['flags']:,} flags)")
        for cache, results in figures.get("serve", {}).get("results", {}).items():
            print(f"    under load, {cache}:")
            base = results[0]["rps"] or 1
            for r in results:
                print(
                    f"      {r['name']:<30} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f}  "
                    f"p99 {r['p99_ms']:6.1f} ms  errors {r['errors']}  "
                    f"ratio {r['rps'] / base:.2f}  "
                    f"CPU/req {r['server_cpu_ms'] + r['db_cpu_ms']:.2f} ms  "
                    f"one request {r['single_ms']:.1f} ms"
                )
        for name, g in goals.items():
            if name.startswith("record_p99"):
                print(
                    f"    {name}: {g['p99_ms']:.1f} ms; target < {TARGET_RECORD_P99_MS:g} ms: "
                    f"{_met(g['met'])}"
                )


if __name__ == "__main__":
    raise SystemExit(main())
