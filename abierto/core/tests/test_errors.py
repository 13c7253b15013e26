"""Error pages in Spanish, and a database that goes away and comes back."""

from __future__ import annotations

import urllib.error
import urllib.request

import psycopg
import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_so_in_spanish_with_a_way_on(client):
    response = client.get("/no-hay-nada-aqui/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Página no encontrada" in page
    assert 'href="/datos/"' in page and "Navegación principal" in page


def _get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 — live_server
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def _drop_server_connections(params: dict) -> None:
    """What a database restart does to the app server's open connection (this test's own
    connection is spared: it cleans up afterwards)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
            "datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
            [own],
        )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite is a file this process opens: it has no server that can go away and return",
)
@pytest.mark.django_db(transaction=True)
def test_the_database_going_away_gives_503_in_spanish_and_recovers_by_itself(live_server):
    home = live_server.url + "/"
    params = connection.get_connection_params()
    assert _get(home)[0] == 200

    # The database restarts: the next request reconnects by itself.
    _drop_server_connections(params)
    assert _get(home)[0] == 200

    # The database is away: nothing answers where it was.
    settings_dict = connections.settings["default"]
    port = settings_dict["PORT"]
    settings_dict["PORT"] = "1"
    try:
        _drop_server_connections(params)
        status, page, headers = _get(home)
        assert status == 503
        assert "La base de datos de la plataforma no responde" in page
        assert headers["Retry-After"] == "30"
        assert "Traceback" not in page and "psycopg" not in page
    finally:
        settings_dict["PORT"] = port

    # It is back: the same server answers again, with no restart.
    assert _get(home)[0] == 200


def test_a_bug_gives_the_500_page_with_the_request_id_and_no_traceback(settings):
    from django.test import Client

    settings.ROOT_URLCONF = "abierto.core.tests.urls_failing"
    response = Client(raise_request_exception=False).get("/roto/", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Algo falló de nuestro lado" in page and "req-42" in page
    assert "ZeroDivisionError" not in page and "Retry-After" not in response.headers
