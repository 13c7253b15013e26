"""The datastore benchmark: Abierto's loader and datastore_search against their peers.

Ingestion. The generated public-spending CSV (bench/datastore_generate.py: 1,000,000 rows,
12 columns, about 247 MB; and its 100,000-row version) is loaded, each run in a fresh child
process, by:

- Abierto's loader (`abierto.datastore.loader.load_path`) on SQLite and on PostgreSQL;
- plain Python `csv` + `sqlite3` into a typed table (the peer of the SQLite loader);
- PostgreSQL's COPY (psycopg, `COPY … FROM STDIN`, 1 MB blocks) into a typed table (the peer
  of the PostgreSQL loader);
- sqlite-utils' `insert --csv`, which detects types (its own venv); DuckDB's `read_csv` (reference);
- COPY into the datastore's own table shape (`_id`, the stored tsvector, then the GIN index;
  reference: the floor for any loader producing that table).

Every loader gets the same bytes and makes the same column types (the ones Abierto infers:
text, date, int, numeric); the peers are told the types, Abierto finds them. Each figure is
the median of several runs, interleaved (run k of every loader before run k + 1 of any):
rows/s, MB/s (file bytes), and peak memory (the child's own `ru_maxrss`: PostgreSQL's
server processes are not counted), with the ratio to the peer;
and rows per CPU second (the loading process plus its PostgreSQL backend), which hold still
on a shared machine where wall-clock rates follow the neighbours' load.
Targets (issue): Abierto on PostgreSQL >= 80 % of COPY's rows/s, on SQLite >= 80 % of csv +
sqlite3's, peak memory under 300 MB for the 247 MB file.

Serving. The 1,000,000-row table is loaded once by Abierto on each database and served by
gunicorn (as bench/run.py does: 2 workers x 4 threads); the same rows are copied into a
SQLite file served by Datasette (FTS built by sqlite-utils' enable-fts over the same text
columns and tokenizer). wrk drives, at 32 connections, the same three queries on both: the
first page, a filter on municipio, a full-text query; Abierto with and without its page
cache, Datasette out of the box and with facets and counts off. Target (issue):
datastore_search >= 3x Datasette's requests/s on each query, p99 < 100 ms.

    .venv/bin/python bench/datastore_run.py            # everything (about 50 minutes)
    .venv/bin/python bench/datastore_run.py --quick    # 100,000 rows, 1 run each (smoke run)
    .venv/bin/python bench/datastore_run.py --report var/bench/datastore/last.json

PostgreSQL: --postgres-url (default postgresql://postgres@127.0.0.1:5432/abierto_ds_bench,
created when missing); --no-postgres skips it. --only-ingest / --only-serve split the work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench import datastore_generate as generate  # noqa: E402

WORK_DIR = common.PROJECT_DIR / "var" / "bench" / "datastore"
PEERS_VENV = common.PROJECT_DIR / "var" / "bench" / "peers-venv"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/abierto_ds_bench"
# Fixed resource ids, so that reruns replace the tables they made before.
INGEST_RESOURCE = "b3c4e5f6-0000-4000-8000-000000000001"
SERVE_RESOURCE = "b3c4e5f6-0000-4000-8000-000000000002"
TARGET_INGEST_RATIO = 0.80
TARGET_PEAK_MB = 300
TARGET_SERVE_RATIO = 3.0
TARGET_P99_MS = 100.0
FILTER_MUNICIPIO = "Ocotlán"
FULL_TEXT_QUERY = "papeleria"  # without its accent: «papelería» must match
SQLITE_TYPES = {"text": "TEXT", "int": "INTEGER", "numeric": "REAL", "date": "TEXT"}
POSTGRES_TYPES = {"text": "text", "int": "bigint", "numeric": "numeric", "date": "date"}


@dataclass
class Loader:
    name: str
    label: str
    database: str  # "sqlite" or "postgres"
    venv: str = "main"  # "main" (.venv) or "peers" (var/bench/peers-venv)
    peer: str = ""  # the loader this one is held to (Abierto's loaders only)
    reference: bool = False  # shown, not compared
    slow: bool = False  # runs once on the big file (sqlite-utils: about 2 minutes a run)
    # Not a run of its own: the moment another loader's rows serve (before its text index).
    served_of: str = ""


LOADERS = [
    Loader("copy", "PostgreSQL COPY (typed table)", "postgres"),
    Loader(
        "copy-datastore-shape",
        "COPY into the datastore's table, then its text index",
        "postgres",
        reference=True,
    ),
    Loader("abierto-postgres", "Abierto loader, PostgreSQL", "postgres", peer="copy"),
    Loader(
        "abierto-postgres-served",
        "  of which: rows serving (text index next)",
        "postgres",
        peer="copy",
        served_of="abierto-postgres",
    ),
    Loader("csv-sqlite3", "Python csv + sqlite3 (typed table)", "sqlite"),
    Loader("abierto-sqlite", "Abierto loader, SQLite", "sqlite", peer="csv-sqlite3"),
    Loader(
        "abierto-sqlite-served",
        "  of which: rows serving (text index next)",
        "sqlite",
        peer="csv-sqlite3",
        served_of="abierto-sqlite",
    ),
    Loader(
        "sqlite-utils",
        "sqlite-utils insert --csv (detects types)",
        "sqlite",
        venv="peers",
        slow=True,
    ),
    Loader("duckdb", "DuckDB read_csv (reference)", "duckdb", venv="peers", reference=True),
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 1 run, short loads")
    parser.add_argument("--rows", type=int, nargs="+", help="file sizes (1000000 100000)")
    parser.add_argument("--runs", type=int, help="ingestion runs per loader (3; quick: 1)")
    parser.add_argument("--loaders", nargs="+", help="only these loaders (names as printed)")
    parser.add_argument(
        "--slow-peers", action="store_true", help="also sqlite-utils on the big file (minutes)"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only-ingest", action="store_true")
    parser.add_argument(
        "--no-checkpoint",
        action="store_true",
        help="PostgreSQL: do not CHECKPOINT before each timed load (as before 29 November)",
    )
    parser.add_argument("--only-serve", action="store_true")
    parser.add_argument("--serve-rows", type=int, help="rows of the served table (1,000,000)")
    parser.add_argument(
        "--reload",
        action="store_true",
        help="load the served table again even if it is there (after a loader or index change)",
    )
    parser.add_argument("--duration", type=float, help="seconds per load run (10; quick: 3)")
    parser.add_argument("--serve-runs", type=int, help="load runs per URL (3; quick: 1)")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--idle-wait", type=float, default=10)
    parser.add_argument(
        "--json", type=Path, help="write the results here (default var/bench/datastore/last.json)"
    )
    parser.add_argument("--report", type=Path, help="only print the tables of a --json file")
    # Internal: one loader run in this (fresh) process; one database's serving measurements.
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--serve-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.rows = args.rows or ([100_000] if quick else [1_000_000, 100_000])
    args.runs = args.runs or (1 if quick else 3)
    args.serve_rows = args.serve_rows or (100_000 if quick else 1_000_000)
    args.duration = args.duration or (3 if quick else 10)
    args.serve_runs = args.serve_runs or (1 if quick else 3)
    if quick:
        args.warmup = min(args.warmup, 1)
        args.idle_wait = min(args.idle_wait, 2)
    return args


# ----------------------------------------------------------------------------- the children


class Clock:
    """Wall time, this process's CPU time and, on PostgreSQL, the CPU time of the server
    process (backend) doing the work: CPU figures hold still on a shared machine where
    wall-clock rates move with the neighbours' load."""

    def __init__(self, backend_pid: int | None = None) -> None:
        from bench import run

        self._ticks = run._process_ticks
        self._tick = run.TICKS
        self.backend_pid = backend_pid
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        self.db = self._ticks(backend_pid) if backend_pid else 0
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter() - self.wall

    def stop(self) -> dict:
        figures = {
            "seconds": time.perf_counter() - self.wall,
            "cpu_s": time.process_time() - self.cpu,
            "db_cpu_s": 0.0,
        }
        if self.backend_pid:
            figures["db_cpu_s"] = (self._ticks(self.backend_pid) - self.db) / self._tick
        if self.marks:
            figures["phases"] = self.marks
        return figures


def _report(rows: int, clock: dict, **extra) -> None:
    """The child's answer: one JSON line on stdout, with its own peak memory."""
    import resource

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"rows": rows, **clock, "peak_mb": peak_kb / 1024, **extra}))


def _child_csv_sqlite3(csv_path: Path, target: str) -> None:
    """The plain way: csv.reader, Python conversions, one executemany in one transaction."""
    import csv

    def nullable(convert):
        return lambda v: convert(v) if v else None

    def day_first(v: str) -> str:
        day, month, year = v.split("/")
        return f"{year}-{month:0>2}-{day:0>2}"

    converters = {
        "text": lambda v: v or None,
        "int": nullable(int),
        "numeric": nullable(float),
        "date": nullable(day_first),
    }
    clock = Clock()
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    with csv_path.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        header = next(reader)
        kinds = dict(generate.COLUMNS)
        convert = [converters[kinds[name]] for name in header]
        columns = ", ".join(f'"{name}" {SQLITE_TYPES[kinds[name]]}' for name in header)
        db.execute("BEGIN")
        db.execute(f'CREATE TABLE gasto ("_id" INTEGER PRIMARY KEY, {columns})')
        names = ", ".join(f'"{name}"' for name in header)
        marks = ", ".join("?" * len(header))
        db.executemany(
            f"INSERT INTO gasto ({names}) VALUES ({marks})",  # noqa: S608 - the file's header
            ([c(v) for c, v in zip(convert, row, strict=True)] for row in reader),
        )
        db.execute("COMMIT")
    figures = clock.stop()
    (rows,) = db.execute("SELECT count(*) FROM gasto").fetchone()
    _report(rows, figures)


def _postgres_columns() -> str:
    return ", ".join(f'"{name}" {POSTGRES_TYPES[kind]}' for name, kind in generate.COLUMNS)


def _copy_sql(table: str) -> str:
    names = ", ".join(f'"{name}"' for name, _ in generate.COLUMNS)
    return f'COPY "{table}" ({names}) FROM STDIN (FORMAT csv, HEADER true)'


def _child_copy(csv_path: Path, url: str) -> None:
    """PostgreSQL's own bulk load: the file's bytes streamed to COPY, nothing else."""
    import psycopg

    with psycopg.connect(url) as connection:
        clock = Clock(connection.info.backend_pid)
        connection.execute("SET DateStyle = 'ISO, DMY'")
        connection.execute("DROP TABLE IF EXISTS bench_copy")
        connection.execute(f"CREATE TABLE bench_copy ({_postgres_columns()})")
        with (
            connection.cursor() as cursor,
            cursor.copy(_copy_sql("bench_copy")) as copy,
            csv_path.open("rb") as source,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        connection.commit()
        figures = clock.stop()
        (rows,) = connection.execute("SELECT count(*) FROM bench_copy").fetchone()
        connection.execute("DROP TABLE bench_copy")
    _report(rows, figures)


def _child_copy_datastore_shape(csv_path: Path, url: str) -> None:
    """COPY into the table schema.create_table makes, then schema.index_table: the least any
    loader producing the datastore's table can cost on PostgreSQL."""
    common.setup_django(url)
    from django.db import connections

    from abierto.datastore import schema

    fields = [schema.Field(name, kind) for name, kind in generate.COLUMNS]
    physical = "bench_copy_shape"
    connection = connections["datastore"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        clock = Clock(cursor.fetchone()[0])
        schema.ensure_ready(cursor)
        schema.create_table(cursor, physical, fields)
        cursor.execute("SET DateStyle = 'ISO, DMY'")
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(_copy_sql(physical)) as copy, csv_path.open("rb") as source:
            while block := source.read(1 << 20):
                copy.write(block)
        clock.mark("copy")
        schema.index_table(cursor, physical, fields)
        figures = clock.stop()
        cursor.execute(f'SELECT count(*) FROM "{physical}"')  # noqa: S608
        (rows,) = cursor.fetchone()
        cursor.execute(f'DROP TABLE "{physical}"')
    _report(rows, figures)


def _child_abierto(csv_path: Path, url: str) -> None:
    """Abierto's loader, as the load task calls it (the database comes from the environment:
    DATABASE_URL, and DATASTORE_URL for a SQLite datastore file of its own)."""
    common.setup_django(url)
    from django.db import connections

    from abierto.datastore import loader

    backend = None
    if connections["datastore"].vendor == "postgresql":
        with connections["datastore"].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    clock = Clock(backend)
    served: dict = {}
    table = loader.load_path(
        csv_path,
        resource_id=INGEST_RESOURCE,
        public=True,
        on_served=lambda _table: served.update(clock.stop()),
    )
    figures = clock.stop()
    figures["served"] = served
    with connections["datastore"].cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table.physical}"')  # noqa: S608
        (rows,) = cursor.fetchone()
    _report(rows, figures, types={f.id: f.type for f in table.fields})


def _child_sqlite_utils(csv_path: Path, target: str) -> None:
    """sqlite-utils' CLI, in-process: `sqlite-utils insert DB gasto FILE --csv` (its 4.x
    detects the column types by default)."""
    from sqlite_utils.cli import cli

    clock = Clock()
    cli.main(["insert", target, "gasto", str(csv_path), "--csv"], standalone_mode=False)
    figures = clock.stop()
    db = sqlite3.connect(target)
    (rows,) = db.execute("SELECT count(*) FROM gasto").fetchone()
    _report(rows, figures)


def _child_duckdb(csv_path: Path, target: str) -> None:
    import duckdb

    types = {"text": "VARCHAR", "int": "BIGINT", "numeric": "DECIMAL(18,2)", "date": "DATE"}
    columns = ", ".join(f"'{name}': '{types[kind]}'" for name, kind in generate.COLUMNS)
    clock = Clock()
    db = duckdb.connect(target)
    sql = (
        "CREATE TABLE gasto AS SELECT * FROM read_csv(?, header = true, "  # noqa: S608
        f"dateformat = '%d/%m/%Y', columns = {{{columns}}})"
    )
    db.execute(sql, [str(csv_path)])
    figures = clock.stop()
    (rows,) = db.execute("SELECT count(*) FROM gasto").fetchone()
    _report(rows, figures)


CHILDREN = {
    "csv-sqlite3": _child_csv_sqlite3,
    "copy": _child_copy,
    "copy-datastore-shape": _child_copy_datastore_shape,
    "abierto-sqlite": _child_abierto,
    "abierto-postgres": _child_abierto,
    "sqlite-utils": _child_sqlite_utils,
    "duckdb": _child_duckdb,
}


# ------------------------------------------------------------------------------ ingestion


@dataclass
class IngestResult:
    loader: str
    label: str
    rows: int
    bytes: int
    runs: list[dict] = field(default_factory=list)
    skipped: str = ""

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.runs) if self.runs else 0.0

    @property
    def rows_per_s(self) -> float:
        return self.median("rows_per_s")

    @property
    def mb_per_s(self) -> float:
        return self.median("mb_per_s")

    @property
    def peak_mb(self) -> float:
        return max((r["peak_mb"] for r in self.runs), default=0.0)


def ensure_peers_venv() -> Path:
    """var/bench/peers-venv with the `bench` extra's pins from pyproject.toml (Datasette,
    sqlite-utils, DuckDB): kept apart from .venv so that their dependencies never move the
    platform's."""
    python = PEERS_VENV / "bin" / "python"
    pyproject = tomllib.loads((common.PROJECT_DIR / "pyproject.toml").read_text())
    pins = pyproject["project"]["optional-dependencies"]["bench"]
    stamp = PEERS_VENV / "pins.json"
    if python.exists() and stamp.exists() and json.loads(stamp.read_text()) == pins:
        return python
    print(f"Installing {', '.join(pins)} into {PEERS_VENV} …", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *pins], check=True)
    stamp.write_text(json.dumps(pins))
    return python


def _python_for(loader: Loader) -> str:
    return str(PEERS_VENV / "bin" / "python") if loader.venv == "peers" else sys.executable


def _migrate(url: str, datastore_url: str | None = None) -> None:
    """Bring a benchmark database's platform tables up (the loader may record its jobs)."""
    env = _django_env(url, datastore_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=common.PROJECT_DIR,
        env=env,
        check=True,
    )


def _django_env(url: str, datastore_url: str | None = None) -> dict[str, str]:
    env = os.environ | {
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": common.SETTINGS_MODULE,
        "DEBUG": "false",
        "PYTHONPATH": str(common.PROJECT_DIR),
    }
    if datastore_url:
        env["DATASTORE_URL"] = datastore_url
    else:
        env.pop("DATASTORE_URL", None)
    return env


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".wal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _checkpoint(url: str) -> None:
    """Write out what earlier runs left in PostgreSQL's WAL before a timed load starts.

    Without it a run pays for its predecessor: the checkpoint of the WAL that Abierto's text
    index wrote (a minute or two of writing) fell in the next loads; on 29 November Abierto's
    rows served 0.5 s later without it (3.82 s against 3.28, median of 3) while COPY hardly
    moved (bench/README.md)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CHECKPOINT")


def run_once(loader: Loader, csv_path: Path, args: argparse.Namespace) -> dict:
    """One load in a fresh child process; returns its figures."""
    site = WORK_DIR / "ingest-site.sqlite3"
    env = os.environ | {"PYTHONPATH": str(common.PROJECT_DIR)}
    if loader.database == "postgres":
        target = args.postgres_url
        env = _django_env(args.postgres_url)
        if not args.no_checkpoint:
            _checkpoint(args.postgres_url)
    else:
        suffix = "duckdb" if loader.database == "duckdb" else "sqlite3"
        target_path = WORK_DIR / f"ingest-{loader.name}.{suffix}"
        _remove_sqlite(target_path)
        target = str(target_path)
        if loader.name == "abierto-sqlite":
            env = _django_env(_sqlite_url(site), _sqlite_url(target_path))
            target = _sqlite_url(site)
    command = [
        _python_for(loader),
        str(Path(__file__).resolve()),
        "--child",
        loader.name,
        "--csv",
        str(csv_path),
        "--target",
        target,
    ]
    done = subprocess.run(  # noqa: S603
        command, cwd=common.PROJECT_DIR, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{loader.name} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    _rates(figures, csv_path.stat().st_size)
    if figures.get("served"):
        served = figures["served"]
        served.update(rows=figures["rows"], peak_mb=figures["peak_mb"])
        _rates(served, csv_path.stat().st_size)
    return figures


def _rates(figures: dict, size: int) -> None:
    figures["rows_per_s"] = figures["rows"] / figures["seconds"]
    figures["mb_per_s"] = size / 1e6 / figures["seconds"]
    cpu = figures["cpu_s"] + figures["db_cpu_s"]
    figures["rows_per_cpu_s"] = figures["rows"] / cpu if cpu else 0.0


def run_ingestion(args: argparse.Namespace) -> list[IngestResult]:
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    loaders = [
        loader
        for loader in LOADERS
        if (not args.loaders or loader.name in args.loaders)
        and not (args.no_postgres and loader.database == "postgres")
        and not loader.served_of
    ]
    served_by = {loader.served_of: loader for loader in LOADERS if loader.served_of}
    if any(loader.name == "abierto-sqlite" for loader in loaders):
        _migrate(_sqlite_url(WORK_DIR / "ingest-site.sqlite3"))
    if any(loader.database == "postgres" for loader in loaders):
        common.ensure_postgres_database(args.postgres_url)
        _migrate(args.postgres_url)
    results: list[IngestResult] = []
    for rows in args.rows:
        info = generate.ensure(rows)
        csv_path = generate.default_path(rows)
        print(f"\nIngestion of {csv_path.name}: {rows:,} rows, {info['bytes'] / 1e6:,.1f} MB")
        planned: list[tuple[Loader, IngestResult, IngestResult | None, int]] = []
        for loader in loaders:
            result = IngestResult(loader.name, loader.label, rows, info["bytes"])
            results.append(result)
            served_loader = served_by.get(loader.name)
            served = None
            if served_loader is not None:
                served = IngestResult(served_loader.name, served_loader.label, rows, info["bytes"])
                results.append(served)
            if loader.name.startswith("abierto") and not _has_loader():
                result.skipped = "abierto/datastore/loader.py is not there yet"
                print(f"  {loader.name:<22} skipped: {result.skipped}", flush=True)
                continue
            if loader.slow and rows >= 1_000_000 and not args.slow_peers:
                result.skipped = "slow: measured on the 100,000-row file (--slow-peers runs it)"
                print(f"  {loader.name:<22} skipped: {result.skipped}", flush=True)
                continue
            # Slow peers and references: once on the big file, to keep the run short.
            big = rows >= 1_000_000
            runs = 1 if big and (loader.slow or loader.reference) else args.runs
            planned.append((loader, result, served, runs))
        # Run k of every loader before run k + 1 of any: this machine's speed drifts within
        # minutes (COPY took 3.4 s, then 2.3 s twenty minutes later), and a ratio is only
        # fair when the loader and its peer ran in the same minutes.
        for run in range(1, max((p[3] for p in planned), default=0) + 1):
            for loader, result, served, runs in planned:
                if run > runs or result.skipped:
                    continue
                _ingest_run(loader, result, served, run, rows, csv_path, args)
    return results


def _ingest_run(
    loader: Loader,
    result: IngestResult,
    served: IngestResult | None,
    run: int,
    rows: int,
    csv_path: Path,
    args: argparse.Namespace,
) -> None:
    """One run of `loader`, its figures added to `result` (and `served`), or the reason it
    failed set as `result.skipped`."""
    try:
        figures = run_once(loader, csv_path, args)
    except RuntimeError as error:
        result.skipped = str(error).splitlines()[-1][:200]
        print(f"  {loader.name:<22} failed: {error}", flush=True)
        return
    if figures["rows"] != rows:
        result.skipped = f"loaded {figures['rows']:,} rows of {rows:,}"
        print(f"  {loader.name:<22} {result.skipped}", flush=True)
        return
    result.runs.append(figures)
    if served is not None and figures.get("served"):
        served.runs.append(figures["served"])
        print(
            f"  rows serving after {figures['served']['seconds']:.2f} s, then the text index",
            flush=True,
        )
    types = figures.get("types")
    expected = dict(generate.COLUMNS)
    if types and types != expected:
        differ = {k: v for k, v in types.items() if expected.get(k) != v}
        print(f"  note: {loader.name} inferred other types: {differ}")
    phases = figures.get("phases")
    if phases:
        print("  phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
    print(
        f"  run {run}: {loader.name:<22} {figures['seconds']:7.2f} s "
        f"{figures['rows_per_s']:10,.0f} rows/s {figures['mb_per_s']:6.1f} MB/s "
        f"peak {figures['peak_mb']:6.0f} MB  CPU {figures['cpu_s']:.2f} s"
        f" + server {figures['db_cpu_s']:.2f} s",
        flush=True,
    )


def _has_loader() -> bool:
    return (common.PROJECT_DIR / "abierto" / "datastore" / "loader.py").exists()


def print_ingestion(results: list[IngestResult]) -> None:
    by_key = {(r.loader, r.rows): r for r in results}
    loaders = {loader.name: loader for loader in LOADERS}
    print(
        f"\n{'loader':<50} {'rows':>9} {'runs':>4} {'median s':>8} {'rows/s':>9} "
        f"{'MB/s':>6} {'peak MB':>7} {'ratio':>6} {'rows/CPU s':>10} {'CPU ratio':>9}  target"
    )
    print("-" * 132)
    for r in results:
        if r.skipped:
            print(f"{r.label:<50} {r.rows:>9,} skipped: {r.skipped}")
            continue
        loader = loaders[r.loader]
        ratio, cpu_ratio, verdict = "", "", ""
        peer = by_key.get((loader.peer, r.rows))
        if peer and peer.runs and not peer.skipped:
            value = r.rows_per_s / peer.rows_per_s
            ratio = f"{value:.2f}"
            cpu_ratio = f"{r.median('rows_per_cpu_s') / peer.median('rows_per_cpu_s'):.2f}"
            misses = []
            if value < TARGET_INGEST_RATIO:
                misses.append(f"{value:.0%} < {TARGET_INGEST_RATIO:.0%} of {peer.loader}")
            if r.peak_mb >= TARGET_PEAK_MB:
                misses.append(f"peak {r.peak_mb:.0f} MB >= {TARGET_PEAK_MB}")
            verdict = "met" if not misses else "missed: " + ", ".join(misses)
        elif loader.reference:
            verdict = "reference"
        elif not loader.peer:
            verdict = "peer"
        print(
            f"{r.label:<50} {r.rows:>9,} {len(r.runs):>4} {r.median('seconds'):8.2f} "
            f"{r.rows_per_s:9,.0f} {r.mb_per_s:6.1f} {r.peak_mb:7.0f} {ratio:>6} "
            f"{r.median('rows_per_cpu_s'):10,.0f} {cpu_ratio:>9}  {verdict}"
        )
    print(
        f"\nTargets (issue): Abierto >= {TARGET_INGEST_RATIO:.0%} of its peer's rows/s "
        f"(PostgreSQL: COPY; SQLite: csv + sqlite3), peak memory < {TARGET_PEAK_MB} MB.\n"
        "Peak: the loading process's own maximum resident set (PostgreSQL's server not "
        "counted). rows/CPU s: rows over the CPU time of the loading process plus, on "
        "PostgreSQL, its server backend; CPU ratio: that over the peer's (the rows/s ratio "
        "to expect on an otherwise idle machine)."
    )


# -------------------------------------------------------------------------------- serving


class DatasetteServer:
    """`datasette serve FILE` (from the peers venv) in its own process group; the same
    interface as run.Server so that run.measure() drives it."""

    def __init__(self, port: int, database: Path, settings: dict[str, str]) -> None:
        self.port = port
        self.database = database
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.log = WORK_DIR / "datasette.log"

    def start(self) -> None:
        from bench import run

        command = [
            str(PEERS_VENV / "bin" / "datasette"),
            "serve",
            str(self.database),
            "--host",
            run.HOST,
            "--port",
            str(self.port),
        ]
        for name, value in self.settings.items():
            command += ["--setting", name, value]
        with self.log.open("a") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"datasette exited; see {self.log}")
            try:
                if run._status(self.port, "/-/versions.json") == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"datasette did not answer within 60 s; see {self.log}")

    def cpu_ticks(self):
        import resource

        from bench import run

        server = {pid: run._process_ticks(pid) for pid in run._group_pids(self.process.pid)}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return server, {}, round((children.ru_utime + children.ru_stime) * run.TICKS)

    def stop(self) -> None:
        import signal

        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def serve(args: argparse.Namespace) -> int:
    """In its own process (Django is set up once per process): load the table for one
    database, then measure Abierto (and, on SQLite, Datasette); write the results to
    --serve-out."""
    url = args.serve
    args.runs = args.serve_runs  # what run.measure() reads
    # One log line per request to gunicorn's stdout would measure the log writer (and fill
    # the terminal); warnings and errors are still logged.
    os.environ.setdefault("REQUEST_LOG_LEVEL", "WARNING")
    postgres = common.is_postgres(url)
    datastore_file = WORK_DIR / "serve-datastore.sqlite3"
    if not postgres:
        os.environ["DATASTORE_URL"] = _sqlite_url(datastore_file)
    else:
        os.environ.pop("DATASTORE_URL", None)
    _migrate(url, os.environ.get("DATASTORE_URL"))
    common.setup_django(url)
    from django.core.management import call_command

    from bench import run

    tool = run._choose_tool(args.tool)
    run.LOG_DIR.mkdir(parents=True, exist_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    table = _serving_table(args.serve_rows, reload=args.reload)
    label = "PostgreSQL" if postgres else "SQLite"
    print(f"\nServing on {label}: {table.row_count:,} rows in {table.physical}", flush=True)

    rid = SERVE_RESOURCE
    action = "/api/3/action/datastore_search?"
    queries = {
        "first page": {},
        "filter municipio": {"filters": json.dumps({"municipio": FILTER_MUNICIPIO})},
        "full text": {"q": FULL_TEXT_QUERY},
    }
    targets = [run.Target("minimal JSON view", "/bench/minimal/")]
    for name, params in queries.items():
        query = urlencode({"resource_id": rid, **params})
        targets.append(run.Target(name, action + query, min_ratio=0.0))
    out: dict = {"database": label, "rows": table.row_count, "tool": tool, "results": {}}
    for cached in (True, False):
        os.environ["PAGE_CACHE_SECONDS"] = "600" if cached else "0"
        server = run.Server(run._free_port(), args.workers, args.threads, url)
        name = f"Abierto ({label}, page cache {'on' if cached else 'off'})"
        print(f"\n{name}: gunicorn {args.workers} x {args.threads}, {tool}", flush=True)
        fresh = [run.Target(t.name, t.path, min_ratio=0.0) for t in targets]
        single: dict[str, float] = {}
        results = run.measure(
            server, fresh, tool, args, after_start=_probe(server.port, fresh, single)
        )
        out["results"][name] = _as_dicts(results, single)
    os.environ.pop("PAGE_CACHE_SECONDS", None)

    if not postgres:
        database = _datasette_file(datastore_file, table)
        path = f"/{database.stem}/gasto.json"
        for name, settings, extra in [
            ("Datasette (defaults)", {}, ""),
            (
                "Datasette (facets and counts off)",
                {"suggest_facets": "off", "allow_facet": "off"},
                "_nocount=1",
            ),
        ]:
            datasette_targets = []
            for query_name, params in {
                "first page": "",
                "filter municipio": f"municipio={quote(FILTER_MUNICIPIO)}",
                "full text": f"_search={FULL_TEXT_QUERY}",
            }.items():
                query = "&".join(p for p in (params, extra) if p)
                datasette_targets.append(
                    run.Target(query_name, path + (f"?{query}" if query else ""), min_ratio=0.0)
                )
            server = DatasetteServer(run._free_port(), database, settings)
            print(f"\n{name}", flush=True)
            single = {}
            probe = _probe(server.port, datasette_targets, single)
            results = run.measure(server, datasette_targets, tool, args, after_start=probe)
            out["results"][name] = _as_dicts(results, single)
    args.serve_out.write_text(json.dumps(out, indent=2))
    return 0


def _probe(port: int, targets: list, single: dict[str, float]):
    """An after_start hook for run.measure(): before any load, the median time of 3
    requests one after the other for each target (what one visitor waits), into `single`;
    the first request of each is not counted (it warms caches)."""
    from bench import run

    def hook() -> list:
        for target in targets:
            times = []
            for _ in range(4):
                began = time.perf_counter()
                run._status(port, target.path)
                times.append((time.perf_counter() - began) * 1000)
            single[target.name] = statistics.median(times[1:])
            print(f"  one at a time: {target.name:<18} {single[target.name]:8.1f} ms", flush=True)
        return []

    return hook


def _as_dicts(results, single: dict[str, float]) -> list[dict]:
    from dataclasses import asdict

    return [asdict(r) | {"single_ms": single.get(r.name, 0.0)} for r in results]


def _serving_table(rows: int, *, reload: bool = False):
    """The public resource the API serves, with the generated table loaded by Abierto."""
    from abierto.catalog.factories import ResourceFactory
    from abierto.catalog.models import Resource
    from abierto.datastore import loader, schema

    resource = Resource.objects.filter(uuid=SERVE_RESOURCE).first()
    if resource is None:
        resource = ResourceFactory(uuid=SERVE_RESOURCE, title="Gasto público (sintético)")
    table = schema.get_table(SERVE_RESOURCE)
    if table is None or table.row_count != rows or reload:
        generate.ensure(rows)
        started = time.perf_counter()
        table = loader.load_path(generate.default_path(rows), resource_id=SERVE_RESOURCE)
        print(f"Loaded {table.row_count:,} rows in {time.perf_counter() - started:.1f} s")
    if not resource.datastore_active:
        Resource.objects.filter(pk=resource.pk).update(datastore_active=True)
    return table


def _datasette_file(datastore_file: Path, table) -> Path:
    """The served rows copied into a file of Datasette's own (table `gasto`, the same column
    types), with FTS5 built by sqlite-utils over the same text columns, same tokenizer."""
    target = WORK_DIR / "datasette.sqlite3"
    stamp = WORK_DIR / "datasette.json"
    expected = {"physical": table.physical, "rows": table.row_count}
    if target.exists() and stamp.exists() and json.loads(stamp.read_text()) == expected:
        return target
    _remove_sqlite(target)
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("ATTACH DATABASE ? AS ds", [str(datastore_file)])
    (ddl,) = db.execute(
        "SELECT sql FROM ds.sqlite_master WHERE type = 'table' AND name = ?", [table.physical]
    ).fetchone()
    db.execute(ddl.replace(f'"{table.physical}"', '"gasto"', 1))
    db.execute(f'INSERT INTO gasto SELECT * FROM ds."{table.physical}"')  # noqa: S608
    db.execute("DETACH DATABASE ds")
    db.close()
    text_columns = [f.id for f in table.fields if f.type == "text"]
    subprocess.run(
        [
            str(PEERS_VENV / "bin" / "sqlite-utils"),
            "enable-fts",
            str(target),
            "gasto",
            *text_columns,
            "--fts5",
            "--tokenize",
            "unicode61 remove_diacritics 2",
        ],
        check=True,
    )
    stamp.write_text(json.dumps(expected))
    return target


def run_serving(args: argparse.Namespace) -> list[dict]:
    outputs = []
    urls = [_sqlite_url(WORK_DIR / "serve-site.sqlite3")]
    if not args.no_postgres:
        common.ensure_postgres_database(args.postgres_url)
        urls.append(args.postgres_url)
    for url in urls:
        out = WORK_DIR / f"serve-{'postgres' if common.is_postgres(url) else 'sqlite'}.json"
        out.unlink(missing_ok=True)
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve",
            url,
            "--serve-out",
            str(out),
            "--serve-rows",
            str(args.serve_rows),
            "--duration",
            str(args.duration),
            "--serve-runs",
            str(args.serve_runs),
            "--warmup",
            str(args.warmup),
            "--connections",
            str(args.connections),
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--tool",
            args.tool,
            "--idle-wait",
            str(args.idle_wait),
            *(["--reload"] if args.reload else []),
        ]
        subprocess.run(command, cwd=common.PROJECT_DIR, check=True)  # noqa: S603
        outputs.append(json.loads(out.read_text()))
    return outputs


def print_serving(outputs: list[dict], connections: int) -> None:
    datasette = {}
    for output in outputs:
        for name, results in output["results"].items():
            if name.startswith("Datasette"):
                datasette[name] = {r["name"]: r for r in results}
    print(
        f"\n{'server':<42} {'query':<17} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>8} {'err':>5} "
        f"{'x DS':>6} {'x DS tuned':>10} {'CPU ms/req':>10} {'1 req ms':>8}  target"
    )
    print("-" * 145)
    default = datasette.get("Datasette (defaults)", {})
    tuned = datasette.get("Datasette (facets and counts off)", {})
    for output in outputs:
        for name, results in output["results"].items():
            for r in results:
                if r["skipped"]:
                    print(f"{name:<42} {r['name']:<17} skipped: {r['skipped']}")
                    continue
                ratios, verdict = ["", ""], ""
                if name.startswith("Abierto") and r["name"] in tuned:
                    for i, peer in enumerate((default, tuned)):
                        other = peer.get(r["name"])
                        if other and other["rps"]:
                            ratios[i] = f"{r['rps'] / other['rps']:.1f}"
                    other = tuned[r["name"]]
                    misses = []
                    if other["rps"] and r["rps"] / other["rps"] < TARGET_SERVE_RATIO:
                        misses.append(f"< {TARGET_SERVE_RATIO:g}x")
                    if r["p99_ms"] >= TARGET_P99_MS:
                        misses.append(f"p99 >= {TARGET_P99_MS:g} ms")
                    if r["errors"]:
                        misses.append(f"{r['errors']} errors")
                    verdict = "met" if not misses else "missed: " + ", ".join(misses)
                print(
                    f"{name:<42} {r['name']:<17} {r['rps']:8.1f} {r['p50_ms']:7.1f} "
                    f"{r['p99_ms']:8.1f} {r['errors']:5d} {ratios[0]:>6} {ratios[1]:>10} "
                    f"{r['server_cpu_ms'] + r['db_cpu_ms']:10.2f} {r.get('single_ms', 0):8.1f}  "
                    f"{verdict}"
                )
    print(
        f"\n{connections} connections. x DS: requests/s over Datasette's with its defaults; "
        "x DS tuned: over Datasette with suggest_facets and allow_facet off and _nocount=1. "
        f"Target (issue): >= {TARGET_SERVE_RATIO:g}x Datasette on each query (held to the "
        f"tuned one) and p99 < {TARGET_P99_MS:g} ms. Errors: HTTP >= 400, socket errors, "
        "timeouts (5 s). CPU ms/req: the server's processes (and PostgreSQL's backends) per "
        "request. 1 req ms: median time of one request alone, before the load."
    )


# ----------------------------------------------------------------------------------- main


def report(path: Path) -> int:
    """Print the tables again from a run's JSON file."""
    data = json.loads(path.read_text())
    names = {"loader", "label", "rows", "bytes", "runs", "skipped"}
    ingestion = [
        IngestResult(**{k: v for k, v in r.items() if k in names}) for r in data["ingestion"]
    ]
    print(f"{data['date']}, {data['machine']}")
    if ingestion:
        print_ingestion(ingestion)
    if data.get("serving"):
        print_serving(data["serving"], data.get("connections", 32))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        CHILDREN[args.child](args.csv, args.target)
        return 0
    if args.serve:
        return serve(args)
    if args.report:
        return report(args.report)
    started_at = dt.datetime.now().astimezone()
    from bench import run

    ensure_peers_venv()
    print(f"Machine:   {run._machine()}")
    print(f"Files:     {', '.join(f'{rows:,} rows' for rows in args.rows)} (var/bench/)")
    ingestion: list[IngestResult] = []
    serving: list[dict] = []
    try:
        if not args.only_serve:
            ingestion = run_ingestion(args)
        if not args.only_ingest:
            if (
                not _has_loader()
                or not (common.PROJECT_DIR / "abierto" / "datastore" / "actions.py").exists()
            ):
                print("\nServing skipped: abierto/datastore/loader.py or actions.py missing.")
            else:
                serving = run_serving(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    if ingestion:
        print_ingestion(ingestion)
    if serving:
        print_serving(serving, args.connections)
    args.json = args.json or WORK_DIR / "last.json"
    if ingestion or serving:
        args.json.write_text(
            json.dumps(
                {
                    "date": started_at.isoformat(timespec="seconds"),
                    "machine": run._machine(),
                    "ingestion": [
                        {
                            **r.__dict__,
                            "rows_per_s": r.rows_per_s,
                            "mb_per_s": r.mb_per_s,
                            "peak_mb": r.peak_mb,
                        }
                        for r in ingestion
                    ],
                    "serving": serving,
                    "connections": args.connections,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
