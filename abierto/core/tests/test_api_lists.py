"""Every list endpoint of the REST API: public, paginated, without personal data, and in a
constant number of queries whatever the page size and the data size."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from abierto.core.factories import (
    DocumentFactory,
    ExerciseFactory,
    JurisdictionFactory,
    OrganizationFactory,
    UserFactory,
)
from abierto.core.models import Jurisdiction, ReportedFigure
from abierto.plans.factories import (
    ActionPlanFactory,
    CommitmentFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    MeetingFactory,
    MilestoneFactory,
    PillarFactory,
    ProgressUpdateFactory,
    ThemeFactory,
    VerificationFactory,
)
from abierto.plans.models import Meeting, Milestone
from abierto.secretariat.factories import (
    AgreementFactory,
    LiaisonFactory,
    MembershipFactory,
    SeatFactory,
    SecretariatFactory,
    SessionFactory,
)
from abierto.secretariat.models import Membership

LISTS = [
    "jurisdictions",
    "organizations",
    "exercises",
    "reported-figures",
    "documents",
    "secretariats",
    "seats",
    "memberships",
    "liaisons",
    "sessions",
    "agreements",
    "themes",
    "pillars",
    "plans",
    "commitments",
    "milestones",
    "progress-updates",
    "verifications",
    "committees",
    "meetings",
]


def _person(**kwargs):
    return UserFactory(phone="+52 33 1234 5678", **kwargs)


def build_world(exercise, size: int) -> None:
    """`size` of everything in the exercise, each with the relations its endpoint shows."""
    state = exercise.jurisdiction
    secretariat = getattr(exercise, "secretariat", None) or SecretariatFactory(exercise=exercise)
    for _ in range(size):
        # Another exercise with its own secretariat, so that those lists grow too.
        n = Jurisdiction.objects.count()
        SecretariatFactory(
            exercise=ExerciseFactory(
                jurisdiction=JurisdictionFactory(inegi_code=f"{50 + n}", slug=f"estado-{n}")
            )
        )
        municipality = Jurisdiction.objects.create(
            inegi_code=f"{state.inegi_code}{Jurisdiction.objects.count():03d}",
            name="Municipio",
            slug=f"municipio-{Jurisdiction.objects.count()}",
            kind=Jurisdiction.Kind.MUNICIPALITY,
            parent=state,
        )
        secretariat.invited_municipalities.add(municipality)
        organization = OrganizationFactory(jurisdiction=municipality)
        seat = SeatFactory(secretariat=secretariat)
        MembershipFactory(seat=seat, organization=organization)
        MembershipFactory(seat=seat, role=Membership.Role.ALTERNATE, organization=organization)
        MembershipFactory(
            seat=seat,
            organization=organization,
            start_on=dt.date(2014, 1, 1),
            end_on=dt.date(2015, 12, 31),
            end_reason=Membership.EndReason.RESIGNATION,
        )
        LiaisonFactory(secretariat=secretariat, organization=organization)
        session = SessionFactory(secretariat=secretariat)
        AgreementFactory(session=session)
        AgreementFactory(session=session)
        DocumentFactory(attached_to=session)
        ReportedFigure.objects.create(
            exercise=exercise,
            metric=ReportedFigure.Metric.STL_SESSIONS,
            period_start=dt.date(2000 + ReportedFigure.objects.count(), 1, 1),
            period_end=dt.date(2000 + ReportedFigure.objects.count(), 12, 31),
            value=7,
            source="Informe anual",
        )

        plan = ActionPlanFactory(exercise=exercise)
        DocumentFactory(attached_to=plan)
        commitment = CommitmentFactory(
            plan=plan, theme=ThemeFactory(), lead_implementers=[organization]
        )
        commitment.pillars.add(PillarFactory(), PillarFactory())
        commitment.partners.add(OrganizationFactory(sector="civil_society"))
        DocumentFactory(attached_to=commitment)
        committee = CommitteeFactory(commitment=commitment)
        verifier = CommitteeMemberFactory(committee=committee, user=_person()).user
        CommitteeMemberFactory(committee=committee, user=None, person_name="Sin cuenta")
        late = MilestoneFactory(commitment=commitment, due_on=dt.date(2018, 1, 1))
        MilestoneFactory(commitment=commitment, status=Milestone.Status.CANCELLED)
        reporter = _person(organization=organization)
        first = ProgressUpdateFactory(milestone=late, reported_by=reporter, percent=20)
        correction = ProgressUpdateFactory(
            milestone=late, reported_by=reporter, percent=30, corrects=first
        )
        DocumentFactory(attached_to=correction, kind="evidence")
        VerificationFactory(update=correction, verifier=verifier)
        meeting = MeetingFactory(
            exercise=exercise, kind=Meeting.Kind.COMMITTEE, committee=committee
        )
        DocumentFactory(attached_to=meeting)
        MeetingFactory(exercise=exercise)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def exercise(db):
    return ExerciseFactory(jurisdiction=JurisdictionFactory(inegi_code="14", slug="jalisco"))


def _queries(api, url: str) -> int:
    # Each request empties the query log; an offset left from before would hide every query.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def test_every_list_is_public_and_paginated(api, exercise):
    build_world(exercise, 2)

    for name in LISTS:
        response = api.get(f"/api/v1/{name}/?limit=1")

        assert response.status_code == 200, name
        body = response.json()
        assert set(body) == {"count", "next", "previous", "results"}, name
        assert body["count"] >= 2, name
        assert len(body["results"]) == 1, name
        assert "offset=1" in body["next"], name
        second = api.get(body["next"]).json()["results"]
        assert [r["id"] for r in second] != [r["id"] for r in body["results"]], name


def test_no_list_shows_personal_data(api, exercise):
    build_world(exercise, 2)
    people = list(UserFactory._meta.model.objects.all())
    assert people

    for name in LISTS:
        text = api.get(f"/api/v1/{name}/").content.decode()

        for person in people:
            assert person.email not in text, name
            assert f'"{person.username}"' not in text, name
            if person.phone:
                assert person.phone not in text, name
        assert "@correo.example" not in text, name
        keys: set[str] = set()
        _collect_keys(json.loads(text), keys)
        assert not keys & {"email", "phone", "username", "password", "last_login"}, name


def _collect_keys(value, keys: set) -> None:
    if isinstance(value, dict):
        keys.update(value)
        for item in value.values():
            _collect_keys(item, keys)
    elif isinstance(value, list):
        for item in value:
            _collect_keys(item, keys)


def test_every_list_runs_a_constant_number_of_queries(api, exercise, django_assert_num_queries):
    build_world(exercise, 1)
    for name in LISTS:
        api.get(f"/api/v1/{name}/")  # warm the content-type cache
    small = {name: _queries(api, f"/api/v1/{name}/?limit=100") for name in LISTS}

    build_world(exercise, 5)

    assert all(small.values())
    for name in LISTS:
        reset_queries()
        with django_assert_num_queries(small[name]):
            response = api.get(f"/api/v1/{name}/?limit=100")
        assert response.json()["count"] > 1, name
    # A page of 2 costs what a page of 100 does.
    assert {name: _queries(api, f"/api/v1/{name}/?limit=2") for name in LISTS} == small


@pytest.mark.parametrize("name", ["commitments", "plans", "progress-updates", "secretariats"])
def test_main_lists_pin_their_query_counts(api, exercise, name, django_assert_num_queries):
    expected = {"commitments": 7, "plans": 5, "progress-updates": 5, "secretariats": 5}[name]
    build_world(exercise, 4)
    api.get(f"/api/v1/{name}/")
    reset_queries()

    with django_assert_num_queries(expected):
        api.get(f"/api/v1/{name}/")


def test_an_authenticated_list_adds_only_the_token_lookup(api, exercise):
    from rest_framework.authtoken.models import Token

    build_world(exercise, 2)
    api.get("/api/v1/commitments/")
    anonymous = _queries(api, "/api/v1/commitments/")
    token = Token.objects.create(user=UserFactory())

    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert _queries(api, "/api/v1/commitments/") == anonymous + 1


def test_jurisdictions_filter_by_kind_and_parent(api, exercise):
    build_world(exercise, 2)
    JurisdictionFactory(inegi_code="01", slug="aguascalientes")

    states = api.get("/api/v1/jurisdictions/?kind=state").json()["results"]
    municipalities = api.get("/api/v1/jurisdictions/?parent=jalisco").json()["results"]

    assert {"jalisco", "aguascalientes"} <= {j["slug"] for j in states}
    assert {j["kind"] for j in states} == {"state"}
    assert len(municipalities) == 2
    assert {j["parent"] for j in municipalities} == {"jalisco"}


def test_organizations_filter_by_sector_and_order_by_name(api, db):
    OrganizationFactory(name="Zeta AC", sector="civil_society")
    OrganizationFactory(name="Alfa AC", sector="civil_society")
    OrganizationFactory(name="Secretaría", sector="executive")

    response = api.get("/api/v1/organizations/?sector=civil_society&ordering=-name")

    assert [o["name"] for o in response.json()["results"]] == ["Zeta AC", "Alfa AC"]


def test_a_document_gives_an_absolute_href_and_what_it_is_attached_to(api, exercise):
    session = SessionFactory(secretariat=SecretariatFactory(exercise=exercise))
    DocumentFactory(attached_to=session, url="https://example.org/minuta.pdf")

    result = api.get("/api/v1/documents/?type=secretariat.session").json()["results"][0]

    assert result["href"] == "https://example.org/minuta.pdf"
    assert result["attached_to"] == {"type": "secretariat.session", "id": session.pk}
    assert api.get("/api/v1/documents/?type=plans.commitment").json()["count"] == 0


def test_documents_of_a_draft_plan_are_not_public(api, exercise):
    draft = ActionPlanFactory(exercise=exercise, status="draft")
    DocumentFactory(attached_to=draft)
    DocumentFactory(attached_to=CommitmentFactory(plan=draft))
    DocumentFactory(attached_to=ActionPlanFactory(exercise=exercise))

    assert api.get("/api/v1/documents/").json()["count"] == 1


def test_reported_figures_filter_by_exercise_and_metric(api, exercise):
    build_world(exercise, 2)
    other = ExerciseFactory(jurisdiction=JurisdictionFactory(inegi_code="09", slug="cdmx"))
    ReportedFigure.objects.create(
        exercise=other,
        metric="committee_meetings",
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        value=30,
        source="Informe",
    )

    jalisco = api.get("/api/v1/reported-figures/?exercise=jalisco").json()
    meetings = api.get("/api/v1/reported-figures/?metric=committee_meetings").json()

    assert jalisco["count"] == 2
    assert [f["value"] for f in meetings["results"]] == [30]


def test_the_api_root_lists_version_one(api, db):
    response = api.get("/api/v1/")

    assert response.status_code == 200
    assert "commitments" in response.json()
