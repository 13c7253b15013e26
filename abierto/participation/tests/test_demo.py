"""The Jalisco demo: the LIIGA of seed 004 and the 2017 events with their attendance."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from abierto.core.models import AuditEntry
from abierto.participation.models import Event, Lab, Proposal, Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(jalisco_demo):
    """The demo as `manage.py load_demo` leaves it (loaded once for the module)."""


def test_the_liiga_has_its_four_sites_with_their_themes(demo):
    lab = Lab.objects.get(exercise__slug="jalisco", slug="liiga")
    assert lab.organizer.slug == "itei"
    assert (lab.approved_at.kind, lab.approved_at.number) == ("ordinary", 5)
    themes = {
        site.municipality.name: {t.name for t in site.topics.all()}
        for site in Site.objects.filter(lab=lab)
    }
    assert set(themes) == {"Ocotlán", "Magdalena", "Talpa de Allende", "Zapopan"}
    assert len(themes["Ocotlán"]) == 9
    assert themes["Magdalena"] == {
        "Empleo",
        "Medio ambiente",
        "Servicios médicos",
        "Minería",
        "Sector agropecuario",
        "Turismo",
    }
    assert len(themes["Talpa de Allende"]) == 6
    assert themes["Zapopan"] == {
        "Alimentación",
        "Violencia de género",
        "Permisos para nuevos comercios",
        "Seguridad",
    }


def test_workshop_counts_are_reported_not_invented(demo):
    reported = dict(Site.objects.values_list("slug", "workshops_reported"))
    assert reported == {
        "ocotlan": 5,
        "talpa-de-allende": 4,
        "magdalena": None,
        "zapopan": None,
    }
    assert not Site.objects.filter(workshops__isnull=False).exists()
    assert not Lab.objects.get(slug="liiga").solutions.exists()


def test_magdalena_has_its_two_proposals_verbatim_and_received(demo):
    proposals = Proposal.objects.filter(site__slug="magdalena").order_by("label")
    assert [(p.label, p.status) for p in proposals] == [("a)", "received"), ("b)", "received")]
    assert proposals[0].title.startswith("Impulsar la generación de empleo")
    assert proposals[1].title == (
        "Promocionar y posicionar al municipio como atractivo turístico de la región."
    )


def test_events_carry_the_reported_attendance(demo):
    events = {e.slug: e for e in Event.objects.filter(exercise__slug="jalisco")}
    assert events["presentacion-plan-de-accion-local"].participants == 76
    assert events["taller-contrataciones-abiertas"].participants == 76
    assert events["jornada-informativa-2017"].participants == 31
    fil = events["fil-2017"]
    assert (fil.participants, fil.visitors) == (2020, 13600)
    panel = events["fil-2017-panel-experiencias-municipales-liiga"]
    assert (panel.participants, panel.participants_at_least) == (30, True)
    assert panel.participants_display == "más de 30"
    assert panel.part_of == fil
    assert events["fil-2017-panel-plan-de-accion-slp-zac-jal"].participants == 40
    ogp = events["encuentro-regional-ogp-americas-2017"]
    assert ogp.participants is None and ogp.place.startswith("Buenos Aires")
    hackathon = events["liiga-hackathon"]
    assert (hackathon.held_on.year, hackathon.held_on.month, hackathon.held_on_precision) == (
        2017,
        12,
        "month",
    )


def test_loading_twice_changes_nothing(demo):
    entries = AuditEntry.objects.count()
    call_command("load_demo")
    assert AuditEntry.objects.count() == entries


def test_the_lab_page_shows_sites_themes_chart_and_events(demo, client):
    page = client.get("/jalisco/participacion/laboratorios/liiga/").content.decode()
    for text in ("Ocotlán", "Talpa de Allende", "Minería", "<svg", "Hackathon", "más de 30"):
        assert text in page
    events = client.get("/jalisco/participacion/eventos/").content.decode()
    assert "13,600" in events and "2,020" in events
