"""Citizens propose and support; bad input is refused or neutralised."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from abierto.core.models import AuditEntry
from abierto.participation import services
from abierto.participation.factories import ProblemFactory, ProposalFactory
from abierto.participation.models import Proposal, Support
from abierto.participation.tests.conftest import url
from abierto.plans.factories import CommitmentFactory

pytestmark = pytest.mark.django_db


def test_a_citizen_proposes_and_it_is_received(client, citizen, exercise, site):
    problem = ProblemFactory(site=site)
    client.force_login(citizen)
    response = client.post(
        url("proposal_create"),
        {"title": "Bancas en la plaza", "description": "Con **sombra**.", "problem": problem.pk},
    )
    proposal = Proposal.objects.get(title="Bancas en la plaza")
    assert response.status_code == 302
    assert response["Location"] == url("proposal", pk=proposal.pk)
    assert (proposal.author, proposal.status, proposal.origin) == (citizen, "received", "citizen")
    assert (proposal.site, proposal.topic) == (site, problem.topic)
    assert AuditEntry.objects.filter(verb="proposal_submit", object_id=str(proposal.pk)).exists()
    page = client.get(url("proposal", pk=proposal.pk)).content.decode()
    assert "<strong>sombra</strong>" in page


def test_anonymous_visitors_are_sent_to_log_in(client, proposal):
    for target in (url("proposal_create"), url("proposal_support", pk=proposal.pk)):
        response = client.post(target, {"title": "x", "description": "y"})
        assert response.status_code == 302
        assert response["Location"].startswith("/cuentas/login/")
    assert Proposal.objects.count() == 1
    assert not Support.objects.exists()


def test_script_in_a_proposal_is_stored_raw_and_rendered_harmless(client, citizen, exercise):
    client.force_login(citizen)
    evil = '<script>alert("x")</script> <img src=x onerror=alert(1)> [a](javascript:alert(1))'
    client.post(url("proposal_create"), {"title": "<script>t</script>", "description": evil})
    proposal = Proposal.objects.get()
    assert proposal.description == evil
    page = client.get(url("proposal", pk=proposal.pk)).content.decode()
    assert "<script>" not in page
    assert "onerror" not in page
    assert "javascript:" not in page
    assert "&lt;script&gt;t&lt;/script&gt;" in page


def test_oversize_text_gives_field_errors(client, citizen, exercise):
    client.force_login(citizen)
    response = client.post(url("proposal_create"), {"title": "t" * 201, "description": "d" * 5001})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "title" in errors and "description" in errors
    assert not Proposal.objects.exists()


def test_the_service_enforces_the_limits_too(citizen, exercise):
    with pytest.raises(ValidationError) as error:
        services.proposal_submit(
            exercise=exercise, author=citizen, title="t", description="d" * 5001
        )
    assert "description" in error.value.message_dict


def test_a_duplicate_support_is_refused_with_a_message_and_no_second_row(client, citizen, proposal):
    client.force_login(citizen)
    client.post(url("proposal_support", pk=proposal.pk))
    response = client.post(url("proposal_support", pk=proposal.pk), follow=True)
    assert Support.objects.filter(proposal=proposal, user=citizen).count() == 1
    assert "Ya había apoyado esta propuesta" in response.content.decode()
    assert response.context["proposal"].support_count == 1


def test_the_database_refuses_a_second_support(citizen, proposal):
    Support.objects.create(proposal=proposal, user=citizen)
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(proposal=proposal, user=citizen)


def test_supports_need_a_get_free_post(client, citizen, proposal):
    client.force_login(citizen)
    assert client.get(url("proposal_support", pk=proposal.pk)).status_code == 405


def test_rejecting_without_a_public_reason_is_refused(stl_staff, proposal):
    with pytest.raises(ValidationError):
        services.proposal_set_status(proposal=proposal, by=stl_staff, status="rejected")
    proposal.refresh_from_db()
    assert proposal.status == "received"
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(status="rejected", status_reason="")


def test_a_rejection_shows_its_public_reason(client, stl_staff, proposal):
    services.proposal_set_status(
        proposal=proposal, by=stl_staff, status="rejected", reason="Ya existe un programa."
    )
    page = client.get(url("proposal", pk=proposal.pk)).content.decode()
    assert "Rechazada" in page and "Ya existe un programa." in page


def test_turning_into_a_commitment_needs_the_commitment(stl_staff, proposal, commitment):
    with pytest.raises(ValidationError):
        services.proposal_set_status(proposal=proposal, by=stl_staff, status="commitment")
    # A commitment of another exercise is refused too.
    with pytest.raises(ValidationError) as error:
        services.proposal_set_status(
            proposal=proposal, by=stl_staff, status="commitment", commitment=commitment
        )
    assert "commitment" in error.value.message_dict
    commitment = CommitmentFactory(plan__exercise=proposal.exercise)
    services.proposal_set_status(
        proposal=proposal, by=stl_staff, status="commitment", commitment=commitment
    )
    assert proposal.commitment == commitment


def test_a_citizen_cannot_decide_on_a_proposal(client, citizen, proposal):
    with pytest.raises(PermissionDenied):
        services.proposal_set_status(proposal=proposal, by=citizen, status="accepted")
    client.force_login(citizen)
    response = client.post(url("proposal_moderate", pk=proposal.pk), {"status": "accepted"})
    assert response.status_code == 403


def test_a_hidden_proposal_shows_its_reason_and_leaves_the_lists(client, stl_staff, proposal):
    client.force_login(stl_staff)
    client.post(
        url("proposal_moderate", pk=proposal.pk), {"action": "hide", "reason": "Publicidad."}
    )
    client.logout()
    proposal.refresh_from_db()
    assert proposal.hidden and proposal.hidden_by == stl_staff
    page = client.get(url("proposal", pk=proposal.pk)).content.decode()
    assert "Publicidad." in page and proposal.title not in page
    assert proposal.title not in client.get(url("proposals")).content.decode()
    assert client.get("/api/v1/proposals/").json()["count"] == 0


def test_the_list_filters_by_status_site_and_theme(client, exercise, site):
    problem = ProblemFactory(site=site)
    ProposalFactory(exercise=exercise, site=site, topic=problem.topic, title="Con tema")
    ProposalFactory(exercise=exercise, title="Sin tema", status="under_review")
    page = client.get(url("proposals"), {"theme": problem.topic.slug}).content.decode()
    assert "Con tema" in page and "Sin tema" not in page
    page = client.get(url("proposals"), {"status": "under_review"}).content.decode()
    assert "Sin tema" in page and "Con tema" not in page
    page = client.get(url("proposals"), {"site": site.slug}).content.decode()
    assert "Con tema" in page and "Sin tema" not in page
