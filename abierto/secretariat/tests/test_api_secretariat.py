"""The STL through the REST API: seats with who holds them now, membership history, sessions
with their agreements, and their filters."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from abierto.core.factories import OrganizationFactory
from abierto.secretariat.factories import (
    AgreementFactory,
    LiaisonFactory,
    MembershipFactory,
    SeatFactory,
    SecretariatFactory,
    SessionFactory,
)
from abierto.secretariat.models import Agreement, Membership, Session


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def secretariat(db):
    return SecretariatFactory()


def _results(api, url: str) -> list[dict]:
    response = api.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_secretariat_shows_each_seat_with_its_current_holders_and_vacancies(api, secretariat):
    held = SeatFactory(secretariat=secretariat, name="Sociedad civil", position=1)
    vacant = SeatFactory(secretariat=secretariat, name="Academia", position=2)
    MembershipFactory(seat=held, person_name="Ana Titular", organization=OrganizationFactory())
    MembershipFactory(seat=held, role=Membership.Role.ALTERNATE, person_name="Beto Suplente")
    MembershipFactory(
        seat=vacant,
        person_name="Carla Renunció",
        end_on=dt.date(2017, 3, 1),
        end_reason=Membership.EndReason.RESIGNATION,
    )

    found = _results(api, f"/api/v1/secretariats/?exercise={secretariat.exercise.slug}")

    assert len(found) == 1
    seats = {seat["name"]: seat for seat in found[0]["seats"]}
    assert seats["Sociedad civil"]["titular"]["person_name"] == "Ana Titular"
    assert seats["Sociedad civil"]["suplente"]["person_name"] == "Beto Suplente"
    assert seats["Sociedad civil"]["vacant"] is False
    assert seats["Academia"]["titular"] is None
    assert seats["Academia"]["vacant"] is True
    assert [s["id"] for s in found[0]["seats"]] == [held.pk, vacant.pk]


def test_memberships_filter_by_current_role_seat_and_sector(api, secretariat):
    seat = SeatFactory(secretariat=secretariat, sector="academia")
    other = SeatFactory(secretariat=secretariat, sector="executive")
    current = MembershipFactory(seat=seat)
    alternate = MembershipFactory(seat=seat, role=Membership.Role.ALTERNATE)
    ended = MembershipFactory(
        seat=seat, end_on=dt.date(2016, 6, 1), end_reason=Membership.EndReason.TERM_ENDED
    )
    elsewhere = MembershipFactory(seat=other)

    def ids(query: str) -> set[int]:
        return {m["id"] for m in _results(api, f"/api/v1/memberships/?{query}")}

    assert ids("current=true") == {current.pk, alternate.pk, elsewhere.pk}
    assert ids("current=false") == {ended.pk}
    assert ids("role=suplente") == {alternate.pk}
    assert ids(f"seat={seat.pk}") == {current.pk, alternate.pk, ended.pk}
    assert ids("sector=executive") == {elsewhere.pk}
    shown = _results(api, f"/api/v1/memberships/?seat={seat.pk}&current=false")[0]
    assert shown["is_current"] is False
    assert shown["end_reason"] == "term_ended"


def test_liaisons_filter_by_institution(api, secretariat):
    liaison = LiaisonFactory(secretariat=secretariat, person_name="Dora Enlace")
    LiaisonFactory(secretariat=secretariat)

    found = _results(api, f"/api/v1/liaisons/?organization={liaison.organization.slug}")

    assert [(x["person_name"], x["secretariat"]) for x in found] == [
        ("Dora Enlace", secretariat.pk)
    ]


def test_sessions_come_with_their_agreements_and_filter_by_year_and_kind(api, secretariat):
    old = SessionFactory(secretariat=secretariat, held_on=dt.date(2016, 5, 1), number=1)
    new = SessionFactory(secretariat=secretariat, held_on=dt.date(2018, 2, 1), number=2)
    extra = SessionFactory(
        secretariat=secretariat,
        held_on=dt.date(2018, 9, 1),
        number=1,
        kind=Session.Kind.EXTRAORDINARY,
    )
    AgreementFactory(session=new, number=1, text="Publicar la minuta.")
    SessionFactory(held_on=dt.date(2018, 3, 1))  # another secretariat

    in_2018 = _results(api, f"/api/v1/sessions/?secretariat={secretariat.pk}&year=2018")
    extraordinary = _results(api, "/api/v1/sessions/?kind=extraordinary")

    assert [s["id"] for s in in_2018] == [extra.pk, new.pk]
    assert [a["text"] for a in in_2018[1]["agreements"]] == ["Publicar la minuta."]
    assert [s["id"] for s in extraordinary] == [extra.pk]
    assert old.pk not in {s["id"] for s in in_2018}


def test_agreements_filter_by_status_and_secretariat(api, secretariat):
    session = SessionFactory(secretariat=secretariat)
    done = AgreementFactory(
        session=session, status=Agreement.Status.DONE, done_on=dt.date(2018, 1, 1)
    )
    pending = AgreementFactory(session=session)
    AgreementFactory(status=Agreement.Status.DONE)  # another secretariat

    mine_done = _results(api, f"/api/v1/agreements/?status=done&secretariat={secretariat.pk}")
    still_open = _results(api, f"/api/v1/agreements/?open=true&session={session.pk}")

    assert [a["id"] for a in mine_done] == [done.pk]
    assert [a["id"] for a in still_open] == [pending.pk]
    assert mine_done[0]["session"] == session.pk
    assert mine_done[0]["secretariat"] == secretariat.pk


def test_the_secretariat_is_read_only_through_the_api(api, secretariat, stl_staff):
    api.force_authenticate(stl_staff)

    assert api.post("/api/v1/memberships/", {}).status_code == 405
    assert api.delete(f"/api/v1/secretariats/{secretariat.pk}/").status_code == 405
