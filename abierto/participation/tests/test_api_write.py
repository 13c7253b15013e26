"""REST writes of participation: citizens propose, support and comment; STL staff decide and
hide. Every write goes through the services (audited); the answers carry no personal data."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from abierto.core.factories import UserFactory
from abierto.core.models import AuditEntry
from abierto.participation.factories import (
    CommentFactory,
    LabFactory,
    ProposalFactory,
    SiteFactory,
    SupportFactory,
)
from abierto.participation.models import Comment, Proposal, Support
from abierto.participation.tests.conftest import url
from abierto.plans.factories import CommitmentFactory

pytestmark = pytest.mark.django_db

PROPOSALS = "/api/v1/proposals/"
COMMENTS = "/api/v1/comments/"


def _client(user=None, *, token: bool = True) -> APIClient:
    client = APIClient()
    if user is not None:
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            client.force_login(user)
    return client


@pytest.fixture
def other_citizen(db):
    return UserFactory(username="otro-ciudadano")


@pytest.fixture
def inactive(db):
    return UserFactory(username="cuenta-dada-de-baja", is_active=False)


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def personas(citizen, other_citizen, stl_staff, superuser, inactive):
    return {
        "citizen": citizen,
        "other_citizen": other_citizen,
        "stl_staff": stl_staff,
        "superuser": superuser,
        "inactive": inactive,
    }


def _proposal_body(exercise, site) -> dict:
    return {
        "exercise": exercise.slug,
        "title": "Bancas en la plaza",
        "description": "Con **sombra**.",
        "site": site.pk,
    }


# --------------------------------------------------------------------- permission matrix

CITIZEN_WRITES = {"anonymous": 401, "inactive": 401, "citizen": 201, "other_citizen": 201}
STAFF_WRITES = {
    "anonymous": 401,
    "inactive": 401,
    "citizen": 403,
    "other_citizen": 403,
    "stl_staff": 200,
    "superuser": 200,
}


@pytest.mark.parametrize(("persona", "expected"), [*CITIZEN_WRITES.items(), ("stl_staff", 201)])
def test_who_may_submit_a_proposal(persona, expected, personas, exercise, site):
    client = _client(personas.get(persona))
    response = client.post(PROPOSALS, _proposal_body(exercise, site), format="json")
    assert response.status_code == expected, response.content
    assert Proposal.objects.count() == (1 if expected == 201 else 0)
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize(("persona", "expected"), [*CITIZEN_WRITES.items(), ("stl_staff", 201)])
def test_who_may_support_a_proposal(persona, expected, personas, proposal):
    response = _client(personas.get(persona)).post(f"{PROPOSALS}{proposal.pk}/support/")
    assert response.status_code == expected, response.content
    assert Support.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize(("persona", "expected"), [*CITIZEN_WRITES.items(), ("stl_staff", 201)])
def test_who_may_comment(persona, expected, personas, proposal):
    response = _client(personas.get(persona)).post(
        COMMENTS, {"proposal": proposal.pk, "body": "De acuerdo."}, format="json"
    )
    assert response.status_code == expected, response.content
    assert Comment.objects.count() == (1 if expected == 201 else 0)


@pytest.mark.parametrize(("persona", "expected"), STAFF_WRITES.items())
def test_who_may_decide_a_proposal(persona, expected, personas, proposal):
    response = _client(personas.get(persona)).post(
        f"{PROPOSALS}{proposal.pk}/status/",
        {"status": "rejected", "reason": "Ya existe un programa estatal."},
        format="json",
    )
    assert response.status_code == expected, response.content
    proposal.refresh_from_db()
    assert proposal.status == ("rejected" if expected == 200 else "received")


@pytest.mark.parametrize(("persona", "expected"), STAFF_WRITES.items())
def test_who_may_hide_a_proposal(persona, expected, personas, proposal):
    response = _client(personas.get(persona)).post(
        f"{PROPOSALS}{proposal.pk}/hide/", {"reason": "Datos personales."}, format="json"
    )
    assert response.status_code == expected, response.content
    proposal.refresh_from_db()
    assert proposal.hidden is (expected == 200)


@pytest.mark.parametrize(("persona", "expected"), STAFF_WRITES.items())
def test_who_may_hide_a_comment(persona, expected, personas, proposal):
    comment = CommentFactory(proposal=proposal, body="Insulto")
    response = _client(personas.get(persona)).post(
        f"{COMMENTS}{comment.pk}/hide/", {"reason": "Lenguaje ofensivo."}, format="json"
    )
    assert response.status_code == expected, response.content
    comment.refresh_from_db()
    assert comment.hidden is (expected == 200)


def test_a_session_write_needs_the_csrf_token(citizen, proposal):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(citizen)
    response = client.post(f"{PROPOSALS}{proposal.pk}/support/")
    assert response.status_code == 403
    assert not Support.objects.exists()


def test_a_session_write_with_the_csrf_token_is_accepted(client, citizen, proposal):
    client.force_login(citizen)
    client.get(url("proposal", pk=proposal.pk))  # sets the CSRF cookie, as a browser would
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(citizen)
    api.cookies["csrftoken"] = client.cookies["csrftoken"].value
    response = api.post(
        f"{PROPOSALS}{proposal.pk}/support/",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 201


# ------------------------------------------------------------------------------ proposals


def test_a_submitted_proposal_is_answered_without_personal_data(citizen, exercise, site):
    response = _client(citizen).post(PROPOSALS, _proposal_body(exercise, site), format="json")
    body = response.json()
    assert body["title"] == "Bancas en la plaza"
    assert body["origin"] == "citizen" and body["status"] == "received"
    assert body["author"] == {"id": citizen.pk, "name": citizen.public_name}
    assert body["site"] == site.pk and body["support_count"] == 0
    text = response.content.decode()
    assert citizen.email not in text and citizen.username not in text
    entry = AuditEntry.objects.get(verb="proposal_submit")
    assert entry.actor == citizen and entry.object_id == str(body["id"])
    assert _client().get(f"{PROPOSALS}{body['id']}/").json()["title"] == "Bancas en la plaza"


def test_a_proposal_with_script_is_stored_raw_and_rendered_harmless(client, citizen, exercise):
    evil = '<script>alert("x")</script> [a](javascript:alert(1))'
    response = _client(citizen).post(
        PROPOSALS,
        {"exercise": exercise.slug, "title": "<script>t</script>", "description": evil},
        format="json",
    )
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["description"] == evil
    page = client.get(url("proposal", pk=response.json()["id"])).content.decode()
    assert "<script>" not in page and "javascript:" not in page
    assert "&lt;script&gt;t&lt;/script&gt;" in page


def test_an_oversize_proposal_is_refused_field_by_field(citizen, exercise):
    response = _client(citizen).post(
        PROPOSALS,
        {"exercise": exercise.slug, "title": "t" * 201, "description": "d" * 5001},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"title", "description"}
    assert "200" in errors["title"][0] and "5000" in errors["description"][0]
    assert not Proposal.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"site": 999999}, "site"),
        ({"exercise": "no-existe"}, "exercise"),
        ({"title": ""}, "title"),
        ({"problem": "uno"}, "problem"),
    ],
)
def test_bad_proposal_input_names_the_field(change, field, citizen, exercise, site):
    body = {**_proposal_body(exercise, site), **change}
    response = _client(citizen).post(PROPOSALS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Proposal.objects.exists()


def test_a_site_of_another_exercise_is_refused(citizen, exercise, site):
    elsewhere = SiteFactory(lab=LabFactory())
    body = {**_proposal_body(exercise, site), "site": elsewhere.pk}
    response = _client(citizen).post(PROPOSALS, body, format="json")
    assert response.status_code == 400
    assert "no pertenece" in response.json()["site"][0]
    assert not Proposal.objects.exists()


# ------------------------------------------------------------------------------- supports


def test_a_repeat_support_returns_the_existing_one(citizen, proposal):
    api = _client(citizen)
    first = api.post(f"{PROPOSALS}{proposal.pk}/support/")
    again = api.post(f"{PROPOSALS}{proposal.pk}/support/")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["created"] is True and again.json()["created"] is False
    assert again.json()["created_at"] == first.json()["created_at"]
    assert again.json()["support_count"] == 1
    assert Support.objects.count() == 1
    assert AuditEntry.objects.filter(verb="proposal_support").count() == 1
    assert citizen.username not in again.content.decode()


def test_supports_of_two_citizens_are_counted(citizen, other_citizen, proposal):
    SupportFactory(proposal=proposal, user=other_citizen)
    response = _client(citizen).post(f"{PROPOSALS}{proposal.pk}/support/")
    assert response.json()["support_count"] == 2
    assert _client().get(f"{PROPOSALS}{proposal.pk}/").json()["support_count"] == 2


def test_a_hidden_proposal_cannot_be_supported(citizen, stl_staff, proposal):
    _client(stl_staff).post(f"{PROPOSALS}{proposal.pk}/hide/", {"reason": "Spam."})
    response = _client(citizen).post(f"{PROPOSALS}{proposal.pk}/support/")
    assert response.status_code == 404
    assert not Support.objects.exists()


# ------------------------------------------------------------------------------- comments


def test_a_comment_is_answered_by_public_name(citizen, proposal):
    response = _client(citizen).post(
        COMMENTS, {"proposal": proposal.pk, "body": "Me parece bien."}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["author"] == {"id": citizen.pk, "name": citizen.public_name}
    assert citizen.email not in response.content.decode()
    assert AuditEntry.objects.filter(verb="comment_post", actor=citizen).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [({"body": "x" * 2001}, "body"), ({"body": ""}, "body"), ({"proposal": 999999}, "proposal")],
)
def test_bad_comment_input_names_the_field(body, field, citizen, proposal):
    response = _client(citizen).post(
        COMMENTS, {"proposal": proposal.pk, "body": "ok", **body}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not Comment.objects.exists()


def test_a_comment_on_a_hidden_proposal_is_refused(citizen, proposal, stl_staff):
    _client(stl_staff).post(f"{PROPOSALS}{proposal.pk}/hide/", {"reason": "Spam."})
    response = _client(citizen).post(COMMENTS, {"proposal": proposal.pk, "body": "Hola"})
    assert response.status_code == 400
    assert "ocultada" in str(response.json())


def test_a_comment_flood_gets_429_with_retry_after(citizen, proposal):
    api = _client(citizen)
    for n in range(5):
        response = api.post(COMMENTS, {"proposal": proposal.pk, "body": f"c{n}"})
        assert response.status_code == 201
    response = api.post(COMMENTS, {"proposal": proposal.pk, "body": "uno más"})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    assert "demasiados comentarios" in response.json()["detail"]
    assert Comment.objects.count() == 5


def test_the_web_and_the_api_share_one_comment_limit(client, citizen, proposal):
    client.force_login(citizen)
    for n in range(5):
        client.post(url("comment_create", pk=proposal.pk), {"body": f"web {n}"})
    response = _client(citizen).post(COMMENTS, {"proposal": proposal.pk, "body": "api"})
    assert response.status_code == 429
    web = client.post(url("comment_create", pk=proposal.pk), {"body": "otra"})
    assert web.status_code == 429 and int(web["Retry-After"]) > 0


# ----------------------------------------------------------------------------- moderation


def test_a_rejection_needs_a_public_reason(stl_staff, proposal):
    response = _client(stl_staff).post(
        f"{PROPOSALS}{proposal.pk}/status/", {"status": "rejected"}, format="json"
    )
    assert response.status_code == 400
    assert "status_reason" in response.json()
    proposal.refresh_from_db()
    assert proposal.status == "received"


def test_an_unknown_status_is_refused(stl_staff, proposal):
    response = _client(stl_staff).post(f"{PROPOSALS}{proposal.pk}/status/", {"status": "x"})
    assert response.status_code == 400 and "status" in response.json()


def test_a_proposal_turned_into_a_commitment_links_it(stl_staff, exercise, proposal):
    commitment = CommitmentFactory(plan__exercise=exercise)
    api = _client(stl_staff)
    missing = api.post(f"{PROPOSALS}{proposal.pk}/status/", {"status": "commitment"})
    assert missing.status_code == 400 and "commitment" in missing.json()
    foreign = CommitmentFactory()
    elsewhere = api.post(
        f"{PROPOSALS}{proposal.pk}/status/", {"status": "commitment", "commitment": foreign.pk}
    )
    assert elsewhere.status_code == 400 and "commitment" in elsewhere.json()
    done = api.post(
        f"{PROPOSALS}{proposal.pk}/status/", {"status": "commitment", "commitment": commitment.pk}
    )
    assert done.status_code == 200
    assert done.json()["status"] == "commitment"
    assert done.json()["commitment"] == commitment.pk
    entry = AuditEntry.objects.get(verb="proposal_set_status")
    assert entry.before["status"] == "received" and entry.after["status"] == "commitment"


def test_a_hidden_proposal_leaves_the_api_with_its_reason_on_the_page(client, stl_staff, proposal):
    response = _client(stl_staff).post(
        f"{PROPOSALS}{proposal.pk}/hide/", {"reason": "Contiene datos personales."}
    )
    assert response.json()["hidden"] is True
    assert response.json()["hidden_reason"] == "Contiene datos personales."
    assert set(response.json()) == {"id", "hidden", "hidden_reason", "hidden_at"}
    assert _client().get(f"{PROPOSALS}{proposal.pk}/").status_code == 404
    assert Proposal.objects.filter(pk=proposal.pk).exists()
    assert (
        "Contiene datos personales." in client.get(url("proposal", pk=proposal.pk)).content.decode()
    )
    assert AuditEntry.objects.filter(verb="proposal_hide", actor=stl_staff).exists()


def test_hiding_needs_a_reason(stl_staff, proposal):
    comment = CommentFactory(proposal=proposal)
    api = _client(stl_staff)
    for path in (f"{PROPOSALS}{proposal.pk}/hide/", f"{COMMENTS}{comment.pk}/hide/"):
        response = api.post(path, {"reason": ""})
        assert response.status_code == 400 and "reason" in response.json()
    assert not Proposal.objects.filter(hidden=True).exists()
    assert not Comment.objects.filter(hidden=True).exists()


def test_a_hidden_comment_leaves_the_api(stl_staff, proposal):
    comment = CommentFactory(proposal=proposal, body="Insulto")
    _client(stl_staff).post(f"{COMMENTS}{comment.pk}/hide/", {"reason": "Lenguaje ofensivo."})
    assert _client().get(COMMENTS).json()["count"] == 0
    assert Comment.objects.filter(pk=comment.pk, hidden=True).exists()


def test_reads_stay_read_only(citizen, proposal):
    api = _client(citizen)
    assert api.put(f"{PROPOSALS}{proposal.pk}/", {"title": "x"}).status_code == 405
    assert api.delete(f"{PROPOSALS}{proposal.pk}/").status_code == 405
    comment = CommentFactory(proposal=proposal, author=citizen)
    assert api.patch(f"{COMMENTS}{comment.pk}/", {"body": "x"}).status_code == 405
    assert ProposalFactory._meta.model.objects.get(pk=proposal.pk).title == proposal.title


def test_the_writes_are_in_the_openapi_document(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/proposals/"]
    assert set(paths["/api/v1/proposals/{id}/support/"]["post"]["responses"]) == {"200", "201"}
    assert "429" in paths["/api/v1/comments/"]["post"]["responses"]
    for path in ("/api/v1/proposals/{id}/status/", "/api/v1/proposals/{id}/hide/"):
        assert "post" in paths[path]
    assert "post" in paths["/api/v1/comments/{id}/hide/"]
