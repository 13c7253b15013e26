"""STL services: agreements' follow-up and members' terms, only by STL staff, all audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from abierto.core.models import AuditEntry
from abierto.secretariat import services
from abierto.secretariat.factories import AgreementFactory, MembershipFactory
from abierto.secretariat.models import Agreement, Membership


@pytest.mark.django_db
def test_staff_marks_an_agreement_done_and_it_is_audited(stl_staff):
    agreement = AgreementFactory()

    services.agreement_update_status(
        agreement=agreement,
        status=Agreement.Status.DONE,
        follow_up="Se publicó el acta.",
        done_on=dt.date(2018, 3, 1),
        by=stl_staff,
    )

    agreement.refresh_from_db()
    assert agreement.status == "done"
    entry = AuditEntry.objects.get(verb="agreement_update_status")
    assert entry.actor == stl_staff
    assert (entry.before["status"], entry.after["status"]) == ("pending", "done")
    assert entry.after["done_on"] == "2018-03-01"


@pytest.mark.django_db
def test_a_done_date_needs_a_done_status(stl_staff):
    agreement = AgreementFactory()

    with pytest.raises(ValidationError) as error:
        services.agreement_update_status(
            agreement=agreement, status="in_progress", done_on=dt.date(2018, 3, 1), by=stl_staff
        )
    assert "done_on" in error.value.message_dict
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_done_agreement_needs_its_date(stl_staff):
    with pytest.raises(ValidationError) as error:
        services.agreement_update_status(agreement=AgreementFactory(), status="done", by=stl_staff)
    assert "done_on" in error.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["citizen", "implementer", "committee_member"])
def test_only_staff_follow_up_agreements(request, persona):
    agreement = AgreementFactory()

    with pytest.raises(PermissionDenied):
        services.agreement_update_status(
            agreement=agreement, status="in_progress", by=request.getfixturevalue(persona)
        )
    agreement.refresh_from_db()
    assert agreement.status == "pending"
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_resignation_ends_the_term_and_frees_the_seat(stl_staff):
    membership = MembershipFactory()

    services.membership_end(
        membership=membership, end_on=dt.date(2018, 1, 31), end_reason="resignation", by=stl_staff
    )
    successor = services.membership_start(
        seat_id=membership.seat_id, role="titular", person_name="Nueva Titular", by=stl_staff
    )

    assert not Membership.objects.get(pk=membership.pk).is_current
    assert successor.is_current
    assert list(AuditEntry.objects.values_list("verb", flat=True).order_by("id")) == [
        "membership_end",
        "membership_start",
    ]


@pytest.mark.django_db
def test_a_second_current_titular_is_refused(stl_staff):
    membership = MembershipFactory()

    with pytest.raises(ValidationError, match="ya tiene un integrante vigente"):
        services.membership_start(
            seat_id=membership.seat_id, role="titular", person_name="Otra", by=stl_staff
        )
    assert Membership.objects.count() == 1


@pytest.mark.django_db
def test_an_ended_term_cannot_end_again(stl_staff):
    membership = MembershipFactory(end_on=dt.date(2017, 1, 1), end_reason="term_ended")

    with pytest.raises(ValidationError):
        services.membership_end(
            membership=membership,
            end_on=dt.date(2018, 1, 1),
            end_reason="resignation",
            by=stl_staff,
        )
