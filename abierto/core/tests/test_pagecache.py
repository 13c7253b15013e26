"""Anonymous visitors get cached pages that are never stale after a change to public content."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from abierto.plans.services import progress_update_report


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 600


def _dashboard_url(commitment) -> str:
    plan = commitment.plan
    return f"/{plan.exercise.slug}/planes/{plan.slug}/"


def _commitment_url(commitment) -> str:
    return f"{_dashboard_url(commitment)}compromisos/{commitment.slug}/"


@pytest.mark.usefixtures("page_cache")
def test_second_anonymous_visit_is_served_from_the_cache(
    client, milestone, django_assert_num_queries
):
    url = _dashboard_url(milestone.commitment)
    first = client.get(url)

    with django_assert_num_queries(1):  # only the content version
        second = client.get(url)

    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert "Content-Security-Policy" in second


@pytest.mark.usefixtures("page_cache")
def test_a_progress_report_shows_at_once_on_the_cached_pages(client, milestone, implementer):
    url = _commitment_url(milestone.commitment)
    dashboard = _dashboard_url(milestone.commitment)
    assert "Primer avance visible" not in client.get(url).content.decode()
    assert "35,0 %" not in client.get(dashboard).content.decode()

    progress_update_report(
        milestone=milestone,
        reported_by=implementer,
        percent=35,
        narrative="Primer avance visible",
        evidence_files=[SimpleUploadedFile("nota.txt", b"evidencia")],
    )

    page = client.get(url).content.decode()
    assert "Primer avance visible" in page
    assert "35,0 %" in client.get(dashboard).content.decode()


@pytest.mark.usefixtures("page_cache")
def test_signed_in_people_always_get_a_fresh_page_with_their_actions(
    client, milestone, implementer
):
    url = _commitment_url(milestone.commitment)
    anonymous = client.get(url).content.decode()
    client.force_login(implementer)

    own = client.get(url).content.decode()

    assert "reportar/" not in anonymous
    assert "reportar/" in own


@pytest.mark.usefixtures("page_cache")
def test_each_language_is_cached_apart(client, milestone):
    url = _dashboard_url(milestone.commitment)
    spanish = client.get(url)
    client.cookies["django_language"] = "en"

    english = client.get(url)

    assert 'lang="es"' in spanish.content.decode()
    assert 'lang="en"' in english.content.decode()


@pytest.mark.usefixtures("page_cache")
def test_not_found_is_never_cached(client, milestone):
    url = _dashboard_url(milestone.commitment) + "compromisos/no-existe/"
    assert client.get(url).status_code == 404
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_language_link_switches_language_and_returns_to_the_page(client):
    response = client.get("/idioma/en/?next=/jalisco/stl/")

    assert response.status_code == 302
    assert response["Location"] == "/jalisco/stl/"
    assert response.cookies["django_language"].value == "en"


@pytest.mark.django_db
def test_language_link_never_redirects_off_site(client):
    response = client.get("/idioma/en/?next=https://example.com/robo")

    assert response["Location"] == "/"


@pytest.mark.django_db
def test_unknown_language_is_not_found(client):
    assert client.get("/idioma/xx/").status_code == 404


@pytest.mark.usefixtures("page_cache")
def test_anonymous_api_reads_are_cached_and_never_stale(
    client, milestone, implementer, django_assert_num_queries
):
    from rest_framework.authtoken.models import Token

    url = f"/api/v1/progress-updates/?milestone={milestone.pk}"
    assert client.get(url).json()["count"] == 0
    with django_assert_num_queries(1):
        assert client.get(url).json()["count"] == 0
    token = Token.objects.create(user=implementer)

    created = client.post(
        "/api/v1/progress-updates/",
        {"milestone": milestone.pk, "percent": 20, "narrative": "Avance por la API"},
        content_type="application/json",
        headers={"Authorization": f"Token {token.key}"},
    )

    assert created.status_code == 201
    assert client.get(url).json()["count"] == 1
