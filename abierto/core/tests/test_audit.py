"""The audit log: who, when, before and after; append-only; no personal data in it."""

from __future__ import annotations

import pytest

from abierto.core import audit
from abierto.core.factories import OrganizationFactory, UserFactory
from abierto.core.models import AuditEntry


@pytest.fixture
def entry(db):
    organization = OrganizationFactory(name="Antes")
    before = audit.snapshot(organization)
    organization.name = "Después"
    organization.save()
    return audit.record(
        actor=UserFactory(),
        verb="organization_rename",
        obj=organization,
        before=before,
        after=audit.snapshot(organization),
    )


@pytest.mark.django_db
def test_an_entry_keeps_actor_before_and_after(entry):
    stored = AuditEntry.objects.get(pk=entry.pk)

    assert stored.actor is not None
    assert stored.action == AuditEntry.Action.UPDATE
    assert (stored.before["name"], stored.after["name"]) == ("Antes", "Después")
    assert stored.created_at is not None


@pytest.mark.django_db
def test_an_entry_cannot_be_updated(entry):
    entry.verb = "otra cosa"

    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).verb == "organization_rename"


@pytest.mark.django_db
def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_creation_and_deletion_are_told_apart(db):
    organization = OrganizationFactory()

    created = audit.record(
        actor=None, verb="x", obj=organization, before=None, after=audit.snapshot(organization)
    )
    deleted = audit.record(
        actor=None, verb="x", obj=organization, before=audit.snapshot(organization), after=None
    )

    assert (created.action, deleted.action) == ("create", "delete")


@pytest.mark.django_db
def test_personal_data_never_enters_the_log(db):
    person = UserFactory(email="privada@correo.example", phone="33 1234 5678")

    data = audit.snapshot(person)

    assert not {"email", "phone", "password", "last_login"} & data.keys()
    assert "privada@correo.example" not in str(data)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["stl_staff", "superuser"])
def test_nobody_changes_or_deletes_an_entry_in_the_admin(client, request, entry, persona):
    if persona == "superuser":
        user = UserFactory(is_staff=True, is_superuser=True)
    else:
        user = request.getfixturevalue(persona)
    client.force_login(user)

    view = client.get(f"/admin/core/auditentry/{entry.pk}/change/")
    change = client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"verb": "borrado"})
    delete = client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"})
    add = client.get("/admin/core/auditentry/add/")

    assert view.status_code == 200
    assert (change.status_code, delete.status_code, add.status_code) == (403, 403, 403)
    assert AuditEntry.objects.get(pk=entry.pk).verb == "organization_rename"
