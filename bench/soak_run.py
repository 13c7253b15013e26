"""Soak the production configuration at national scale: a mix of public pages and API calls.

Generates the national-scale data (bench/generate.py --reset: 32 states, 172,800 progress
updates) into PostgreSQL and publishes the platform's own datasets from it
(`manage.py sync_platform_datasets`), unless --no-generate. Then, for each run, starts
Abierto as docs/deploy.md runs it (what bin/deploy_check.py checks): DEBUG off, a real
SECRET_KEY, PostgreSQL, Redis at 127.0.0.1:6379 (database 14, emptied before each run),
gunicorn with `--config python:abierto.gunicorn_conf` (2 workers x 4 threads on 2 cores),
`manage.py worker` as its own process, PROMETHEUS_MULTIPROC_DIR, secure settings behind the
TLS proxy's header (SSL redirect, HSTS, Secure cookies) and collected static files. wrk drives
a round-robin over about 15 public URLs (bench/wrk_soak.lua, with the proxy's
`X-Forwarded-Proto: https`) at 32 connections for 60 s after a 5 s warm-up, then the minimal
view /bench/minimal/ the same way, for the ratio. Printed per run and as the median:
requests/s, p50, p99, max, errors (HTTP >= 400, socket errors and timeouts), CPU per request,
and the peak resident memory (VmHWM) of gunicorn's master and workers and of the worker.

    .venv/bin/python bench/soak_run.py [--database-url URL] [--no-generate] [--quick]
        [--seconds 60] [--runs 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, run  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/abierto_soak"
PUBLIC_HOST = "datos.jalisco.example"
REDIS_URL = "redis://127.0.0.1:6379/14"  # not 15: bin/deploy_check.py (CI) uses that one
WORKDIR = common.PROJECT_DIR / "var" / "bench" / "soak"
BASELINE = "/bench/minimal/"


@dataclass
class Soak:
    """One wrk run over a list of paths."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_detail: dict[str, int]
    server_cpu_ms: float = 0.0
    db_cpu_ms: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Memory:
    """Peak resident memory (VmHWM, MiB) of each process, by role."""

    processes: list[dict] = field(default_factory=list)

    def total(self, role: str) -> float:
        return sum(p["peak_mib"] for p in self.processes if p["role"].startswith(role))

    def largest(self, role: str) -> float:
        return max((p["peak_mib"] for p in self.processes if p["role"] == role), default=0.0)


@dataclass
class Run:
    mix: Soak
    baseline: Soak | None
    memory: Memory
    busy_before: float

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline.rps:
            return None
        return self.mix.rps / self.baseline.rps


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--no-generate", action="store_true", help="use the data already in the database"
    )
    parser.add_argument("--quick", action="store_true", help="one run of 10 s (a smoke test)")
    parser.add_argument("--seconds", type=float, default=60, help="soak length (60)")
    parser.add_argument("--runs", type=int, default=3, help="runs; the median is shown (3)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of warm-up (5)")
    parser.add_argument(
        "--baseline-seconds", type=float, default=15, help="minimal view, per run (15; 0: skip)"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2 cores: 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--exercise", default="jalisco", help="the state whose pages are loaded")
    parser.add_argument("--plan", default="pal-2025-2027")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.runs, args.baseline_seconds = 10, 1, min(args.baseline_seconds, 5)
    return args


def production_env(database_url: str) -> dict[str, str]:
    """The environment of docs/deploy.md, as bin/deploy_check.py sets it, on WORKDIR."""
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": PUBLIC_HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{PUBLIC_HOST}",
        "SITE_URL": f"https://{PUBLIC_HOST}",
        "CATALOG_CONTACT_EMAIL": "datos@jalisco.example",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SECURE_COOKIES": "true",
        "BEHIND_TLS_PROXY": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "STATIC_ROOT": str(WORKDIR / "static"),
        "MEDIA_ROOT": str(WORKDIR / "media"),
        "WHITENOISE_USE_FINDERS": "false",
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "PROMETHEUS_MULTIPROC_DIR": str(WORKDIR / "prometheus"),
        "ABIERTO_VAR_DIR": str(WORKDIR),
        "LOG_LEVEL": "ERROR",
        "REQUEST_LOG_LEVEL": "WARNING",
        # bench.settings (set by run.Server) is the platform's settings plus /bench/minimal/.
        "DJANGO_SETTINGS_MODULE": common.SETTINGS_MODULE,
        # gunicorn reads extra arguments from here: the production hooks (abierto/gunicorn_conf).
        "GUNICORN_CMD_ARGS": "--config python:abierto.gunicorn_conf",
    }


def manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run(  # noqa: S603 - our interpreter, our commands
        [sys.executable, "manage.py", *arguments],
        cwd=common.PROJECT_DIR,
        env=os.environ | env,
        check=True,
    )


def status(port: int, path: str) -> int:
    """GET through the TLS proxy's eyes: the public host name and X-Forwarded-Proto."""
    connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


class ProductionServer(run.Server):
    """run.Server with the production environment, plus the background worker process."""

    def __init__(self, port: int, workers: int, threads: int, env: dict[str, str]) -> None:
        super().__init__(port, workers, threads, env["DATABASE_URL"])
        self.env = env
        self.log = WORKDIR / "gunicorn.log"
        self.worker: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        # Each run starts as a fresh deployment: empty page cache, empty metrics folder.
        redis.Redis.from_url(REDIS_URL).flushdb()
        metrics = Path(self.env["PROMETHEUS_MULTIPROC_DIR"])
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        saved_env, saved_status = dict(os.environ), run._status
        os.environ.update(self.env)
        # run.Server waits for /bench/minimal/ to answer 200; over plain HTTP and without the
        # public host name production answers 301 / 400, so ask as the proxy does.
        run._status = status
        try:
            super().start()
        finally:
            run._status = saved_status
            os.environ.clear()
            os.environ.update(saved_env)
        with (WORKDIR / "worker.log").open("ab") as log:
            self.worker = subprocess.Popen(  # noqa: S603
                [sys.executable, "manage.py", "worker", "--no-reload", "--worker-id", "soak"],
                cwd=common.PROJECT_DIR,
                env=os.environ | self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def memory(self) -> Memory:
        """VmHWM of every process of gunicorn's group and of the worker's."""
        found = Memory()
        groups = [("gunicorn", self.process), ("worker", self.worker)]
        for name, process in groups:
            if process is None:
                continue
            for pid in sorted(run._group_pids(process.pid)):
                peak = _vm_hwm_kib(pid)
                if peak is None:
                    continue
                if name == "gunicorn":
                    role = "gunicorn master" if pid == process.pid else "gunicorn worker"
                else:
                    role = "worker"
                found.processes.append({"role": role, "pid": pid, "peak_mib": peak / 1024})
        return found

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None and worker.poll() is None:
            try:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
            except ProcessLookupError:
                pass
        super().stop()


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) if match else None


# ------------------------------------------------------------------------------ the mix


def mix(exercise: str, plan_slug: str) -> list[tuple[str, str]]:
    """(name, path) of the URLs of the mix, found in the generated data."""
    from django.urls import reverse

    from abierto.catalog.models import Dataset
    from abierto.plans.models import ActionPlan, Commitment

    plan = ActionPlan.objects.get(exercise__slug=exercise, slug=plan_slug)
    commitment = Commitment.objects.filter(plan=plan).order_by("number").first()
    dataset = (
        Dataset.objects.filter(private=False, state="active", name__contains=exercise)
        .order_by("name")
        .first()
    )
    if dataset is None:
        raise SystemExit("No public dataset: run manage.py sync_platform_datasets.")
    plan_kwargs = {"exercise": exercise, "plan": plan_slug}
    return [
        ("home", "/"),
        ("state STL page", reverse("secretariat:detail", kwargs={"exercise": exercise})),
        ("plan dashboard", reverse("plans:dashboard", kwargs=plan_kwargs)),
        (
            "commitment page",
            reverse("plans:commitment", kwargs=plan_kwargs | {"commitment": commitment.slug}),
        ),
        ("national view", "/nacional/"),
        ("catalog search", "/datos/?q=compromisos"),
        ("dataset page", reverse("catalog:dataset", kwargs={"name": dataset.name})),
        ("CKAN package_search", "/api/3/action/package_search?q=acuerdos&rows=10"),
        ("API plans", "/api/v1/plans/"),
        ("API commitments of a plan", f"/api/v1/commitments/?plan={plan.pk}"),
        ("API progress updates", "/api/v1/progress-updates/"),
        ("API organizations", "/api/v1/organizations/"),
        ("DCAT catalog", "/catalog.jsonld"),
        ("OCDS releases", "/contrataciones/entregas.json"),
        ("health", "/salud/"),
    ]


def wrk(port: int, paths: list[str], seconds: float, connections: int) -> Soak:
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(run.BENCH_DIR / "wrk_soak.lua"),
        f"http://{run.HOST}:{port}",
        "--",
        PUBLIC_HOST,
        *paths,
    ]
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    match = re.search(r"^BENCH (.*)$", output, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"Unexpected wrk output:\n{output}")
    figures = {k: int(v) for k, v in (item.split("=") for item in match.group(1).split())}
    detail = {
        k: figures[k]
        for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")
    }
    return Soak(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        errors=sum(detail.values()),
        error_detail=detail,
    )


def measured(server: ProductionServer, paths: list[str], seconds: float, connections: int) -> Soak:
    """One wrk run with the CPU time of gunicorn and the PostgreSQL backends per request."""
    before = server.cpu_ticks()
    soak = wrk(server.port, paths, seconds, connections)
    after = server.cpu_ticks()
    if soak.requests:
        per_request = 1000 / run.TICKS / soak.requests
        soak.server_cpu_ms = run._ticks_between(before[0], after[0]) * per_request
        soak.db_cpu_ms = run._ticks_between(before[1], after[1]) * per_request
    return soak


def one_run(number: int, env: dict[str, str], urls: list[tuple[str, str]], args) -> Run:
    server = ProductionServer(run._free_port(), args.workers, args.threads, env)
    paths = [path for _, path in urls]
    try:
        server.start()
        wrong = [(path, code) for path in paths if (code := status(server.port, path)) != 200]
        if wrong:
            raise SystemExit(
                "Not every URL of the mix answers 200: "
                + ", ".join(f"{p} -> {c}" for p, c in wrong)
            )
        wrk(server.port, paths, args.warmup, args.connections)
        busy = run._cpu_busy()
        soak = measured(server, paths, args.seconds, args.connections)
        baseline = None
        if args.baseline_seconds > 0:
            wrk(server.port, [BASELINE], min(args.warmup, 2), args.connections)
            baseline = measured(server, [BASELINE], args.baseline_seconds, args.connections)
        memory = server.memory()
    finally:
        server.stop()
    result = Run(soak, baseline, memory, busy)
    ratio = f"  ratio to minimal {result.ratio:.3f}" if result.ratio is not None else ""
    print(
        f"  run {number}: {soak.rps:8.1f} req/s  p50 {soak.p50_ms:6.1f} ms  p99 "
        f"{soak.p99_ms:6.1f} ms  max {soak.max_ms:7.1f} ms  errors {soak.errors}  CPU/req "
        f"{soak.server_cpu_ms + soak.db_cpu_ms:.2f} ms{ratio}  peak RSS gunicorn "
        f"{memory.total('gunicorn'):.0f} MiB, worker {memory.total('worker'):.0f} MiB"
        f"  (machine busy before: {busy:.0%})",
        flush=True,
    )
    return result


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    if not common.is_postgres(url):
        raise SystemExit(
            "The production configuration runs on PostgreSQL: give a postgresql:// URL"
        )
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    env = production_env(url)
    if not args.no_generate:
        subprocess.run(  # noqa: S603
            [sys.executable, str(run.BENCH_DIR / "generate.py"), "--reset", "--database-url", url],
            cwd=common.PROJECT_DIR,
            check=True,
        )
    common.setup_django(url)
    from abierto.catalog.models import Dataset
    from abierto.plans.models import ProgressUpdate

    if not args.no_generate or not Dataset.objects.exists():
        manage(env, "sync_platform_datasets")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    urls = mix(args.exercise, args.plan)
    updates = ProgressUpdate.objects.count()
    datasets = Dataset.objects.count()

    started_at = dt.datetime.now().astimezone()
    print(f"Database:  {common.describe(url)}: {updates:,} progress updates, {datasets} datasets")
    print(f"Machine:   {run._machine()}")
    print(
        f"Server:    gunicorn gthread {args.workers} workers x {args.threads} threads "
        "(--config python:abierto.gunicorn_conf) + manage.py worker; DEBUG off, Redis, "
        "behind the TLS proxy header"
    )
    print(
        f"Load:      wrk, {args.connections} connections, {args.runs} x {args.seconds:g} s over "
        f"{len(urls)} URLs round-robin, after {args.warmup:g} s warm-up; minimal view "
        f"{args.baseline_seconds:g} s per run"
    )
    for name, path in urls:
        print(f"  {name:<26} {path}")
    runs: list[Run] = []
    try:
        for number in range(1, args.runs + 1):
            runs.append(one_run(number, env, urls, args))
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    summary = summarize(runs)
    print_summary(summary)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "date": started_at.isoformat(timespec="seconds"),
                    "machine": run._machine(),
                    "database": common.describe(url),
                    "progress_updates": updates,
                    "datasets": datasets,
                    "connections": args.connections,
                    "seconds": args.seconds,
                    "warmup_s": args.warmup,
                    "baseline_seconds": args.baseline_seconds,
                    "workers": args.workers,
                    "threads": args.threads,
                    "urls": [{"name": n, "path": p} for n, p in urls],
                    "median": summary,
                    "runs": [
                        {
                            "mix": asdict(r.mix) | {"rps": r.mix.rps},
                            "baseline": (
                                asdict(r.baseline) | {"rps": r.baseline.rps} if r.baseline else None
                            ),
                            "ratio": r.ratio,
                            "memory": r.memory.processes,
                            "busy_before": r.busy_before,
                        }
                        for r in runs
                    ],
                },
                indent=2,
            )
        )
    return 1 if summary["errors"] else 0


def summarize(runs: list[Run]) -> dict:
    def median(values) -> float | None:
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    return {
        "rps": median(r.mix.rps for r in runs),
        "p50_ms": median(r.mix.p50_ms for r in runs),
        "p99_ms": median(r.mix.p99_ms for r in runs),
        "max_ms": median(r.mix.max_ms for r in runs),
        "errors": sum(r.mix.errors for r in runs),
        "cpu_ms_per_request": median(r.mix.server_cpu_ms + r.mix.db_cpu_ms for r in runs),
        "minimal_rps": median(r.baseline.rps if r.baseline else None for r in runs),
        "ratio": median(r.ratio for r in runs),
        "peak_mib": {
            "gunicorn_total": max(r.memory.total("gunicorn") for r in runs),
            "gunicorn_master": max(r.memory.largest("gunicorn master") for r in runs),
            "gunicorn_worker_largest": max(r.memory.largest("gunicorn worker") for r in runs),
            "worker": max(r.memory.total("worker") for r in runs),
        },
    }


def print_summary(s: dict) -> None:
    peak = s["peak_mib"]
    ratio = f"{s['ratio']:.3f} ({s['minimal_rps']:.1f} req/s)" if s["ratio"] else "not measured"
    print(
        f"\nMedian:    {s['rps']:.1f} req/s, p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, "
        f"max {s['max_ms']:.1f} ms; CPU {s['cpu_ms_per_request']:.2f} ms/req"
    )
    print(f"Errors:    {s['errors']} (target 0; HTTP >= 400, socket errors, 5 s timeouts)")
    print(f"Ratio:     to the minimal view {ratio}")
    print(
        f"Peak RSS:  gunicorn master + workers {peak['gunicorn_total']:.0f} MiB (master "
        f"{peak['gunicorn_master']:.0f}, largest worker {peak['gunicorn_worker_largest']:.0f}; "
        f"summed VmHWM counts pages shared after fork once per process), "
        f"manage.py worker {peak['worker']:.0f} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())
