"""The Jalisco demo data: the facts of the source documents, loaded idempotently and atomically."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from abierto.core.models import AuditEntry, Exercise, Jurisdiction, Organization, ReportedFigure
from abierto.plans.models import ActionPlan, Commitment, Committee, Milestone, ProgressUpdate
from abierto.secretariat.models import (
    Agreement,
    GovernanceMechanism,
    Liaison,
    Membership,
    Seat,
    Secretariat,
    Session,
)

SOURCE = "Informe Anual de Actividades del STL de Gobierno Abierto Jalisco 2017"

# Seed 004, «Integración del Secretariado Técnico Local»: seat → (titular, post), (suplente, post).
STL_2017 = {
    "Presidente del STL": (
        (
            "Cynthia Patricia Cantero Pacheco",
            "Presidenta del Pleno del Instituto de Transparencia, Información Pública y "
            "Protección de Datos Personales del Estado de Jalisco",
        ),
        None,
    ),
    "Poder Ejecutivo del Estado": (
        ("Jorge Aristóteles Sandoval Díaz", "Gobernador Constitucional del Estado de Jalisco"),
        (
            "Sonia Carolina Toro Morales",
            "Subsecretario de Planeación y Evaluación del Estado de Jalisco",
        ),
    ),
    "Poder Judicial del Estado": (
        (
            "Ricardo Suro Esteves",
            "Magistrado del Supremo Tribunal de Justicia del Estado de Jalisco",
        ),
        (
            "Antonio Flores Allende",
            "Magistrado Segunda Sala en materia Penal del Supremo Tribunal de Justicia del "
            "Estado de Jalisco",
        ),
    ),
    "Académico": (
        (
            "José Morales Orozco",
            "Rector del Instituto Tecnológico y de Estudios Superiores de Occidente (ITESO)",
        ),
        ("Juan Gerardo de la Borbolla Rivero", "Rector de la Universidad Panamericana"),
    ),
    "Empresarial": (
        ("José Mauro Garza Marín", "Presidente de la COPARMEX"),
        ("Fernando Topete Dávila", "Presidente de la CANACO"),
    ),
    "Sociedad civil": (
        ("David Pérez Rulfo", "Director Corporativa de Fundaciones"),
        ("Luis González Viramontes", "Director General CIDES"),
    ),
    "Poder Legislativo del Estado": (None, None),
    "Comunidad Tecnológica de la Sociedad Civil": (None, None),
}

# Seed 004, «Seguimiento y cumplimiento de los compromisos»: number → (title, objective).
COMMITMENTS = {
    1: (
        "Proyecto de intervención en la colonia Lomas de Polanco a través de la coordinación "
        "vecinal con policía y espacios abiertos del municipio de Guadalajara.",
        "Aumentar la confianza entre autoridades de seguridad bajo un modelo de proximidad "
        "policial, con la participación de los vecinos que habitan en la colonia Lomas de "
        "Polanco, a través de la generación de dinámicas y lazos de cooperación que impulsen "
        "soluciones estratégicas e integrales, con respecto a la seguridad en la comunidad, la "
        "prevención y las necesidades de infraestructura y servicios, para la apropiación del "
        "espacio público.",
    ),
    2: (
        "Reducción de la brecha salarial entre hombres y mujeres en el estado de Jalisco",
        "Acompañar el diseño de políticas e impulsar prácticas que permitan la equiparación "
        "salarial e igualdad encaminadas a disminuir la brecha salarial entre hombres y mujeres "
        "en el Estado de Jalisco a través de la co-responsabilidad.",
    ),
    3: (
        "Padrón estatal de habilidades para personas con discapacidad",
        "Mejorar la empleabilidad y la inclusión laboral de personas con discapacidad a través "
        "de la adaptación de los procesos administrativos, industriales y comerciales del "
        "sector productivo, permitiendo que éstos puedan ser operados en alguna o todas las "
        "etapas por personas con discapacidad.",
    ),
    4: (
        "Padrón estatal de jornaleros agrícolas",
        "Formalización de fuerza laboral del sector agrícola para mejorar condiciones de "
        "trabajo y asegurar la garantía de los derechos laborales.",
    ),
    5: (
        "Plataforma tecnológica para la formación continua de docentes",
        "Desarrollar una plataforma tecnológica que promueva el aprendizaje y la formación "
        "continua de los docentes del estado de Jalisco en sus procesos de evaluación para el "
        "ingreso, permanencia y promoción en el Sistema Educativo.",
    ),
    6: (
        "Ampliación de la cobertura de educación media superior con base en necesidades y "
        "vocaciones productivas regionales",
        "Ampliar la cobertura de educación media superior (3% en 2017) y reorientar la nueva "
        "oferta educativa con base en el vocacionamiento productivo y sociocultural de cada "
        "región (10 escuelas preparatorias regionales en total).",
    ),
    7: (
        "Plataforma para publicación de contrataciones del gobierno de Jalisco",
        "Dar a conocer al ciudadano los procesos de compra, licitaciones públicas, "
        "adjudicaciones, y selección de proveedores en el Estado de Jalisco a través de una "
        "plataforma digital en formato de datos abiertos y con ello evitar el mal uso de "
        "recursos públicos.",
    ),
}


@pytest.fixture
def demo(jalisco_demo):
    """The demo as `manage.py load_demo` leaves it (loaded once for the module)."""


@pytest.fixture
def demo_copy(tmp_path) -> Path:
    """A copy of the demo files that a test may break."""
    return Path(shutil.copytree(settings.DEMO_DATA_DIR, tmp_path / "demo"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def jalisco_secretariat() -> Secretariat:
    return Secretariat.objects.get(exercise__slug="jalisco")


# --- jurisdictions --------------------------------------------------------------------------


def test_all_32_states_have_their_inegi_keys(demo):
    states = dict(
        Jurisdiction.objects.filter(kind=Jurisdiction.Kind.STATE).values_list("inegi_code", "name")
    )

    assert sorted(states) == [f"{n:02d}" for n in range(1, 33)]
    assert states["01"] == "Aguascalientes"
    assert states["09"] == "Ciudad de México"
    assert states["14"] == "Jalisco"
    assert states["15"] == "México"
    assert states["32"] == "Zacatecas"


def test_jalisco_municipalities_named_by_the_seeds_have_their_keys(demo):
    municipalities = dict(
        Jurisdiction.objects.filter(parent__inegi_code="14").values_list("inegi_code", "name")
    )

    assert municipalities == {
        "14039": "Guadalajara",
        "14055": "Magdalena",
        "14063": "Ocotlán",
        "14084": "Talpa de Allende",
        "14097": "Tlajomulco de Zúñiga",
        "14098": "San Pedro Tlaquepaque",
        "14101": "Tonalá",
        "14120": "Zapopan",
    }


def test_the_exercise_is_gobierno_abierto_jalisco(demo):
    exercise = Exercise.objects.get(slug="jalisco")

    assert exercise.name == "Gobierno Abierto Jalisco"
    assert exercise.jurisdiction.inegi_code == "14"
    assert exercise.website == "http://gobiernoabiertojalisco.org.mx"


# --- the STL --------------------------------------------------------------------------------


def test_stl_members_are_the_2017_table_with_their_posts(demo):
    seats = Seat.objects.filter(secretariat=jalisco_secretariat())
    current = Membership.objects.current().filter(seat__in=seats)

    table = {}
    for seat in seats:
        holders = {m.role: (m.person_name, m.post) for m in current.filter(seat=seat)}
        table[seat.name] = (holders.get("titular"), holders.get("suplente"))

    assert list(seats.values_list("name", flat=True)) == list(STL_2017)
    assert table == STL_2017


def test_the_guarantors_president_chairs_the_stl(demo):
    chair = Seat.objects.get(secretariat=jalisco_secretariat(), is_chair=True)
    titular = chair.memberships.current().get(role=Membership.Role.TITULAR)

    assert titular.person_name == "Cynthia Patricia Cantero Pacheco"
    assert titular.organization.acronym == "ITEI"


def test_the_executive_seats_suplente_is_sonia_carolina_toro_morales(demo):
    suplente = Membership.objects.current().get(
        seat__name="Poder Ejecutivo del Estado", role=Membership.Role.ALTERNATE
    )

    assert suplente.person_name == "Sonia Carolina Toro Morales"
    assert suplente.organization.name == (
        "Subsecretaría de Planeación y Evaluación del Estado de Jalisco"
    )


def test_the_legislative_and_tech_community_seats_are_vacant(demo):
    vacant = Seat.objects.filter(secretariat=jalisco_secretariat()).exclude(
        memberships__in=Membership.objects.current().filter(role=Membership.Role.TITULAR)
    )

    assert set(vacant.values_list("name", flat=True)) == {
        "Poder Legislativo del Estado",
        "Comunidad Tecnológica de la Sociedad Civil",
    }
    assert not Membership.objects.filter(seat__name="Comunidad Tecnológica de la Sociedad Civil")


def test_the_legislative_resignation_is_history_without_an_invented_name(demo):
    resignation = Membership.objects.get(seat__name="Poder Legislativo del Estado")

    assert resignation.role == Membership.Role.TITULAR
    assert resignation.end_reason == Membership.EndReason.RESIGNATION
    assert not resignation.is_current
    assert resignation.person_name == ""
    assert resignation.organization.name == "Congreso del Estado de Jalisco"
    assert "no consigna su nombre" in resignation.source


def test_the_six_institutional_liaisons_in_the_reports_order(demo):
    liaisons = Liaison.objects.filter(secretariat=jalisco_secretariat())

    assert [liaison.organization.name for liaison in liaisons] == [
        "Subsecretaría de Planeación y Evaluación del Estado de Jalisco",
        "Instituto de Transparencia, Información Pública y Protección de Datos Personales del "
        "Estado de Jalisco",
        "Supremo Tribunal de Justicia del Estado de Jalisco",
        "Instituto Tecnológico y de Estudios Superiores de Occidente",
        "COPARMEX Jalisco",
        "Corporativa de Fundaciones",
    ]
    assert not liaisons.exclude(person_name="")


def test_the_five_invited_municipalities(demo):
    invited = jalisco_secretariat().invited_municipalities.values_list("inegi_code", flat=True)

    assert sorted(invited) == ["14039", "14097", "14098", "14101", "14120"]
    assert (
        Organization.objects.filter(
            sector=Organization.Sector.MUNICIPAL, jurisdiction__inegi_code__in=invited
        ).count()
        == 5
    )


def test_the_governance_mechanism_and_its_staggered_renewal_modification(demo):
    mechanisms = GovernanceMechanism.objects.filter(secretariat=jalisco_secretariat())

    assert mechanisms.count() == 2
    modification = mechanisms.get(approved_at__isnull=False)
    assert "relevo escalonado" in modification.summary
    assert (modification.approved_at.kind, modification.approved_at.number) == ("ordinary", 5)


# --- sessions and agreements ----------------------------------------------------------------


def test_the_fifth_ordinary_session_is_august_2017_with_its_four_agreements(demo):
    session = Session.objects.get(secretariat=jalisco_secretariat(), kind="ordinary", number=5)
    agreements = {a.number: a for a in session.agreements.all()}

    assert (session.held_on, session.held_on_precision) == (dt.date(2017, 8, 1), "month")
    assert session.held_display == "agosto de 2017"
    assert sorted(agreements) == [1, 2, 3, 4]
    assert agreements[1].text.startswith("Se informó de las renuncias")
    assert "relevo escalonado" in agreements[2].text
    assert "el ITEI ejerza un millón de pesos para el año 2017" in agreements[3].text
    assert "(LIIGA)" in agreements[4].text
    assert [agreements[n].status for n in (1, 2, 3)] == ["done"] * 3
    assert agreements[4].status == Agreement.Status.IN_PROGRESS
    assert "proyectado para el año 2018" in agreements[4].follow_up


def test_the_sixth_ordinary_session_received_the_final_compliance_report(demo):
    session = Session.objects.get(secretariat=jalisco_secretariat(), kind="ordinary", number=6)

    assert (session.held_on, session.held_on_precision) == (dt.date(2018, 2, 18), "day")
    assert "reporte final de cumplimiento" in session.summary
    assert not session.agreements.exists()


def test_totals_given_without_detail_are_reported_figures(demo):
    figures = {f.metric: f for f in ReportedFigure.objects.filter(exercise__slug="jalisco")}

    assert {metric: f.value for metric, f in figures.items()} == {
        "stl_sessions": 4,
        "liaison_meetings": 21,
        "committee_meetings": 30,
    }
    assert figures["stl_sessions"].period_start == dt.date(2017, 1, 1)
    assert figures["stl_sessions"].period_end == dt.date(2017, 12, 31)
    assert figures["committee_meetings"].period_start == dt.date(2017, 1, 1)
    assert figures["committee_meetings"].period_end == dt.date(2018, 2, 18)
    assert all(f.source == SOURCE and f.note for f in figures.values())


# --- the plan -------------------------------------------------------------------------------


def test_the_2016_2018_plan_was_presented_in_april_2017_to_76_people(demo):
    plan = ActionPlan.objects.get(exercise__slug="jalisco")

    assert plan.title == "Plan de Acción Local Jalisco 2016-2018"
    assert (plan.cycle, plan.period, plan.status) == (1, "2016-2018", "closed")
    assert plan.presented_display == "abril de 2017"
    assert plan.presentation_place == "Universidad Panamericana"
    assert plan.presentation_attendance == 76
    assert "comisionado del INAI Joel Salas" in plan.presentation_summary
    assert (plan.implementation_started_on, plan.implementation_started_on_precision) == (
        dt.date(2017, 1, 1),
        "month",
    )


def test_the_seven_commitments_with_their_exact_titles_and_objectives_are_complete(demo):
    commitments = Commitment.objects.filter(plan__exercise__slug="jalisco")

    assert {c.number: (c.title, c.objective) for c in commitments} == COMMITMENTS
    assert set(commitments.values_list("completion", flat=True)) == {"complete"}
    assert all("sexta sesión ordinaria" in c.completion_note for c in commitments)


def test_only_guadalajara_is_named_as_lead_implementer(demo):
    commitments = Commitment.objects.filter(plan__exercise__slug="jalisco")

    leads = {c.number: [o.name for o in c.lead_implementers.all()] for c in commitments}

    assert leads == {1: ["Ayuntamiento de Guadalajara"], **{n: [] for n in range(2, 8)}}


def test_what_the_seeds_do_not_give_stays_empty(demo):
    commitments = Commitment.objects.filter(plan__exercise__slug="jalisco")

    assert not commitments.exclude(problem="")
    assert not Milestone.objects.exists()
    assert not ProgressUpdate.objects.exists()
    assert Committee.objects.filter(commitment__in=commitments).count() == 7
    assert not Committee.objects.filter(members__isnull=False).exists()


def test_every_commitment_has_a_theme_and_the_participation_pillar(demo):
    commitments = Commitment.objects.filter(plan__exercise__slug="jalisco")

    assert not commitments.filter(theme__isnull=True)
    assert commitments.filter(pillars__code="participacion-ciudadana").count() == 7


def test_every_record_of_the_exercise_cites_its_source(demo):
    sourced = [
        *Membership.objects.all(),
        *Session.objects.all(),
        *GovernanceMechanism.objects.all(),
        *ActionPlan.objects.all(),
        *Commitment.objects.all(),
        *ReportedFigure.objects.all(),
    ]

    assert sourced
    assert [record for record in sourced if not record.source] == []


# --- loading --------------------------------------------------------------------------------


def test_loading_twice_changes_nothing(demo):
    before = counts()
    audit_entries = AuditEntry.objects.count()

    call_command("load_demo")

    assert counts() == before
    assert AuditEntry.objects.count() == audit_entries


def test_each_record_loaded_gets_its_audit_entry(db):
    call_command("load_demo")

    entries = AuditEntry.objects.filter(verb="load_demo", action="create")
    assert entries.filter(content_type__model="commitment").count() == 7
    assert entries.filter(content_type__model="jurisdiction").count() == 40


def test_a_changed_fact_is_updated_in_place_and_audited(demo, demo_copy):
    edit(demo_copy / "jalisco/figures.yaml", "value: 21", "value: 22")

    call_command("load_demo", path=demo_copy)

    figure = ReportedFigure.objects.get(metric="liaison_meetings")
    assert figure.value == 22
    assert ReportedFigure.objects.count() == 3
    entry = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ReportedFigure),
        object_id=str(figure.pk),
        action="update",
    ).get()
    assert (entry.before["value"], entry.after["value"]) == (21, 22)


def test_invalid_yaml_names_the_file_and_line_and_writes_nothing(db, demo_copy):
    edit(demo_copy / "jalisco/sessions.yaml", "    number: 6\n", "    number: [6\n")
    before = counts()

    with pytest.raises(CommandError, match=r"jalisco/sessions\.yaml: line \d+, column \d+"):
        call_command("load_demo", path=demo_copy)

    assert counts() == before


def test_an_unknown_reference_names_file_and_key_and_rolls_everything_back(demo, demo_copy):
    # An early fact changes and a late one is wrong: the early change must not survive.
    edit(demo_copy / "jurisdictions.yaml", "name: Zacatecas", "name: Zacatecas (cambiado)")
    edit(
        demo_copy / "jalisco/plans/2016-2018.yaml",
        "lead_implementers: [ayuntamiento-de-guadalajara]",
        "lead_implementers: [ayuntamiento-inexistente]",
    )
    before = counts()

    with pytest.raises(CommandError) as error:
        call_command("load_demo", path=demo_copy)

    assert str(error.value) == (
        "jalisco/plans/2016-2018.yaml: commitments[0].lead_implementers[0]: "
        "unknown organization 'ayuntamiento-inexistente' (not in organizations.yaml)"
    )
    assert counts() == before
    assert Jurisdiction.objects.get(inegi_code="32").name == "Zacatecas"


def test_an_unknown_reference_on_an_empty_database_leaves_it_empty(db, demo_copy):
    edit(
        demo_copy / "jalisco/secretariat.yaml",
        "organization: congreso-de-jalisco",
        "organization: congreso",
    )
    before = counts()

    with pytest.raises(CommandError, match=r"jalisco/secretariat\.yaml: secretariat\.seats\[6\]"):
        call_command("load_demo", path=demo_copy)

    assert counts() == before
    assert not Jurisdiction.objects.exists()


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "jalisco/plans/2016-2018.yaml",
            "presentation_attendance: 76",
            "presentation_attendance: setenta y seis",
            "plan.presentation_attendance: expected a whole number, got 'setenta y seis'",
        ),
        (
            "jalisco/plans/2016-2018.yaml",
            "    theme: educacion\n    pillars",
            "    theme: educación\n    pillars",
            "commitments[4].theme: unknown theme 'educación'",
        ),
        (
            "jalisco/organizations.yaml",
            "  - slug: canaco\n    name: CANACO\n",
            "  - slug: canaco\n    nombre: CANACO\n",
            "organizations[7].name: required key is missing or empty",
        ),
        (
            "jalisco/figures.yaml",
            "  - metric: liaison_meetings",
            "  - metric: liaison_meetings\n    valor: 21",
            "reported_figures[1].valor: unknown key",
        ),
        (
            "jalisco/secretariat.yaml",
            "sector: tech_community",
            "sector: tecnologia",
            "secretariat.seats[7].sector: 'tecnologia' is not one of",
        ),
        (
            "jalisco/sessions.yaml",
            'held_on: "2017-08"',
            'held_on: "agosto 2017"',
            "sessions[0].held_on: expected",
        ),
        (
            "jurisdictions.yaml",
            '{inegi_code: "14120", name: Zapopan, slug: zapopan, state: "14"}',
            '{inegi_code: "14120", name: Zapopan, slug: zapopan, state: "15"}',
            "municipalities[1].state: '14120' is not a municipality of '15'",
        ),
    ],
)
def test_a_malformed_record_names_file_and_key(db, demo_copy, file, old, new, message):
    edit(demo_copy / file, old, new)

    with pytest.raises(CommandError) as error:
        call_command("load_demo", path=demo_copy)

    assert str(error.value).startswith(f"{file}: ")
    assert message in str(error.value)
    assert not Exercise.objects.exists()


def test_a_key_given_twice_is_an_error_not_a_silent_loss(db, demo_copy):
    edit(demo_copy / "jalisco/figures.yaml", "    value: 21\n", "    value: 21\n    value: 12\n")

    with pytest.raises(CommandError, match=r"jalisco/figures\.yaml: line \d+.*'value' twice"):
        call_command("load_demo", path=demo_copy)


def test_a_record_given_twice_is_an_error(db, demo_copy):
    edit(
        demo_copy / "pillars.yaml",
        "  - code: rendicion-de-cuentas",
        "  - code: transparencia",
    )

    with pytest.raises(CommandError) as error:
        call_command("load_demo", path=demo_copy)

    assert str(error.value) == (
        "pillars.yaml: pillars[1]: the same record as pillars.yaml: pillars[0]"
    )
    assert not Jurisdiction.objects.exists()


def test_a_missing_folder_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="no such folder"):
        call_command("load_demo", path=tmp_path / "no-existe")
