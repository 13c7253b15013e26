"""STL invariants hold in the database itself."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from abierto.secretariat.factories import AgreementFactory, MembershipFactory, SeatFactory
from abierto.secretariat.models import Membership


@pytest.mark.django_db
def test_a_seat_has_one_current_titular_in_the_database():
    seat = SeatFactory()
    MembershipFactory(seat=seat, role=Membership.Role.TITULAR)

    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(seat=seat, role=Membership.Role.TITULAR)


@pytest.mark.django_db
def test_a_second_current_titular_fails_validation_with_a_clear_message():
    seat = SeatFactory()
    MembershipFactory(seat=seat, role=Membership.Role.TITULAR)
    second = MembershipFactory.build(seat=seat, role=Membership.Role.TITULAR)

    with pytest.raises(ValidationError, match="ya tiene un integrante vigente"):
        second.full_clean()


@pytest.mark.django_db
def test_past_titulars_and_a_suplente_may_coexist_with_the_current_titular():
    seat = SeatFactory()
    MembershipFactory(
        seat=seat,
        role=Membership.Role.TITULAR,
        end_on=dt.date(2017, 1, 1),
        end_reason="resignation",
    )
    MembershipFactory(seat=seat, role=Membership.Role.TITULAR)
    MembershipFactory(seat=seat, role=Membership.Role.ALTERNATE)

    assert seat.memberships.current().count() == 2


@pytest.mark.django_db
def test_a_term_cannot_end_before_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(start_on=dt.date(2018, 1, 1), end_on=dt.date(2017, 1, 1))


@pytest.mark.django_db
def test_only_a_done_agreement_has_a_done_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementFactory(status="pending", done_on=dt.date(2018, 1, 1))
