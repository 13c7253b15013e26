"""Exercise the production configuration of docs/deploy.md on this machine (CI runs it).

Starts Abierto as production runs it — DEBUG off, a real SECRET_KEY, PostgreSQL, Redis,
gunicorn with two workers behind the TLS-terminating proxy's header, the background worker
as its own process, collected static files served by whitenoise, Prometheus metrics —
and checks from the outside what a state IT team and a browser would: `check --deploy` is
clean, health is green, pages carry the security headers (HSTS, CSP without unsafe-inline,
nosniff, frame denial), cookies are Secure, plain HTTP is redirected, static files are
cached for a year, metrics answer only with the token, and a background task is run.

Usage: python bin/deploy_check.py postgresql://postgres@127.0.0.1:5432/DBNAME
(the database must exist and be empty; Redis is expected on 127.0.0.1:6379).
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
HOST = "datos.jalisco.example"
ENQUEUE = """
from django.core.files.uploadedfile import SimpleUploadedFile
from pathlib import Path
from abierto.contracting import services
from abierto.contracting.models import Publisher
package = sorted(Path("abierto/demo/contracting/release-packages").glob("*.json"))[0]
upload = SimpleUploadedFile(package.name, package.read_bytes(), "application/json")
publisher = Publisher.objects.order_by("pk").first()
print(services.import_start(actor=None, publisher=publisher, source="upload", file=upload).pk)
"""
STATUS = "from abierto.contracting.models import Import; print(Import.objects.get(pk=%d).status)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, path: str, *, https: bool = True, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": HOST, **(headers or {})}
    if https:
        sent["X-Forwarded-Proto"] = "https"  # what the TLS proxy adds
    connection.request("GET", path, headers=sent)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


failures: list[str] = []


def check(condition: bool, what: str) -> None:
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def main(database_url: str) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="abierto-deploy-"))
    token = secrets.token_urlsafe(24)
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "SITE_URL": f"https://{HOST}",
        "CATALOG_CONTACT_EMAIL": "datos@jalisco.example",
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "SECURE_COOKIES": "true",
        "BEHIND_TLS_PROXY": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "WHITENOISE_USE_FINDERS": "false",
        "METRICS_TOKEN": token,
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
        "ABIERTO_VAR_DIR": str(workdir),
        "LOG_LEVEL": "ERROR",
        "REQUEST_LOG_LEVEL": "WARNING",
    }
    (workdir / "prometheus").mkdir()

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 — our interpreter, our commands
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )

    for step in (("migrate", "--noinput"), ("collectstatic", "--noinput"), ("load_demo",)):
        done = manage(*step)
        if done.returncode != 0:
            print(done.stdout, done.stderr)
            return 1
    deploy = manage("check", "--deploy", "--fail-level", "WARNING")
    check(deploy.returncode == 0, "manage.py check --deploy: no warning " + deploy.stderr)

    port = free_port()
    processes = [
        subprocess.Popen(  # noqa: S603
            [
                PYTHON,
                "-m",
                "gunicorn",
                "abierto.wsgi",
                "--config",
                "python:abierto.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "2",
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen(  # noqa: S603
            [
                PYTHON,
                "manage.py",
                "worker",
                "--no-reload",
                "--interval",
                "0.5",
                "--worker-id",
                "deploy-check",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        ),
    ]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response, body = request(port, "/salud/", https=False)
                break
            except OSError:
                if time.monotonic() > deadline:
                    check(False, "gunicorn started")
                    return 1
                time.sleep(0.5)
        check(response.status == 200 and b'"ok"' in body, "/salud/ 200 over plain HTTP")

        response, _ = request(port, "/", https=False)
        check(
            response.status == 301 and response.getheader("Location") == f"https://{HOST}/",
            "plain HTTP is redirected to HTTPS",
        )
        response, body = request(port, "/")
        check(response.status == 200 and "Jalisco" in body.decode(), "home page 200 over HTTPS")
        hsts = response.getheader("Strict-Transport-Security") or ""
        check("max-age=31536000" in hsts and "preload" in hsts, f"HSTS: {hsts}")
        csp = response.getheader("Content-Security-Policy") or ""
        check(bool(csp) and "unsafe-inline" not in csp, f"CSP without unsafe-inline: {csp}")
        check(response.getheader("X-Content-Type-Options") == "nosniff", "nosniff")
        check(response.getheader("X-Frame-Options") == "DENY", "frames denied")
        check(bool(response.getheader("X-Request-ID")), "request id returned")

        response, body = request(port, "/cuentas/login/")
        cookies = response.getheader("Set-Cookie") or ""
        check("csrftoken" in cookies and "Secure" in cookies, f"Secure CSRF cookie: {cookies}")

        css = next((workdir / "static" / "abierto" / "css").glob("abierto.*.css"))
        response, _ = request(port, f"/static/abierto/css/{css.name}")
        cache = response.getheader("Cache-Control") or ""
        check(response.status == 200 and "max-age=315360000" in cache, f"hashed static: {cache}")

        for path in (
            "/datos/",
            "/api/3/action/package_search?q=escuelas",
            "/jalisco/stl/",
            "/contrataciones/entregas.json",
            "/nacional/",
            "/catalog.jsonld",
        ):
            response, _ = request(port, path)
            check(response.status == 200, f"{path} 200")

        response, _ = request(port, "/metricas", https=False)
        check(response.status == 401, "metrics refused without the token")
        response, body = request(
            port, "/metricas", https=False, headers={"Authorization": f"Bearer {token}"}
        )
        text = body.decode()
        check(
            response.status == 200
            and "abierto_http_request_duration_seconds_count" in text
            and "abierto_task_queue_ready" in text,
            "metrics with the token, summed over gunicorn's processes",
        )
        # A background task goes through the separate worker process.
        queued = manage("shell", "-v", "0", "-c", ENQUEUE)
        import_id = queued.stdout.strip().splitlines()[-1] if queued.stdout.strip() else ""
        deadline = time.monotonic() + 120
        status = ""
        while import_id and time.monotonic() < deadline:
            status = manage("shell", "-v", "0", "-c", STATUS % int(import_id)).stdout.strip()
            if status in ("done", "failed"):
                break
            time.sleep(1)
        check(status == "done", f"an OCDS import queued by the web ran in the worker: {status}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    print(f"deploy check: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
