"""The admin for STL staff: every model reachable, every change audited, immutables read-only,
and no personal data outside the User admin (which only superusers see)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from abierto.core.factories import UserFactory
from abierto.core.models import AuditEntry, Document, User
from abierto.plans.factories import (
    CommitteeMemberFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
    ThemeFactory,
    VerificationFactory,
)
from abierto.plans.models import Milestone, ProgressUpdate, Theme, Verification
from abierto.secretariat.factories import MembershipFactory, SeatFactory
from abierto.secretariat.models import Membership

PDF = b"%PDF-1.4\n%%EOF\n"


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _form_data(form) -> dict:
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        key = form.add_prefix(name)
        if value is True:
            data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(item) for item in value]
        else:
            data[key] = str(value)
    return data


def _admin_post_data(response) -> dict:
    """What a browser would post back from an admin change page, unchanged."""
    data = _form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
        for form in formset.forms:
            data.update(_form_data(form))
    return data


@pytest.fixture
def superuser(db):
    return UserFactory(username="administradora", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client, stl_staff):
    client.force_login(stl_staff)
    return client


# --- reach -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_model_of_core_secretariat_and_plans_is_registered():
    from django.apps import apps

    for label in ("core", "secretariat", "plans"):
        for model in apps.get_app_config(label).get_models():
            assert admin.site.is_registered(model), model


@pytest.mark.django_db
def test_the_stl_staff_group_has_its_permissions(stl_staff):
    assert stl_staff.has_perm("plans.change_commitment")
    assert stl_staff.has_perm("secretariat.add_membership")
    assert stl_staff.has_perm("core.change_document")
    assert stl_staff.has_perm("core.view_auditentry")
    assert not stl_staff.has_perm("core.change_auditentry")
    assert not stl_staff.has_perm("core.view_user")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["stl_staff", "superuser"])
def test_every_allowed_list_and_form_opens(client, request, persona, milestone, implementer):
    user = request.getfixturevalue(persona)
    ProgressUpdateFactory(milestone=milestone, reported_by=implementer)
    client.force_login(user)

    for model, model_admin in admin.site._registry.items():
        if model_admin.has_view_permission(_request_for(user)):
            assert client.get(_url(model, "changelist")).status_code == 200, model
            if model_admin.search_fields:
                searched = client.get(_url(model, "changelist"), {"q": "agua 3"})
                assert searched.status_code == 200, model
        if model_admin.has_add_permission(_request_for(user)):
            assert client.get(_url(model, "add")).status_code == 200, model


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.django_db
def test_only_superusers_see_accounts(client, stl_staff, superuser):
    client.force_login(stl_staff)
    assert client.get(_url(User, "changelist")).status_code == 403
    assert client.get(_url(User, "change", stl_staff.pk)).status_code == 403

    client.force_login(superuser)
    page = client.get(_url(User, "change", stl_staff.pk))
    assert page.status_code == 200
    assert stl_staff.email in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["citizen", "implementer", "committee_member"])
def test_people_without_a_staff_role_are_kept_out_of_the_admin(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.mark.django_db
def test_no_email_or_phone_outside_the_user_admin(
    staff_client, commitment, milestone, implementer, committee_member
):
    implementer.phone = "33 1111 2222"
    implementer.save()
    update = ProgressUpdateFactory(milestone=milestone, reported_by=implementer)
    verification = VerificationFactory(update=update, verifier=committee_member)
    member = committee_member.committee_memberships.get()
    pages = [
        _url(ProgressUpdate, "changelist"),
        _url(ProgressUpdate, "change", update.pk),
        _url(Verification, "changelist"),
        _url(Verification, "change", verification.pk),
        _url(type(member), "changelist"),
        _url(type(member), "change", member.pk),
        _url(type(member), "add"),
        _url(type(commitment.committee), "change", commitment.committee.pk),
        _url(AuditEntry, "changelist"),
        _url(Document, "changelist"),
    ]

    for page in pages:
        html = staff_client.get(page).content.decode()
        for private in (implementer.email, committee_member.email, implementer.phone):
            assert private not in html, page


# --- read-only records ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["stl_staff", "superuser"])
def test_progress_updates_and_verifications_are_read_only(
    client, request, persona, milestone, implementer, committee_member
):
    update = ProgressUpdateFactory(milestone=milestone, reported_by=implementer, percent=30)
    verification = VerificationFactory(update=update, verifier=committee_member)
    client.force_login(request.getfixturevalue(persona))

    for obj in (update, verification):
        model = type(obj)
        assert client.get(_url(model, "change", obj.pk)).status_code == 200
        assert client.post(_url(model, "change", obj.pk), {"percent": 99}).status_code == 403
        assert client.post(_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        assert client.get(_url(model, "add")).status_code == 403

    update.refresh_from_db()
    assert update.percent == 30
    assert Verification.objects.count() == 1
    assert AuditEntry.objects.count() == 0


# --- audited changes --------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_admin_change_is_audited_with_actor_before_and_after(staff_client, stl_staff):
    theme = ThemeFactory(name="Seguridad", slug="seguridad")

    response = staff_client.post(
        _url(Theme, "change", theme.pk), {"name": "Seguridad pública", "slug": "seguridad"}
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.verb, entry.action) == (stl_staff, "admin_change", "update")
    assert (entry.before["name"], entry.after["name"]) == ("Seguridad", "Seguridad pública")
    assert entry.object_id == str(theme.pk)


@pytest.mark.django_db
def test_saving_without_changes_writes_no_entry(staff_client):
    theme = ThemeFactory(name="Educación", slug="educacion")

    staff_client.post(_url(Theme, "change", theme.pk), {"name": "Educación", "slug": "educacion"})

    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_an_admin_addition_is_audited(staff_client, stl_staff, commitment):
    response = staff_client.post(
        _url(Milestone, "add"),
        {
            "commitment": commitment.pk,
            "position": 1,
            "description": "Publicar el padrón",
            "weight": 2,
            "start_on": "2017-01-01",
            "due_on": "2017-06-30",
            "status": "planned",
        },
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.verb, entry.before) == (stl_staff, "admin_add", None)
    assert entry.after["description"] == "Publicar el padrón"


@pytest.mark.django_db
def test_a_deletion_is_audited_with_what_it_cascades_to(staff_client, stl_staff, commitment):
    milestone = MilestoneFactory(commitment=commitment)

    response = staff_client.post(_url(type(commitment), "delete", commitment.pk), {"post": "yes"})

    assert response.status_code == 302
    entries = {(e.content_type.model, e.object_id): e for e in AuditEntry.objects.all()}
    assert entries[("commitment", str(commitment.pk))].before["title"] == commitment.title
    assert entries[("commitment", str(commitment.pk))].after is None
    assert ("milestone", str(milestone.pk)) in entries
    assert ("committee", str(commitment.committee.pk)) in entries
    assert all(e.actor == stl_staff and e.verb == "admin_delete" for e in entries.values())


@pytest.mark.django_db
def test_inline_changes_are_audited(staff_client, stl_staff, commitment):
    kept = MilestoneFactory(commitment=commitment, description="Antes")
    page = staff_client.get(_url(type(commitment), "change", commitment.pk))
    data = _admin_post_data(page)
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS") and "milestone" in k).split("-")[0]
    data[f"{prefix}-0-description"] = "Después"
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    data.update(
        {
            f"{prefix}-1-position": "2",
            f"{prefix}-1-description": "Nueva meta",
            f"{prefix}-1-weight": "1",
            f"{prefix}-1-start_on": "2017-01-01",
            f"{prefix}-1-due_on": "2017-12-31",
            f"{prefix}-1-status": "planned",
        }
    )

    response = staff_client.post(_url(type(commitment), "change", commitment.pk), data)

    assert response.status_code == 302, response.context["errors"]
    changed = AuditEntry.objects.get(verb="admin_change", object_id=str(kept.pk))
    assert (changed.before["description"], changed.after["description"]) == ("Antes", "Después")
    added = AuditEntry.objects.get(verb="admin_add")
    assert added.after["description"] == "Nueva meta"
    assert added.actor == stl_staff


@pytest.mark.django_db
def test_the_audit_log_can_be_filtered_by_content_type_and_actor(
    staff_client, stl_staff, superuser
):
    theme = ThemeFactory()
    staff_client.post(_url(Theme, "change", theme.pk), {"name": "Otro nombre", "slug": theme.slug})
    theme_type = ContentType.objects.get_for_model(Theme)

    by_type = staff_client.get(
        _url(AuditEntry, "changelist"), {"content_type__id__exact": theme_type.pk}
    )
    by_actor = staff_client.get(_url(AuditEntry, "changelist"), {"actor__id__exact": stl_staff.pk})
    by_other = staff_client.get(_url(AuditEntry, "changelist"), {"actor__id__exact": superuser.pk})

    assert by_type.context["cl"].result_count == 1
    assert by_actor.context["cl"].result_count == 1
    assert by_other.context["cl"].result_count == 0


# --- validation in the admin forms ----------------------------------------------------------


@pytest.mark.django_db
def test_inverted_milestone_dates_are_refused_in_the_admin_form(staff_client, commitment):
    response = staff_client.post(
        _url(Milestone, "add"),
        {
            "commitment": commitment.pk,
            "position": 1,
            "description": "Meta al revés",
            "weight": 1,
            "start_on": "2018-01-01",
            "due_on": "2017-01-01",
            "status": "planned",
        },
    )

    assert response.status_code == 200
    assert "La fecha límite no puede ser anterior al inicio." in response.content.decode()
    assert Milestone.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_second_current_titular_is_refused_in_the_membership_form(staff_client):
    current = MembershipFactory(role=Membership.Role.TITULAR)

    response = staff_client.post(
        _url(Membership, "add"),
        {"seat": current.seat_id, "role": "titular", "person_name": "Otra persona"},
    )

    assert response.status_code == 200
    assert "Este lugar ya tiene un integrante vigente con esa calidad." in (
        response.content.decode()
    )
    assert Membership.objects.count() == 1


@pytest.mark.django_db
def test_two_new_titulars_typed_in_the_seat_form_are_refused(staff_client):
    seat = SeatFactory()
    page = staff_client.get(_url(type(seat), "change", seat.pk))
    data = _admin_post_data(page)
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS")).split("-")[0]
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    for row, name in enumerate(["Primera", "Segunda"]):
        data[f"{prefix}-{row}-role"] = "titular"
        data[f"{prefix}-{row}-person_name"] = name

    response = staff_client.post(_url(type(seat), "change", seat.pk), data)

    assert response.status_code == 200
    assert "Este lugar ya tiene un integrante vigente con esa calidad." in (
        response.content.decode()
    )
    assert Membership.objects.count() == 0


@pytest.mark.django_db
def test_a_document_upload_is_checked_and_fingerprinted(staff_client, stl_staff, commitment):
    commitment_type = ContentType.objects.get_for_model(commitment)
    base = {
        "kind": "minutes",
        "title": "Minuta",
        "published_on": "2017-05-01",
        "content_type": commitment_type.pk,
        "object_id": commitment.pk,
    }

    fake = staff_client.post(
        _url(Document, "add"), {**base, "file": SimpleUploadedFile("minuta.pdf", b"<html>")}
    )
    good = staff_client.post(
        _url(Document, "add"), {**base, "file": SimpleUploadedFile("minuta.pdf", PDF)}
    )

    assert fake.status_code == 200
    assert "no corresponde a un archivo .pdf" in fake.content.decode()
    assert good.status_code == 302
    document = Document.objects.get()
    assert (document.media_type, document.size, document.uploaded_by) == (
        "application/pdf",
        len(PDF),
        stl_staff,
    )
    assert AuditEntry.objects.get().verb == "admin_add"


@pytest.mark.django_db
def test_committee_members_are_linked_to_accounts_by_public_name(staff_client, commitment):
    person = UserFactory(first_name="Ana", last_name="Pérez", email="ana@correo.example")
    CommitteeMemberFactory(committee=commitment.committee)

    html = staff_client.get(_url(type(commitment.committee), "change", commitment.committee.pk))
    html = html.content.decode()

    assert f"Ana Pérez ({person.username})" in html
    assert "ana@correo.example" not in html


@pytest.mark.django_db
def test_membership_term_dates_in_order(staff_client):
    seat = SeatFactory()

    response = staff_client.post(
        _url(Membership, "add"),
        {
            "seat": seat.pk,
            "role": "titular",
            "start_on": "2018-01-01",
            "end_on": dt.date(2017, 1, 1).isoformat(),
            "end_reason": "resignation",
        },
    )

    assert response.status_code == 200
    assert "El término no puede ser anterior al inicio." in response.content.decode()
