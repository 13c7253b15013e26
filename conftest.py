"""Shared personas for the whole suite (as in the house style: named people, real database).

- `implementer`: works at the institution that implements `commitment`.
- `outsider_implementer`: works at another institution.
- `committee_member`: civil society on `commitment`'s committee.
- `other_committee_member`: civil society on another commitment's committee.
- `stl_staff`: STL staff (Django staff, group «Personal del STL»).
- `citizen`: a registered citizen with no role.
"""

from __future__ import annotations

import shutil
import sys
from itertools import groupby

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections, transaction
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


DEMO_ONCE = "jalisco_demo_once"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """In a module that loads the demo once, its tests without the demo run first.

    The demo loaded once stays until the module's last test (see `jalisco_demo_once`): a test
    of the same module that wants an empty database must run before it is loaded. Only
    neighbouring tests of one module are reordered, after pytest-django has put its
    database tests first, so every worker sees the same order."""
    items[:] = [
        item
        for _, run in groupby(items, key=lambda item: getattr(item, "module", None))
        for item in sorted(run, key=lambda each: DEMO_ONCE in getattr(each, "fixturenames", ()))
    ]


@pytest.fixture(scope="module")
def jalisco_demo_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The Jalisco demo (`manage.py load_demo`) loaded once for the module that asks for it.

    Loading it takes seconds; a module with a dozen tests that only read it paid that a dozen
    times. It is loaded in a transaction that stays open until the module's last test and is
    then rolled back, and every test still runs in a savepoint of its own, so what a test
    changes is undone before the next. Yields the folder of the files the load stored (the
    contracting imports), which `jalisco_demo` copies into each test's own MEDIA_ROOT."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block.__enter__()
        try:
            with override_settings(MEDIA_ROOT=media, PAGE_CACHE_SECONDS=0):
                call_command("load_demo", verbosity=0)
        except BaseException:
            block.__exit__(*sys.exc_info())
            raise
    yield media
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        block.__exit__(None, None, None)


@pytest.fixture
def jalisco_demo(jalisco_demo_once, db, settings):
    """The Jalisco demo for one test, loaded once per module (`jalisco_demo_once`)."""
    shutil.copytree(jalisco_demo_once, settings.MEDIA_ROOT, dirs_exist_ok=True)


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
