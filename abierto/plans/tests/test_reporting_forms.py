"""What an implementer and a committee member see when they fill the forms, good or bad."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from abierto.core.models import AuditEntry, Document
from abierto.plans.factories import (
    CommitmentFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    VerificationFactory,
)
from abierto.plans.models import ProgressUpdate, Verification

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _report_url(obj, **overrides) -> str:
    kwargs = {
        "exercise": obj.plan.exercise.slug,
        "plan": obj.plan.slug,
        "commitment": obj.slug,
        **overrides,
    }
    return reverse("reporting:report", kwargs=kwargs)


def _state() -> tuple:
    media = Path(settings.MEDIA_ROOT)
    files = sorted(str(p) for p in media.rglob("*") if p.is_file()) if media.exists() else []
    return (
        ProgressUpdate.objects.count(),
        Verification.objects.count(),
        Document.objects.count(),
        AuditEntry.objects.count(),
        files,
    )


def _data(milestone, **overrides) -> dict:
    return {
        "milestone": milestone.pk,
        "percent": 50,
        "narrative": "Avance de la meta.",
        "evidence_links": "",
        **overrides,
    }


def _assert_refused_on(response, field: str, text: str) -> None:
    """The error is next to the field, summarised at the top, and the page says it in Spanish."""
    html = response.content.decode()
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert any(text in error for error in response.context["form"].errors[field]), response.context[
        "form"
    ].errors[field]
    assert 'role="alert"' in html
    error_list = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert error_list is not None and text in error_list.group(1).replace("&quot;", '"')
    assert f'href="#id_{field}' in html  # the summary links to the field


@pytest.fixture
def reporter_client(client, implementer):
    client.force_login(implementer)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("percent", "message"), [(101, "menor o igual a 100"), (-1, "mayor o igual a 0")]
)
def test_percent_outside_0_100_is_refused_next_to_the_field(
    reporter_client, commitment, milestone, percent, message
):
    before = _state()

    response = reporter_client.post(_report_url(commitment), _data(milestone, percent=percent))

    _assert_refused_on(response, "percent", message)
    assert _state() == before


@pytest.mark.django_db
def test_missing_narrative_is_refused(reporter_client, commitment, milestone):
    response = reporter_client.post(_report_url(commitment), _data(milestone, narrative=" "))

    _assert_refused_on(response, "narrative", "Este campo")


@pytest.mark.django_db
def test_milestone_of_another_commitment_is_refused(reporter_client, commitment, milestone):
    foreign = MilestoneFactory()
    before = _state()

    response = reporter_client.post(_report_url(commitment), _data(foreign))

    _assert_refused_on(response, "milestone", "Escoja una opción válida")
    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"exercise": "no-existe"},
        {"plan": "no-existe"},
        {"commitment": "no-existe"},
    ],
)
def test_unknown_commitment_is_not_found(reporter_client, commitment, overrides):
    assert reporter_client.get(_report_url(commitment, **overrides)).status_code == 404


@pytest.mark.django_db
def test_commitment_of_a_draft_plan_is_not_found(reporter_client, implementing_org):
    draft = CommitmentFactory(plan__status="draft", lead_implementers=[implementing_org])

    assert reporter_client.get(_report_url(draft)).status_code == 404


@pytest.mark.django_db
def test_a_file_too_large_is_refused(reporter_client, commitment, milestone, settings):
    settings.DOCUMENT_MAX_BYTES = 20
    before = _state()
    upload = SimpleUploadedFile("informe.pdf", PDF, content_type="application/pdf")

    response = reporter_client.post(_report_url(commitment), _data(milestone, evidence=[upload]))

    _assert_refused_on(response, "evidence", "el máximo permitido es")
    assert _state() == before


@pytest.mark.django_db
def test_a_file_type_not_allowed_is_refused(reporter_client, commitment, milestone):
    before = _state()
    upload = SimpleUploadedFile("programa.exe", b"MZ\x90\x00", content_type="application/pdf")

    response = reporter_client.post(_report_url(commitment), _data(milestone, evidence=[upload]))

    _assert_refused_on(response, "evidence", "no está permitido")
    assert _state() == before


@pytest.mark.django_db
def test_a_fake_pdf_is_refused_and_no_file_of_the_batch_is_stored(
    reporter_client, commitment, milestone
):
    before = _state()
    good = SimpleUploadedFile("bueno.pdf", PDF, content_type="application/pdf")
    fake = SimpleUploadedFile("informe.pdf", b"<html>no soy un PDF</html>")

    response = reporter_client.post(
        _report_url(commitment), _data(milestone, evidence=[good, fake])
    )

    _assert_refused_on(response, "evidence", "no corresponde a un archivo .pdf")
    assert _state() == before


@pytest.mark.django_db
def test_a_link_that_is_not_a_url_is_refused(reporter_client, commitment, milestone):
    response = reporter_client.post(
        _report_url(commitment), _data(milestone, evidence_links="javascript:alert(1)")
    )

    _assert_refused_on(response, "evidence_links", "no es un enlace válido")


@pytest.mark.django_db
def test_a_correction_must_be_of_the_same_milestone(
    reporter_client, commitment, milestone, implementer
):
    other = MilestoneFactory(commitment=commitment)
    earlier = ProgressUpdateFactory(milestone=other, reported_by=implementer)
    before = _state()

    response = reporter_client.post(_report_url(commitment), _data(milestone, corrects=earlier.pk))

    _assert_refused_on(response, "corrects", "misma meta")
    assert _state() == before


@pytest.mark.django_db
def test_a_correction_is_a_new_update_pointing_to_the_earlier_one(
    reporter_client, commitment, milestone, implementer
):
    earlier = ProgressUpdateFactory(milestone=milestone, reported_by=implementer, percent=80)

    reporter_client.post(_report_url(commitment), _data(milestone, percent=60, corrects=earlier.pk))

    correction = ProgressUpdate.objects.exclude(pk=earlier.pk).get()
    assert correction.corrects == earlier
    earlier.refresh_from_db()
    assert earlier.percent == 80  # never edited


@pytest.mark.django_db
def test_report_form_labels_every_input(reporter_client, commitment, milestone):
    html = reporter_client.get(_report_url(commitment)).content.decode()

    _assert_every_input_labelled(html)
    assert "style=" not in html and "<script" not in html


@pytest.mark.django_db
def test_report_form_requires_the_csrf_token(implementer, commitment, milestone):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(implementer)
    before = _state()

    refused = browser.post(_report_url(commitment), _data(milestone))

    assert refused.status_code == 403
    assert _state() == before

    page = browser.get(_report_url(commitment))
    token = page.cookies["csrftoken"].value
    accepted = browser.post(
        _report_url(commitment), {**_data(milestone), "csrfmiddlewaretoken": token}
    )
    assert accepted.status_code == 302
    assert ProgressUpdate.objects.count() == 1


# --- verification ---------------------------------------------------------------------------


@pytest.fixture
def update(milestone, implementer):
    return ProgressUpdateFactory(
        milestone=milestone,
        reported_by=implementer,
        narrative="Hecho.<script>alert('x')</script> [ver](javascript:alert(1))",
    )


@pytest.mark.django_db
def test_dispute_without_comment_is_refused_next_to_the_comment(client, committee_member, update):
    client.force_login(committee_member)
    before = _state()

    response = client.post(
        reverse("reporting:verify", kwargs={"pk": update.pk}), {"verdict": "disputed"}
    )

    _assert_refused_on(response, "comment", "Explique por qué objeta el avance")
    assert _state() == before


@pytest.mark.django_db
def test_missing_verdict_is_refused(client, committee_member, update):
    client.force_login(committee_member)

    response = client.post(reverse("reporting:verify", kwargs={"pk": update.pk}), {})

    assert "verdict" in response.context["form"].errors
    assert Verification.objects.count() == 0


@pytest.mark.django_db
def test_a_second_verification_by_the_same_member_is_refused(client, committee_member, update):
    VerificationFactory(update=update, verifier=committee_member)
    client.force_login(committee_member)
    before = _state()

    response = client.post(
        reverse("reporting:verify", kwargs={"pk": update.pk}), {"verdict": "confirmed"}
    )

    _assert_refused_on(response, "verdict", "Ya registró su validación")
    assert _state() == before


@pytest.mark.django_db
def test_verify_page_shows_the_narrative_sanitised(client, committee_member, update):
    client.force_login(committee_member)

    html = client.get(reverse("reporting:verify", kwargs={"pk": update.pk})).content.decode()

    assert "<script>alert" not in html
    assert "javascript:alert" not in html
    _assert_every_input_labelled(html)


# --- my work ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_my_work_lists_commitments_to_report_on_for_an_implementer(client, implementer, commitment):
    CommitmentFactory(title="Compromiso ajeno")
    client.force_login(implementer)

    response = client.get(reverse("reporting:my_work"))

    html = response.content.decode()
    assert list(response.context["commitments"]) == [commitment]
    assert _report_url(commitment) in html
    assert "Compromiso ajeno" not in html


@pytest.mark.django_db
def test_my_work_lists_updates_awaiting_the_members_verification(
    client, committee_member, update, milestone
):
    verified = ProgressUpdateFactory(milestone=milestone)
    VerificationFactory(update=verified, verifier=committee_member)
    ProgressUpdateFactory(milestone=MilestoneFactory())  # another committee's
    client.force_login(committee_member)

    response = client.get(reverse("reporting:my_work"))

    assert list(response.context["awaiting"]) == [update]
    assert reverse("reporting:verify", kwargs={"pk": update.pk}) in response.content.decode()


@pytest.mark.django_db
def test_my_work_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("reporting:my_work"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_my_work_is_empty_for_a_citizen(client, citizen, update):
    client.force_login(citizen)

    response = client.get(reverse("reporting:my_work"))

    assert list(response.context["commitments"]) == []
    assert list(response.context["awaiting"]) == []


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []
        self.labels: set[str] = set()
        self._label_depth = 0
        self.wrapped: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.labels.add(attrs["for"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {
            "hidden",
            "submit",
        }:
            self.fields.append(attrs.get("id", ""))
            if self._label_depth:
                self.wrapped.add(attrs.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._label_depth -= 1


def _assert_every_input_labelled(html: str) -> None:
    parser = _Inputs()
    parser.feed(html)
    assert parser.fields
    for field_id in parser.fields:
        assert field_id and (field_id in parser.labels or field_id in parser.wrapped), field_id
