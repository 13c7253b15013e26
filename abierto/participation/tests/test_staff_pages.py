"""Staff pages: STL staff create and edit workshops, problems, solutions and events (and attach
documents to events) without the admin; everyone else is refused; every change is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from abierto.core.factories import UserFactory
from abierto.core.models import AuditEntry, Document
from abierto.participation.factories import (
    EventFactory,
    MunicipalityFactory,
    ProblemFactory,
    SiteFactory,
    SolutionFactory,
    TopicFactory,
    WorkshopFactory,
)
from abierto.participation.models import Event, Problem, Solution, Workshop
from abierto.participation.tests.conftest import url

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def inactive_staff(db):
    from django.contrib.auth.models import Group

    user = UserFactory(username="exstaff", is_active=False)
    user.groups.add(Group.objects.get_or_create(name="Personal del STL")[0])
    return user


@pytest.fixture
def event(exercise):
    return EventFactory(exercise=exercise, title="Jornada informativa", slug="jornada")


def _pages(lab, site, event) -> dict[str, tuple[str, dict]]:
    topic = TopicFactory(name="Empleo", slug="empleo")
    workshop = WorkshopFactory(site=site)
    problem = ProblemFactory(site=site, topic=topic)
    solution = SolutionFactory(lab=lab)
    workshop_data = {
        "site": site.pk,
        "title": "Taller de empleo",
        "held_on": "2017-06-10",
        "held_on_precision": "day",
        "place": "Casa de la Cultura",
        "participants": "42",
        "topics": [topic.pk],
    }
    problem_data = {"site": site.pk, "topic": topic.pk, "description": "Falta de empleo"}
    solution_data = {"title": "Mapa de empleo", "delivery_status": "pending"}
    event_data = {
        "kind": "panel",
        "title": "Panel de datos abiertos",
        "held_on_precision": "day",
        "held_on": "2017-11-30",
        "participants": "40",
    }
    lab_kw = {"lab": lab.slug}
    return {
        "workshop_create": (url("workshop_create", **lab_kw), workshop_data),
        "workshop_edit": (url("workshop_edit", pk=workshop.pk, **lab_kw), workshop_data),
        "problem_create": (url("problem_create", **lab_kw), problem_data),
        "problem_edit": (url("problem_edit", pk=problem.pk, **lab_kw), problem_data),
        "solution_create": (url("solution_create", **lab_kw), solution_data),
        "solution_edit": (url("solution_edit", pk=solution.pk, **lab_kw), solution_data),
        "event_create": (url("event_create"), event_data),
        "event_edit": (url("event_edit", event=event.slug), {**event_data, "slug": event.slug}),
        "event_document_create": (
            url("event_document_create", event=event.slug),
            {"kind": "press_note", "title": "Nota", "url": "https://example.org/nota"},
        ),
    }


@pytest.mark.parametrize(
    "page",
    [
        "workshop_create",
        "workshop_edit",
        "problem_create",
        "problem_edit",
        "solution_create",
        "solution_edit",
        "event_create",
        "event_edit",
        "event_document_create",
    ],
)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", 302),
        ("inactive_staff", 302),
        ("citizen", 403),
        ("stl_staff", 302),
        ("superuser", 302),
    ],
)
def test_who_may_use_the_staff_pages(
    request, client, page, persona, expected, lab, site, event, citizen, stl_staff, superuser
):
    path, data = _pages(lab, site, event)[page]
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    if user is not None:
        client.force_login(user)
    entries = AuditEntry.objects.count()
    get = client.get(path)
    response = client.post(path, data)
    assert response.status_code == expected, response.content.decode()[:2000]
    if persona in ("stl_staff", "superuser"):
        assert get.status_code == 200
        assert "/cuentas/" not in response["Location"]
        assert AuditEntry.objects.count() == entries + 1
        assert AuditEntry.objects.latest("id").actor == user
    else:
        assert AuditEntry.objects.count() == entries
        if expected == 302:  # sent to sign in
            assert "next=" in response["Location"]


def test_staff_record_a_workshop_shown_on_the_site_page(client, stl_staff, lab, site):
    topic = TopicFactory(name="Turismo", slug="turismo")
    client.force_login(stl_staff)
    response = client.post(
        url("workshop_create", lab=lab.slug),
        {
            "site": site.pk,
            "title": "Taller de turismo",
            "held_on": "2017-06-10",
            "held_on_precision": "day",
            "place": "Casa de la Cultura",
            "participants": "42",
            "topics": [topic.pk],
        },
    )
    assert response.status_code == 302
    workshop = Workshop.objects.get()
    assert workshop.participants == 42 and list(workshop.topics.all()) == [topic]
    entry = AuditEntry.objects.get(verb="workshop_create")
    assert entry.before is None and entry.after["participants"] == 42
    page = client.get(url("site", lab=lab.slug, site=site.slug)).content.decode()
    assert (
        "Taller de turismo" in page and "Casa de la Cultura" in page and "42 participantes" in page
    )
    assert url("workshop_edit", lab=lab.slug, pk=workshop.pk) in page


def test_editing_a_workshop_audits_before_and_after(client, stl_staff, lab, site):
    workshop = WorkshopFactory(site=site, participants=10, place="Plaza")
    client.force_login(stl_staff)
    client.post(
        url("workshop_edit", lab=lab.slug, pk=workshop.pk),
        {"site": site.pk, "held_on_precision": "day", "participants": "12", "place": "Plaza"},
    )
    workshop.refresh_from_db()
    assert workshop.participants == 12
    entry = AuditEntry.objects.get(verb="workshop_update")
    assert entry.before["participants"] == 10 and entry.after["participants"] == 12


def test_bad_workshop_input_is_listed_in_the_error_summary(client, stl_staff, lab, site):
    client.force_login(stl_staff)
    other_site = SiteFactory()  # of another lab
    response = client.post(
        url("workshop_create", lab=lab.slug),
        {
            "site": other_site.pk,
            "held_on": "31/02/2017",
            "held_on_precision": "day",
            "participants": "-3",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Revise los datos del formulario" in page
    assert page.count('class="errorlist"') >= 3
    assert "Sede:" in page and "Fecha:" in page and "Participantes:" in page
    assert not Workshop.objects.exists()
    assert not AuditEntry.objects.exists()


def test_a_problem_must_come_from_a_workshop_of_its_site(client, stl_staff, lab, site):
    other_site = SiteFactory(lab=lab)
    workshop = WorkshopFactory(site=other_site)
    topic = TopicFactory()
    client.force_login(stl_staff)
    response = client.post(
        url("problem_create", lab=lab.slug),
        {"site": site.pk, "workshop": workshop.pk, "topic": topic.pk, "description": "Agua"},
    )
    assert response.status_code == 400
    assert "El taller no se celebró en esa sede." in response.content.decode()
    assert not Problem.objects.exists()


def test_an_oversize_problem_is_refused(client, stl_staff, lab, site):
    client.force_login(stl_staff)
    response = client.post(
        url("problem_create", lab=lab.slug),
        {"site": site.pk, "topic": TopicFactory().pk, "description": "x" * 5001},
    )
    assert response.status_code == 400
    assert "Descripción:" in response.content.decode()
    assert not Problem.objects.exists()


def test_a_delivered_solution_names_its_municipality(client, stl_staff, lab):
    client.force_login(stl_staff)
    path = url("solution_create", lab=lab.slug)
    data = {
        "title": "Bolsa de trabajo",
        "team": "Equipo Magdalena",
        "url": "https://github.com/ejemplo/bolsa",
        "delivery_status": "delivered",
        "delivered_on": "2018-01-15",
    }
    refused = client.post(path, data)
    assert refused.status_code == 400
    assert "Indique el municipio al que se entregó la solución." in refused.content.decode()
    magdalena = MunicipalityFactory(name="Magdalena", inegi_code="14056", slug="magdalena")
    assert client.post(path, {**data, "municipality": magdalena.pk}).status_code == 302
    solution = Solution.objects.get()
    assert solution.municipality == magdalena and solution.delivered_on == dt.date(2018, 1, 15)
    page = client.get(url("lab", lab=lab.slug)).content.decode()
    assert "Bolsa de trabajo" in page and "Equipo Magdalena" in page and "entregada" in page


def test_a_solution_link_must_be_a_url(client, stl_staff, lab):
    client.force_login(stl_staff)
    response = client.post(
        url("solution_create", lab=lab.slug),
        {"title": "X", "url": "javascript:alert(1)", "delivery_status": "pending"},
    )
    assert response.status_code == 400
    assert "Repositorio o enlace:" in response.content.decode()
    assert not Solution.objects.exists()


def test_staff_record_an_event_with_its_attendance(client, stl_staff, exercise, lab):
    client.force_login(stl_staff)
    response = client.post(
        url("event_create"),
        {
            "kind": "fair",
            "title": "Feria Internacional del Libro 2017",
            "held_on": "2017-11-25",
            "held_on_precision": "day",
            "place": "Expo Guadalajara",
            "organizer_name": "ITEI",
            "participants": "2020",
            "visitors": "13600",
            "lab": lab.pk,
        },
    )
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("event", event=event.slug)
    assert event.slug == "feria-internacional-del-libro-2017"
    assert event.exercise == exercise and event.lab == lab
    page = client.get(url("event", event=event.slug)).content.decode()
    assert "2,020" in page and "13,600" in page and "Expo Guadalajara" in page
    assert AuditEntry.objects.get(verb="event_create").actor == stl_staff


def test_bad_event_input_is_explained(client, stl_staff, exercise, event):
    client.force_login(stl_staff)
    response = client.post(
        url("event_create"),
        {
            "kind": "party",
            "title": "Otra jornada",
            "slug": event.slug,
            "held_on_precision": "day",
            "participants_at_least": "on",
            "visitors": "muchos",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    for label in ("Tipo:", "Participantes:", "Visitantes:"):
        assert label in page
    assert Event.objects.count() == 1


def test_an_event_slug_already_taken_is_refused(client, stl_staff, exercise, event):
    client.force_login(stl_staff)
    response = client.post(
        url("event_create"),
        {"kind": "panel", "title": "Otro", "slug": event.slug, "held_on_precision": "day"},
    )
    assert response.status_code == 400
    assert "Ya hay un evento con esta dirección" in response.content.decode()
    assert Event.objects.count() == 1


def test_staff_attach_a_photo_to_an_event(client, stl_staff, event):
    client.force_login(stl_staff)
    photo = SimpleUploadedFile("foto.png", PNG, content_type="image/png")
    response = client.post(
        url("event_document_create", event=event.slug),
        {"kind": "photo", "title": "Foto del stand", "file": photo},
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.attached_to == event and document.media_type == "image/png"
    page = client.get(url("event", event=event.slug)).content.decode()
    assert "Foto del stand" in page
    assert AuditEntry.objects.filter(verb="document_attach", actor=stl_staff).exists()


def test_a_disguised_upload_is_refused(client, stl_staff, event):
    client.force_login(stl_staff)
    fake = SimpleUploadedFile("foto.png", b"MZ\x90\x00 not a picture", content_type="image/png")
    response = client.post(
        url("event_document_create", event=event.slug),
        {"kind": "photo", "title": "Foto", "file": fake},
    )
    assert response.status_code == 400
    assert "Archivo:" in response.content.decode()
    assert not Document.objects.exists()


def test_a_document_needs_a_file_or_a_link_not_both(client, stl_staff, event):
    client.force_login(stl_staff)
    path = url("event_document_create", event=event.slug)
    neither = client.post(path, {"kind": "other", "title": "Nada"})
    assert neither.status_code == 400
    assert "Adjunte un archivo o escriba un enlace, no ambos." in neither.content.decode()
    assert not Document.objects.exists()


def test_staff_links_appear_only_for_staff(client, citizen, stl_staff, lab, site, event):
    SolutionFactory(lab=lab)
    ProblemFactory(site=site)
    targets = {
        url("lab", lab=lab.slug): url("workshop_create", lab=lab.slug),
        url("site", lab=lab.slug, site=site.slug): url("problem_create", lab=lab.slug),
        url("event", event=event.slug): url("event_edit", event=event.slug),
        url("events"): url("event_create"),
    }
    for page, link in targets.items():
        assert link not in client.get(page).content.decode(), page
    client.force_login(citizen)
    for page, link in targets.items():
        assert link not in client.get(page).content.decode(), page
    client.force_login(stl_staff)
    for page, link in targets.items():
        assert link in client.get(page).content.decode(), page
