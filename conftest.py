"""Shared personas for the whole suite (as in the house style: named people, real database).

- `implementer`: works at the institution that implements `commitment`.
- `outsider_implementer`: works at another institution.
- `committee_member`: civil society on `commitment`'s committee.
- `other_committee_member`: civil society on another commitment's committee.
- `stl_staff`: STL staff (Django staff, group «Personal del STL»).
- `citizen`: a registered citizen with no role.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import override_settings

from abierto.core.factories import OrganizationFactory, UserFactory
from abierto.plans.factories import (
    CommitmentFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    MilestoneFactory,
)


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing():
    """Django's default hasher spends half a second of CPU on every password it stores, by
    design; the suite stores thousands (every user a factory makes), which cost it minutes.
    Passwords are still checked the same way, through a hasher made for tests."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def _close_datastore_connection(django_db_setup, django_db_blocker):
    """With PostgreSQL the datastore alias opens a second connection to the test database;
    it must be closed before pytest-django drops that database."""
    yield
    with django_db_blocker.unblock():
        connections["datastore"].close()


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Uploads in a temporary folder, static files unhashed, an empty cache."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Pages are rendered afresh in every test; the page cache's own tests switch it on.
    settings.PAGE_CACHE_SECONDS = 0
    cache.clear()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def implementing_org(db):
    return OrganizationFactory(name="Secretaría de Planeación", slug="planeacion")


@pytest.fixture
def commitment(implementing_org):
    c = CommitmentFactory(lead_implementers=[implementing_org])
    CommitteeFactory(commitment=c)
    return c


@pytest.fixture
def milestone(commitment):
    return MilestoneFactory(commitment=commitment, weight=2)


@pytest.fixture
def implementer(implementing_org):
    return UserFactory(username="implementadora", organization=implementing_org)


@pytest.fixture
def outsider_implementer(db):
    return UserFactory(username="ajena", organization=OrganizationFactory())


@pytest.fixture
def committee_member(commitment):
    return CommitteeMemberFactory(committee=commitment.committee).user


@pytest.fixture
def other_committee_member(db):
    other = CommitmentFactory()
    return CommitteeMemberFactory(committee=CommitteeFactory(commitment=other)).user


@pytest.fixture
def stl_staff(db):
    from django.contrib.auth.models import Group

    user = UserFactory(username="personal-stl", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="Personal del STL")[0])
    return user


@pytest.fixture
def citizen(db):
    return UserFactory(username="ciudadana")
