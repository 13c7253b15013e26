"""Serve Abierto with gunicorn on 127.0.0.1 and measure its busiest public pages under load.

For one database (--database-url, else $DATABASE_URL, else var/bench/bench.sqlite3, filled by
bench/generate.py) this starts gunicorn with DJANGO_SETTINGS_MODULE=bench.settings and DEBUG
off, warms it up, then drives each target with a load generator at 32 connections for a
bounded time, several rounds, and prints the median figures:

- /bench/minimal/: a JsonResponse({"ok": True}) through the same middleware (the baseline);
- the plan dashboard of a generated plan (plans:dashboard);
- one commitment page (plans:commitment);
- the commitments API list filtered by plan (/api/v1/commitments/?plan=<id>).

Target (issue): the dashboard at >= 40 % of the baseline's requests/s and p99 < 100 ms.

    .venv/bin/python bench/run.py [--database-url URL] [--duration 10] [--runs 3]

The load generator is wrk when installed (`apt-get install wrk`), else a small Python one
(threads over keep-alive http.client connections, in several processes). The server is
stopped at the end whatever happens. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
LOG_DIR = common.PROJECT_DIR / "var" / "bench"
TARGET_RATIO = 0.40
TARGET_P99_MS = 100.0
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Target:
    name: str
    path: str
    skipped: str = ""
    # The goal this page is held to; None: the plan pages' goal (TARGET_RATIO, TARGET_P99_MS).
    min_ratio: float | None = None
    max_p99_ms: float | None = None


@dataclass
class Sample:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    # Share of the machine's CPU busy just before the run, while our server was idle:
    # other processes (a test suite, a build) competing for the 2 cores.
    background_busy: float = 0.0
    # CPU time per request (ms): the gunicorn processes (SQLite runs inside them), the
    # PostgreSQL backends serving them, and the load generator. Unlike req/s, these do not
    # depend on what else the machine is doing at the time.
    server_cpu_ms: float = 0.0
    db_cpu_ms: float = 0.0
    loadgen_cpu_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Result:
    name: str
    path: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    runs: list[dict]
    skipped: str = ""
    server_cpu_ms: float = 0.0
    db_cpu_ms: float = 0.0
    min_ratio: float | None = None
    max_p99_ms: float | None = None


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
    parser.add_argument("--exercise", default="jalisco", help="slug of the exercise")
    parser.add_argument("--plan", default="pal-2025-2027", help="slug of the plan")
    parser.add_argument("--commitment", type=int, default=1, help="number of the commitment")
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=10,
        help="before each run, wait up to this many seconds for other processes to quiet down",
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

    from abierto.plans.models import ActionPlan, Commitment, ProgressUpdate

    plan = ActionPlan.objects.filter(exercise__slug=args.exercise, slug=args.plan).first()
    if plan is None:
        print(
            f"No plan {args.exercise}/{args.plan} in {common.describe(url)}: "
            "run bench/generate.py first.",
            file=sys.stderr,
        )
        return 1
    commitment = Commitment.objects.get(plan=plan, number=args.commitment)
    updates = ProgressUpdate.objects.count()
    call_command("collectstatic", interactive=False, verbosity=0)

    targets = [Target("minimal JSON view", "/bench/minimal/")]
    for name, view, kwargs in [
        ("plan dashboard", "plans:dashboard", {"exercise": args.exercise, "plan": args.plan}),
        (
            "commitment page",
            "plans:commitment",
            {"exercise": args.exercise, "plan": args.plan, "commitment": commitment.slug},
        ),
    ]:
        try:
            targets.append(Target(name, reverse(view, kwargs=kwargs)))
        except Exception as error:  # noqa: BLE001 - the page may not be written yet
            targets.append(Target(name, f"({view})", skipped=f"no URL: {error}"))

    port = _free_port()
    server = Server(port, args.workers, args.threads, url)
    started_at = dt.datetime.now().astimezone()
    print(f"Database:  {common.describe(url)} ({settings.DATABASES['default']['ENGINE']})")
    print(
        f"Data:      {updates:,} progress updates; plan {args.exercise}/{args.plan} (id {plan.pk})"
    )
    print(f"Machine:   {_machine()}")
    print(
        f"Server:    gunicorn gthread, {args.workers} workers x {args.threads} threads, "
        f"http://{HOST}:{port}/, DEBUG={settings.DEBUG}"
    )
    print(
        f"Load:      {tool}, {args.connections} connections, {args.runs} x {args.duration:g} s "
        f"per URL (median), {args.warmup:g} s warm-up"
    )
    try:
        results = measure(
            server, targets, tool, args, after_start=lambda: [_api_target(port, plan.pk)]
        )
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130

    _print_table(results)
    if args.json:
        write_json(args.json, started_at, tool, args, results)
    return 0


def write_json(
    path: Path, started_at: dt.datetime, tool: str, args: argparse.Namespace, results
) -> None:
    from django.conf import settings

    path.write_text(
        json.dumps(
            {
                "date": started_at.isoformat(timespec="seconds"),
                "database": settings.DATABASES["default"]["ENGINE"],
                "machine": _machine(),
                "tool": tool,
                "connections": args.connections,
                "duration_s": args.duration,
                "runs": args.runs,
                "workers": args.workers,
                "threads": args.threads,
                "results": [asdict(r) for r in results],
            },
            indent=2,
        )
    )


def measure(
    server: Server,
    targets: list[Target],
    tool: str,
    args: argparse.Namespace,
    after_start=None,
) -> list[Result]:
    """Start the server, load every target round-robin `args.runs` times, stop the server;
    return the median figures per target. `after_start()` may add targets that need the
    running server to be found."""
    results: list[Result] = []
    port = server.port
    try:
        server.start()
        if after_start is not None:
            targets.extend(after_start())
        for target in targets:
            if not target.skipped:
                status = _status(port, target.path)
                if status != 200:
                    target.skipped = f"answers HTTP {status}"
        live = [t for t in targets if not t.skipped]
        for target in live:
            _load(tool, port, target.path, args.warmup, args.connections)
        samples: dict[str, list[Sample]] = {t.path: [] for t in live}
        for run in range(1, args.runs + 1):
            # Round-robin over the URLs, so slow drift of the machine hits them all alike.
            for target in live:
                busy = _wait_for_quiet(args.idle_wait)
                before = server.cpu_ticks()
                sample = _load(tool, port, target.path, args.duration, args.connections)
                after = server.cpu_ticks()
                sample.background_busy = busy
                if sample.requests:
                    per_request = 1000 / TICKS / sample.requests
                    sample.server_cpu_ms = _ticks_between(before[0], after[0]) * per_request
                    sample.db_cpu_ms = _ticks_between(before[1], after[1]) * per_request
                    sample.loadgen_cpu_ms = (after[2] - before[2]) * per_request
                samples[target.path].append(sample)
                print(
                    f"  run {run}: {target.name:<18} {sample.rps:9.1f} req/s  "
                    f"p50 {sample.p50_ms:7.1f} ms  p99 {sample.p99_ms:7.1f} ms  "
                    f"errors {sample.errors}  CPU/req: server {sample.server_cpu_ms:.2f} ms"
                    f" db {sample.db_cpu_ms:.2f} ms load {sample.loadgen_cpu_ms:.2f} ms"
                    f"  (machine busy before: {busy:.0%})",
                    flush=True,
                )
        for target in targets:
            goals = {"min_ratio": target.min_ratio, "max_p99_ms": target.max_p99_ms}
            if target.skipped:
                results.append(
                    Result(target.name, target.path, 0, 0, 0, 0, [], target.skipped, **goals)
                )
                continue
            runs = samples[target.path]
            results.append(
                Result(
                    target.name,
                    target.path,
                    rps=statistics.median(s.rps for s in runs),
                    p50_ms=statistics.median(s.p50_ms for s in runs),
                    p99_ms=statistics.median(s.p99_ms for s in runs),
                    errors=sum(s.errors for s in runs),
                    server_cpu_ms=statistics.median(s.server_cpu_ms for s in runs),
                    db_cpu_ms=statistics.median(s.db_cpu_ms for s in runs),
                    runs=[asdict(s) | {"rps": s.rps} for s in runs],
                    **goals,
                )
            )
    finally:
        server.stop()
    return results


# ------------------------------------------------------------------------------ server


class Server:
    """gunicorn in its own process group, so stopping it stops all its workers."""

    def __init__(self, port: int, workers: int, threads: int, database_url: str) -> None:
        self.port = port
        self.workers = workers
        self.threads = threads
        self.database_url = database_url
        self.process: subprocess.Popen | None = None
        self.log = LOG_DIR / "gunicorn.log"

    def start(self) -> None:
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": common.SETTINGS_MODULE,
            "DATABASE_URL": self.database_url,
            "DEBUG": "false",
            "PYTHONPATH": str(common.PROJECT_DIR),
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "abierto.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(self.threads),
            "--keep-alive",
            "5",
            "--error-logfile",
            str(self.log),
        ]
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=common.PROJECT_DIR, env=env, start_new_session=True
        )
        # Stop the server on SIGTERM too (SIGINT already raises KeyboardInterrupt).
        signal.signal(signal.SIGTERM, _interrupt)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with {self.process.returncode}; see {self.log}"
                )
            try:
                if _status(self.port, "/bench/minimal/") == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log}")

    def cpu_ticks(self) -> tuple[dict[int, int], dict[int, int], int]:
        """CPU ticks used so far, per process: gunicorn's, the database backends'; and the
        load generator's (waited children)."""
        server = {pid: _process_ticks(pid) for pid in _group_pids(self.process.pid)}
        database = {}
        if common.is_postgres(self.database_url):
            database = {pid: _process_ticks(pid) for pid in _postgres_backends(self.database_url)}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        loadgen = round((children.ru_utime + children.ru_stime) * TICKS)
        return server, database, loadgen

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass


def _ticks_between(before: dict[int, int], after: dict[int, int]) -> int:
    """Ticks used between two snapshots by the processes alive at the second one (a process
    started in between counts whole; one that ended in between is missed)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def _process_ticks(pid: int) -> int:
    """User + system CPU ticks of a process (0 when it is gone or unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _postgres_backends(url: str) -> list[int]:
    """Process ids of the PostgreSQL backends connected to the benchmark's database."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _status(port: int, path: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _api_target(port: int, plan_id: int) -> Target:
    """The commitments API list, found in the OpenAPI document, filtered by the plan."""
    name = "commitments API"
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request(
            "GET", "/api/schema/?format=json", headers={"Accept": "application/json"}
        )
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        return Target(
            name, "/api/v1/commitments/", skipped=f"/api/schema/ answers {response.status}"
        )
    paths = json.loads(body).get("paths", {})
    candidates = [p for p in paths if re.fullmatch(r"/api/v\d+/commitments/", p)]
    if not candidates:
        return Target(name, "/api/v1/commitments/", skipped="no commitments list in /api/schema/")
    path = candidates[0]
    parameters = {p.get("name") for p in paths[path].get("get", {}).get("parameters", [])}
    if "plan" not in parameters:
        return Target(name, path, skipped="the commitments list has no plan filter")
    return Target(name, f"{path}?plan={plan_id}")


def _cpu_busy(seconds: float = 1.0) -> float:
    """Fraction of all cores busy over the next `seconds` (Linux /proc/stat; 0 elsewhere)."""

    def read() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return sum(fields[:8]), idle

    try:
        total_0, idle_0 = read()
        time.sleep(seconds)
        total_1, idle_1 = read()
    except (OSError, ValueError, IndexError):
        return 0.0
    total = total_1 - total_0
    return 1 - (idle_1 - idle_0) / total if total else 0.0


def _wait_for_quiet(limit: float, threshold: float = 0.15) -> float:
    """Wait (at most `limit` s) until other processes leave the CPU mostly idle."""
    deadline = time.monotonic() + limit
    busy = _cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = _cpu_busy(2.0)
    return busy


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores {model}, Python {platform.python_version()}, {platform.system()}"
    )


# ------------------------------------------------------------------------ load generators


def _choose_tool(requested: str) -> str:
    if requested == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk, or use --tool python")
    if requested == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    return requested


def _load(tool: str, port: int, path: str, seconds: float, connections: int) -> Sample:
    if tool == "wrk":
        return _wrk(port, path, seconds, connections)
    return _python_load(port, path, seconds, connections)


def _wrk(port: int, path: str, seconds: float, connections: int) -> Sample:
    threads = min(2, connections)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(BENCH_DIR / "wrk_report.lua"),
        f"http://{HOST}:{port}{path}",
    ]
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    match = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"Unexpected wrk output:\n{output}")
    figures = {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}
    return Sample(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=sum(
            figures[k]
            for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
        ),
    )


def _python_worker(port: int, path: str, deadline: float, threads: int, queue) -> None:
    """One process of the Python load generator: keep-alive connections, one per thread."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client() -> None:
        mine: list[float] = []
        failed = 0
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                if not 200 <= response.status < 300:
                    failed += 1
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
                    connection = http.client.HTTPConnection(HOST, port, timeout=5)
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                continue
            mine.append(time.perf_counter() - began)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    queue.put((latencies, errors[0]))


def _python_load(port: int, path: str, seconds: float, connections: int) -> Sample:
    processes = max(1, min(4, connections))
    per_process = [
        connections // processes + (i < connections % processes) for i in range(processes)
    ]
    queue: multiprocessing.Queue = multiprocessing.Queue()
    began = time.monotonic()
    deadline = began + seconds
    pool = [
        multiprocessing.Process(target=_python_worker, args=(port, path, deadline, n, queue))
        for n in per_process
    ]
    for process in pool:
        process.start()
    latencies: list[float] = []
    errors = 0
    for _ in pool:
        got, failed = queue.get()
        latencies.extend(got)
        errors += failed
    for process in pool:
        process.join()
    elapsed = time.monotonic() - began
    latencies.sort()

    def percentile(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return Sample(len(latencies), elapsed, percentile(50), percentile(99), errors)


# ------------------------------------------------------------------------------ report


def _goals(r: Result) -> tuple[float, float]:
    return (
        TARGET_RATIO if r.min_ratio is None else r.min_ratio,
        TARGET_P99_MS if r.max_p99_ms is None else r.max_p99_ms,
    )


def _print_table(results: list[Result], goal: str = "") -> None:
    baseline = next((r for r in results if r.path == "/bench/minimal/" and not r.skipped), None)
    print()
    header = (
        f"{'target':<18} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'ratio':>6} "
        f"{'CPU ms/req':>10} {'CPU ratio':>9}  target met?"
    )
    print(header)
    print("-" * (len(header) + 30))
    base_cpu = baseline.server_cpu_ms + baseline.db_cpu_ms if baseline else 0.0
    for r in results:
        if r.skipped:
            print(f"{r.name:<18} skipped: {r.skipped}")
            continue
        cpu = r.server_cpu_ms + r.db_cpu_ms
        cpu_ratio = base_cpu / cpu if cpu else 0.0
        if r is baseline:
            verdict, ratio = "baseline", 1.0
        else:
            ratio = r.rps / baseline.rps if baseline and baseline.rps else 0.0
            min_ratio, max_p99 = _goals(r)
            met = ratio >= min_ratio and r.p99_ms < max_p99 and r.errors == 0
            verdict = "yes" if met else _why_missed(ratio, r)
        print(
            f"{r.name:<18} {r.rps:8.1f} {r.p50_ms:7.1f} {r.p99_ms:7.1f} {r.errors:6d} "
            f"{ratio:6.3f} {cpu:10.2f} {cpu_ratio:9.3f}  {verdict}"
        )
    print()
    for r in results:
        print(f"  {r.name:<18} {r.path}")
    print(
        "\n"
        + (
            goal
            or f"Target: >= {TARGET_RATIO:.0%} of the minimal view's req/s and p99 < "
            f"{TARGET_P99_MS:g} ms (stated for the dashboard; shown for every page). "
        )
        + "Errors: HTTP >= 400 and socket errors.\n"
        "CPU ms/req: server (gunicorn, with SQLite inside) + PostgreSQL backends, per request;"
        " CPU ratio: the minimal view's CPU per request over the page's, the throughput ratio"
        " to expect on a machine doing nothing else."
    )


def _why_missed(ratio: float, r: Result) -> str:
    reasons = []
    min_ratio, max_p99 = _goals(r)
    if ratio < min_ratio:
        reasons.append(f"ratio {ratio:.1%} < {min_ratio:.0%}")
    if r.p99_ms >= max_p99:
        reasons.append(f"p99 {r.p99_ms:.0f} ms >= {max_p99:g}")
    if r.errors:
        reasons.append(f"{r.errors} errors")
    return "no: " + ", ".join(reasons)


if __name__ == "__main__":
    sys.exit(main())
