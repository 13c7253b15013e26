"""Request ids and JSON log lines, through real requests."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest

from abierto.core.logs import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_a_sane_request_id_round_trips(client):
    response = client.get("/salud/", headers={"X-Request-ID": "lb-7f3a.9c:01"})

    assert response["X-Request-ID"] == "lb-7f3a.9c:01"


@pytest.mark.parametrize("sent", [None, "", "a b", 'x"}\n{"level":"CRITICAL', "x" * 129])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_one(client, sent):
    headers = {} if sent is None else {"X-Request-ID": sent}

    response = client.get("/salud/", headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_every_request_logs_one_json_line_without_the_query_string(client, caplog):
    caplog.set_level(logging.INFO, logger="abierto.requests")

    response = client.get("/salud/?q=maria.lopez@example.org", headers={"X-Request-ID": "abc123"})

    records = [r for r in caplog.records if r.name == "abierto.requests"]
    assert len(records) == 1
    line = JsonFormatter().format(records[0])
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["request_id"] == "abc123" == response["X-Request-ID"]
    assert entry["level"] == "INFO"
    assert entry["logger"] == "abierto.requests"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/salud/", 200)
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])
    assert "example.org" not in line


@pytest.fixture
def json_lines():
    """A handler set up as settings.LOGGING sets the console one, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_lines_logged_while_serving_carry_the_request_id_and_exceptions_are_a_string(
    client, settings, json_lines
):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    client.get("/salud/", headers={"X-Request-ID": "req-42"})

    lines = json_lines()
    entry = next(line for line in lines if line["logger"] == "abierto.health")
    assert entry["request_id"] == "req-42"
    assert entry["level"] == "ERROR"
    assert isinstance(entry["exception"], str) and "ConnectionError" in entry["exception"]
    request_line = next(line for line in lines if line["logger"] == "abierto.requests")
    assert (request_line["request_id"], request_line["status"]) == ("req-42", 503)


def test_a_line_outside_a_request_has_no_request_id():
    record = logging.makeLogRecord({"name": "abierto.tasks", "msg": "hecho %s", "args": (3,)})

    entry = json.loads(JsonFormatter().format(record))

    assert entry["message"] == "hecho 3"
    assert entry["request_id"] is None


def test_a_password_reset_link_never_reaches_the_log(client, caplog, citizen):
    """Whoever reads the logs must not be able to take over an account."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    caplog.set_level(logging.INFO)
    uid = urlsafe_base64_encode(force_bytes(citizen.pk))
    token = default_token_generator.make_token(citizen)

    response = client.get(f"/cuentas/reset/{uid}/{token}/")

    assert response.status_code == 302  # on to the form, the token kept in the session
    logged = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert token not in logged and uid not in logged
    paths = [r.path for r in caplog.records if r.name == "abierto.requests"]
    assert paths == ["/cuentas/reset/<uidb64>/<token>/"]


def _settings_import(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SECRET_KEY_FILE")}
    return subprocess.run(  # noqa: S603 — this interpreter, a fixed script
        [sys.executable, "-c", "import abierto.settings"],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_public_host_without_secret_key_refuses_to_start():
    refused = _settings_import({"ALLOWED_HOSTS": "datos.jalisco.gob.mx"})
    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr
    assert "datos.jalisco.gob.mx" in refused.stderr

    assert (
        _settings_import(
            {"ALLOWED_HOSTS": "datos.jalisco.gob.mx", "SECRET_KEY": "x" * 50}
        ).returncode
        == 0
    )
    # The embedded default on this machine keeps working without one.
    assert _settings_import({}).returncode == 0
