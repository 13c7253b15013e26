"""The plan services: the only writers of progress updates and verifications, all audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from abierto.core.models import AuditEntry, Document
from abierto.plans import services
from abierto.plans.factories import MilestoneFactory, ProgressUpdateFactory
from abierto.plans.models import Milestone, ProgressUpdate, Verification

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.mark.django_db
def test_a_report_is_audited_with_actor_and_after(implementer, milestone):
    update = services.progress_update_report(
        milestone=milestone, reported_by=implementer, percent=40, narrative=" Avance. "
    )

    entry = AuditEntry.objects.get(verb="progress_update_report")
    assert entry.actor == implementer
    assert entry.object_id == str(update.pk)
    assert entry.before is None
    assert entry.after["percent"] == 40
    assert entry.after["narrative"] == "Avance."
    assert entry.action == AuditEntry.Action.CREATE


@pytest.mark.django_db
def test_a_report_moves_the_milestone_and_audits_that_too(implementer, milestone):
    services.progress_update_report(
        milestone=milestone, reported_by=implementer, percent=100, narrative="Hecho."
    )

    milestone.refresh_from_db()
    assert milestone.status == Milestone.Status.COMPLETED
    entry = AuditEntry.objects.get(verb="milestone_follow_progress")
    assert entry.before["status"] == "planned"
    assert entry.after["status"] == "completed"


@pytest.mark.django_db
def test_evidence_is_attached_checked_and_audited(implementer, milestone):
    update = services.progress_update_report(
        milestone=milestone,
        reported_by=implementer,
        percent=10,
        narrative="Inicio.",
        evidence_files=[SimpleUploadedFile("acta.pdf", PDF)],
        evidence_links=["https://example.org/nota"],
    )

    documents = Document.objects.for_object(update)
    assert documents.count() == 2
    stored = documents.exclude(file="").get()
    assert (stored.media_type, stored.size, len(stored.sha256)) == ("application/pdf", 15, 64)
    assert AuditEntry.objects.filter(verb="document_attach").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["outsider_implementer", "committee_member", "stl_staff"])
def test_only_the_implementer_may_report(request, milestone, persona):
    with pytest.raises(PermissionDenied):
        services.progress_update_report(
            milestone=milestone,
            reported_by=request.getfixturevalue(persona),
            percent=10,
            narrative="x",
        )
    assert ProgressUpdate.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("percent", [101, -1])
def test_percent_outside_0_100_is_refused_naming_the_field(implementer, milestone, percent):
    with pytest.raises(ValidationError) as error:
        services.progress_update_report(
            milestone=milestone, reported_by=implementer, percent=percent, narrative="x"
        )
    assert "percent" in error.value.message_dict


@pytest.mark.django_db
def test_a_bad_file_leaves_nothing_behind(implementer, milestone):
    with pytest.raises(ValidationError) as error:
        services.progress_update_report(
            milestone=milestone,
            reported_by=implementer,
            percent=10,
            narrative="x",
            evidence_files=[SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", b"no")],
        )
    assert "evidence" in error.value.message_dict
    assert (ProgressUpdate.objects.count(), Document.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_a_correction_of_another_milestone_is_refused(implementer, milestone, commitment):
    other = ProgressUpdateFactory(milestone=MilestoneFactory(commitment=commitment))

    with pytest.raises(ValidationError) as error:
        services.progress_update_report(
            milestone=milestone, reported_by=implementer, percent=1, narrative="x", corrects=other
        )
    assert "corrects" in error.value.message_dict


@pytest.mark.django_db
def test_a_progress_update_is_never_edited(implementer, milestone):
    update = ProgressUpdateFactory(milestone=milestone, reported_by=implementer)
    update.percent = 99

    with pytest.raises(ValueError, match="immutable"):
        update.save()


@pytest.fixture
def update(milestone, implementer):
    return ProgressUpdateFactory(milestone=milestone, reported_by=implementer)


@pytest.mark.django_db
def test_a_verification_is_audited(committee_member, update):
    verification = services.verification_record(
        update=update, verifier=committee_member, verdict="disputed", comment="No coincide."
    )

    entry = AuditEntry.objects.get(verb="verification_record")
    assert entry.actor == committee_member
    assert entry.object_id == str(verification.pk)
    assert entry.before is None
    assert entry.after["verdict"] == "disputed"
    assert entry.after["comment"] == "No coincide."


@pytest.mark.django_db
def test_dispute_without_comment_is_refused(committee_member, update):
    with pytest.raises(ValidationError) as error:
        services.verification_record(update=update, verifier=committee_member, verdict="disputed")
    assert "comment" in error.value.message_dict
    assert Verification.objects.count() == 0


@pytest.mark.django_db
def test_second_verification_is_refused_naming_the_verdict(committee_member, update):
    services.verification_record(update=update, verifier=committee_member, verdict="confirmed")

    with pytest.raises(ValidationError) as error:
        services.verification_record(update=update, verifier=committee_member, verdict="disputed")
    assert "verdict" in error.value.message_dict
    assert Verification.objects.count() == 1
    assert AuditEntry.objects.filter(verb="verification_record").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["implementer", "other_committee_member", "stl_staff", "citizen"]
)
def test_only_the_committee_civil_society_may_verify(request, update, persona):
    with pytest.raises(PermissionDenied):
        services.verification_record(
            update=update, verifier=request.getfixturevalue(persona), verdict="confirmed"
        )
    assert Verification.objects.count() == 0
