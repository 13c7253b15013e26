"""Public lists, downloads and API: constant queries, no personal data."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from abierto.participation.factories import (
    CommentFactory,
    EventFactory,
    ProblemFactory,
    ProposalFactory,
    SiteFactory,
    SolutionFactory,
    SupportFactory,
    TopicFactory,
)
from abierto.participation.tests.conftest import url

pytestmark = pytest.mark.django_db


def _fill(exercise, lab, n: int) -> None:
    for _ in range(n):
        site = SiteFactory(lab=lab)
        site.topics.add(TopicFactory())
        problem = ProblemFactory(site=site)
        proposal = ProposalFactory(exercise=exercise, site=site, topic=problem.topic)
        SupportFactory(proposal=proposal)
        CommentFactory(proposal=proposal)
        SolutionFactory(lab=lab, municipality=site.municipality)
        EventFactory(exercise=exercise, lab=lab)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
        assert response.status_code == 200, path
    return len(context)


PATHS = [
    url("labs"),
    url("lab", lab="liiga"),
    url("proposals"),
    url("proposals") + "?format=csv",
    url("events"),
    url("events") + "?format=json",
    "/api/v1/labs/",
    "/api/v1/lab-sites/",
    "/api/v1/problems/",
    "/api/v1/proposals/",
    "/api/v1/comments/",
    "/api/v1/solutions/",
    "/api/v1/events/",
]


@pytest.mark.parametrize("path", PATHS)
def test_lists_take_the_same_queries_for_more_rows(client, exercise, lab, path):
    _fill(exercise, lab, 2)
    # Once first: per-process caches (content types, for the events' documents) fill on the
    # first request whatever the rows, and are not what this test is about.
    _queries(client, path)
    few = _queries(client, path)
    _fill(exercise, lab, 6)
    assert _queries(client, path) == few


def test_the_proposal_page_takes_constant_queries(
    client, exercise, lab, django_assert_max_num_queries
):
    _fill(exercise, lab, 1)
    proposal = ProposalFactory(exercise=exercise)
    for _ in range(2):
        CommentFactory(proposal=proposal)
    few = _queries(client, url("proposal", pk=proposal.pk))
    for _ in range(6):
        CommentFactory(proposal=proposal)
    assert _queries(client, url("proposal", pk=proposal.pk)) == few


def test_the_proposals_api_gives_support_counts_and_public_names(client, exercise, proposal):
    SupportFactory(proposal=proposal)
    SupportFactory(proposal=proposal)
    data = client.get("/api/v1/proposals/").json()["results"][0]
    assert data["support_count"] == 2
    assert set(data["author"]) == {"id", "name"}
    assert "email" not in json.dumps(data)


def test_events_download_with_attendance(client, exercise):
    EventFactory(exercise=exercise, title="Panel", participants=30, participants_at_least=True)
    response = client.get(url("events") + "?format=json")
    rows = json.loads(b"".join(response.streaming_content))
    assert rows[0]["participantes"] == 30 and rows[0]["participantes_cifra_minima"] is True
    assert "más de 30" in client.get(url("events")).content.decode()


def test_events_filter_by_kind_and_year(client, exercise):
    EventFactory(exercise=exercise, title="Feria vieja", kind="fair")
    EventFactory(exercise=exercise, title="Panel nuevo", kind="panel", held_on="2018-02-01")
    page = client.get(url("events"), {"kind": "fair"}).content.decode()
    assert "Feria vieja" in page and "Panel nuevo" not in page
    page = client.get(url("events"), {"year": "2018"}).content.decode()
    assert "Panel nuevo" in page and "Feria vieja" not in page


def test_the_openapi_document_lists_the_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/labs/", "/api/v1/proposals/", "/api/v1/events/", "/api/v1/comments/"):
        assert path in schema


def test_an_event_page_shows_its_documents_and_photos(client, exercise):
    from abierto.core.services import document_attach

    event = EventFactory(exercise=exercise, title="Jornada", place="COPARMEX Jalisco")
    document_attach(
        obj=event,
        kind="photo",
        title="Foto de la jornada",
        uploaded_by=None,
        url="https://example.org/foto.jpg",
    )
    page = client.get(url("event", event=event.slug)).content.decode()
    assert "Foto de la jornada" in page and "COPARMEX Jalisco" in page
    data = client.get("/api/v1/events/").json()["results"][0]
    assert data["documents"][0]["title"] == "Foto de la jornada"


def test_a_site_page_shows_its_themes_problems_and_proposals(client, exercise, site):
    topic = TopicFactory(name="Empleo")
    site.topics.add(topic)
    ProblemFactory(site=site, topic=topic, description="Falta de empleo")
    ProposalFactory(exercise=exercise, site=site, title="Incentivos fiscales")
    page = client.get(url("site", lab=site.lab.slug, site=site.slug)).content.decode()
    for text in ("Empleo", "Falta de empleo", "Incentivos fiscales", "<svg"):
        assert text in page
