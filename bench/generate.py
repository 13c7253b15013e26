"""Generate national-scale data for the benchmarks.

32 states (INEGI 01-32), each with its exercise and Local Technical Secretariat (seats,
members, liaisons, sessions, agreements), 3 action plans of 15 commitments of 6 milestones
with 20 progress updates each: 172,800 progress updates in all, with evidence links,
verifications, committees and their meetings. Dates are realistic around a fixed reference
date (some milestones of the current plans are overdue). Seeded: the same arguments give
the same data.

    .venv/bin/python bench/generate.py [--database-url URL] [--reset]

The database is --database-url, else $DATABASE_URL, else var/bench/bench.sqlite3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

STATES = [
    ("01", "Aguascalientes"),
    ("02", "Baja California"),
    ("03", "Baja California Sur"),
    ("04", "Campeche"),
    ("05", "Coahuila de Zaragoza"),
    ("06", "Colima"),
    ("07", "Chiapas"),
    ("08", "Chihuahua"),
    ("09", "Ciudad de México"),
    ("10", "Durango"),
    ("11", "Guanajuato"),
    ("12", "Guerrero"),
    ("13", "Hidalgo"),
    ("14", "Jalisco"),
    ("15", "México"),
    ("16", "Michoacán de Ocampo"),
    ("17", "Morelos"),
    ("18", "Nayarit"),
    ("19", "Nuevo León"),
    ("20", "Oaxaca"),
    ("21", "Puebla"),
    ("22", "Querétaro"),
    ("23", "Quintana Roo"),
    ("24", "San Luis Potosí"),
    ("25", "Sinaloa"),
    ("26", "Sonora"),
    ("27", "Tabasco"),
    ("28", "Tamaulipas"),
    ("29", "Tlaxcala"),
    ("30", "Veracruz de Ignacio de la Llave"),
    ("31", "Yucatán"),
    ("32", "Zacatecas"),
]
SHORT_NAMES = {
    "05": "Coahuila",
    "16": "Michoacán",
    "30": "Veracruz",
    "15": "Estado de México",
}

THEMES = [
    "Seguridad pública",
    "Educación",
    "Salud",
    "Medio ambiente",
    "Movilidad",
    "Combate a la corrupción",
    "Transparencia presupuestaria",
    "Desarrollo económico",
    "Igualdad de género",
    "Participación ciudadana",
    "Agua",
    "Obra pública",
]
PILLARS = [
    ("transparencia", "Transparencia y acceso a la información"),
    ("rendicion-de-cuentas", "Rendición de cuentas"),
    ("participacion-ciudadana", "Participación ciudadana (co-creación)"),
    ("tecnologia-e-innovacion", "Tecnología e innovación"),
]

# (name pattern, acronym pattern, sector): the state's institutions.
IMPLEMENTERS = [
    ("Secretaría de Planeación y Participación Ciudadana de {state}", "SPPC", "executive"),
    ("Secretaría de Educación de {state}", "SE", "executive"),
    ("Secretaría de Salud de {state}", "SS", "executive"),
    ("Secretaría de la Hacienda Pública de {state}", "SHP", "executive"),
    ("Contraloría del Estado de {state}", "CE", "executive"),
    ("Secretaría de Seguridad de {state}", "SSE", "executive"),
    ("Secretaría de Medio Ambiente y Desarrollo Territorial de {state}", "SEMADET", "executive"),
    ("Secretaría de Transporte de {state}", "SETRAN", "executive"),
    ("Congreso del Estado de {state}", "CONGRESO", "legislative"),
    ("Poder Judicial del Estado de {state}", "PJ", "judicial"),
    ("Ayuntamiento de la capital de {state}", "AYTO", "municipal"),
]
GUARANTOR = ("Instituto de Transparencia e Información Pública de {state}", "ITEI", "guarantor")
CIVIL_SOCIETY = [
    ("Observatorio Ciudadano de {state}", "OC", "civil_society"),
    ("Colectivo por la Transparencia de {state}", "CT", "civil_society"),
    ("Red de Participación Ciudadana de {state}", "RPC", "civil_society"),
    ("Fundación Datos Abiertos de {state}", "FDA", "civil_society"),
    ("Mujeres por la Rendición de Cuentas de {state}", "MRC", "civil_society"),
    ("Jóvenes por el Gobierno Abierto de {state}", "JGA", "civil_society"),
]
OTHERS = [
    ("Universidad Autónoma de {state}", "UA", "academia"),
    ("Consejo Empresarial de {state}", "CCE", "business"),
    ("Comunidad Tecnológica de {state}", "CTEC", "tech_community"),
]
SEATS = [
    ("Órgano garante", "guarantor", True),
    ("Poder Ejecutivo", "executive", False),
    ("Poder Legislativo", "legislative", False),
    ("Poder Judicial", "judicial", False),
    ("Ayuntamientos", "municipal", False),
    ("Academia", "academia", False),
    ("Sector empresarial", "business", False),
    ("Sociedad civil (1)", "civil_society", False),
    ("Sociedad civil (2)", "civil_society", False),
]

ACTIONS = [
    "Publicar en datos abiertos",
    "Crear un sistema ciudadano de seguimiento de",
    "Co-crear con la sociedad civil un protocolo de",
    "Transparentar el ciclo presupuestario de",
    "Implementar un mecanismo de denuncia ciudadana sobre",
    "Abrir los procesos de contratación de",
    "Medir con indicadores públicos",
    "Instalar mesas de trabajo ciudadanas sobre",
]
SUBJECTS = {
    "Seguridad pública": "la incidencia delictiva por colonia",
    "Educación": "la infraestructura escolar",
    "Salud": "el abasto de medicamentos en hospitales públicos",
    "Medio ambiente": "la calidad del aire y las emisiones",
    "Movilidad": "el transporte público y sus rutas",
    "Combate a la corrupción": "las declaraciones patrimoniales",
    "Transparencia presupuestaria": "el gasto en programas sociales",
    "Desarrollo económico": "los apoyos a las pequeñas empresas",
    "Igualdad de género": "la atención a la violencia contra las mujeres",
    "Participación ciudadana": "el presupuesto participativo",
    "Agua": "la distribución y calidad del agua",
    "Obra pública": "la obra pública municipal",
}
MILESTONE_STEPS = [
    "Diagnóstico participativo del problema con organizaciones y personas usuarias",
    "Diseño del instrumento y del modelo de datos con el comité de acompañamiento",
    "Desarrollo y pruebas de la herramienta con la comunidad tecnológica",
    "Publicación de la primera versión y de los datos en formatos abiertos",
    "Capacitación a servidores públicos y a la ciudadanía en su uso",
    "Evaluación de resultados e informe público de cierre",
]
NARRATIVES = [
    "Se realizaron reuniones de trabajo con el comité de acompañamiento y se acordaron ajustes.",
    "Se concluyó la etapa de levantamiento de información; se anexa la minuta.",
    "Se publicó un avance del documento para consulta pública durante quince días.",
    "Se atendieron las observaciones de las organizaciones de la sociedad civil.",
    "Se capacitó al personal de las áreas responsables; se anexa la lista de asistencia.",
    "Se integraron los datos del periodo y se validaron con el área generadora.",
    "Hubo retraso por cambio de titular en el área responsable; se reprogramaron actividades.",
    "Se presentó el avance en la sesión ordinaria del Secretariado Técnico Local.",
]

# Three cycles: two closed plans and the current one, in implementation.
PLAN_CYCLES = [
    (1, 2020, 2022, "closed"),
    (2, 2022, 2024, "closed"),
    (3, 2025, 2027, "implementation"),
]
REFERENCE_DATE = dt.date(2026, 11, 1)
TZ = ZoneInfo("America/Mexico_City")
PLANS_PER_STATE = 3
COMMITMENTS_PER_PLAN = 15
MILESTONES_PER_COMMITMENT = 6
UPDATES_PER_MILESTONE = 20
BATCH = 2000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else the bench SQLite file")
    parser.add_argument(
        "--reset",
        action="store_true",
        help="drop the database (SQLite file or PostgreSQL database) and start afresh",
    )
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument(
        "--states", type=int, default=32, help="how many states (fewer for a quick try)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = common.database_url(args.database_url)
    print(f"Database: {common.describe(url)}")
    if common.is_postgres(url):
        common.ensure_postgres_database(url, recreate=args.reset)
    elif args.reset:
        common.remove_sqlite_database(url)
    common.setup_django(url)

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Migrated in {time.perf_counter() - started:.1f} s")

    from abierto.core.models import Exercise

    if Exercise.objects.filter(slug__in=[_slug(n) for _, n in STATES[: args.states]]).exists():
        print(
            "The benchmark data is already there; use --reset to generate it again.",
            file=sys.stderr,
        )
        return 1
    started = time.perf_counter()
    counts = Generator(random.Random(args.seed), STATES[: args.states]).run()
    elapsed = time.perf_counter() - started
    # Fresh planner statistics, as autovacuum (PostgreSQL) or `PRAGMA optimize` would give.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        print(f"  {name:<{width}}  {count:>9,}")
    print(f"Generated in {elapsed:.1f} s")
    return 0


def _slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name)


def _bulk(model, objects: list, batch_size: int = BATCH) -> list:
    """bulk_create in batches; the objects come back with their ids (SQLite and PostgreSQL)."""
    created = []
    for start in range(0, len(objects), batch_size):
        created.extend(model.objects.bulk_create(objects[start : start + batch_size]))
    return created


class Generator:
    def __init__(self, rng: random.Random, states: list[tuple[str, str]]) -> None:
        self.rng = rng
        self.states = states
        self.counts: Counter[str] = Counter()

    def run(self) -> dict[str, int]:
        from django.db import transaction

        with transaction.atomic():
            self.shared()
            for code, name in self.states:
                self.state(code, name)
        return dict(self.counts)

    # ------------------------------------------------------------------------ shared

    def shared(self) -> None:
        from abierto.plans.models import Pillar, Theme

        self.themes = _bulk(Theme, [Theme(name=n, slug=_slug(n)) for n in THEMES])
        self.pillars = _bulk(
            Pillar,
            [Pillar(code=c, name=n, position=i) for i, (c, n) in enumerate(PILLARS, start=1)],
        )
        self.counts["themes"] += len(self.themes)
        self.counts["pillars"] += len(self.pillars)

    # ------------------------------------------------------------------------- state

    def state(self, code: str, name: str) -> None:
        from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

        from abierto.core.models import Exercise, Jurisdiction, Organization, User

        rng = self.rng
        slug = _slug(name)
        jurisdiction = Jurisdiction.objects.create(
            inegi_code=code,
            name=name,
            short_name=SHORT_NAMES.get(code, name),
            slug=slug,
            kind=Jurisdiction.Kind.STATE,
        )
        state = SHORT_NAMES.get(code, name)
        exercise = Exercise.objects.create(
            jurisdiction=jurisdiction,
            name=f"Gobierno Abierto {state}",
            slug=slug,
            description=f"Ejercicio local de Gobierno Abierto de {state}.",
            started_on=dt.date(2016 + rng.randrange(3), rng.randrange(1, 13), 1),
            started_on_precision="month",
        )

        def orgs(specs):
            return _bulk(
                Organization,
                [
                    Organization(
                        name=pattern.format(state=state),
                        acronym=f"{acronym}-{code}",
                        slug=_slug(pattern.format(state=state)),
                        sector=sector,
                        jurisdiction=jurisdiction,
                    )
                    for pattern, acronym, sector in specs
                ],
            )

        implementers = orgs(IMPLEMENTERS)
        guarantor = orgs([GUARANTOR])[0]
        civil = orgs(CIVIL_SOCIETY)
        others = orgs(OTHERS)
        self.counts["organizations"] += len(implementers) + 1 + len(civil) + len(others)

        def users(kind: str, organizations: list, per: int) -> list:
            people = [
                User(
                    username=f"{kind}-{code}-{i:02d}-{j}",
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=f"{rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}",
                    email=f"{kind}-{code}-{i:02d}-{j}@example.org",
                    # Unusable: nobody signs in as these generated people.
                    password=UNUSABLE_PASSWORD_PREFIX,
                    organization=org,
                )
                for i, org in enumerate(organizations)
                for j in range(per)
            ]
            return _bulk(User, people)

        implementer_users = users("impl", implementers, 2)
        civil_users = users("osc", civil, 2)
        self.counts["users"] += len(implementer_users) + len(civil_users)
        by_org: dict[int, list] = {}
        for user in implementer_users + civil_users:
            by_org.setdefault(user.organization_id, []).append(user)

        self.secretariat(exercise, guarantor, implementers, civil, others)
        for cycle, start_year, end_year, status in PLAN_CYCLES[:PLANS_PER_STATE]:
            self.plan(exercise, cycle, start_year, end_year, status, implementers, civil, by_org)

    def secretariat(self, exercise, guarantor, implementers, civil, others) -> None:
        from abierto.secretariat.models import (
            Agreement,
            Liaison,
            Membership,
            Seat,
            Secretariat,
            Session,
        )

        rng = self.rng
        installed = exercise.started_on + dt.timedelta(days=rng.randrange(30, 200))
        secretariat = Secretariat.objects.create(
            exercise=exercise,
            name=f"Secretariado Técnico Local de {exercise.jurisdiction.short_name}",
            installed_on=installed,
            purpose="Coordinar el ejercicio local de Gobierno Abierto.",
        )
        seats = _bulk(
            Seat,
            [
                Seat(secretariat=secretariat, name=n, sector=s, position=i, is_chair=chair)
                for i, (n, s, chair) in enumerate(SEATS, start=1)
            ],
        )
        holders = {
            "guarantor": [guarantor],
            "executive": implementers[:8],
            "legislative": [implementers[8]],
            "judicial": [implementers[9]],
            "municipal": [implementers[10]],
            "academia": [others[0]],
            "business": [others[1]],
            "civil_society": civil,
        }
        memberships = []
        for index, seat in enumerate(seats):
            org = holders[seat.sector][index % len(holders[seat.sector])]
            term_start = installed
            # A past titular whose term ended: vacancies and renewals are history.
            renewed = installed + dt.timedelta(days=730 + rng.randrange(-60, 60))
            memberships.append(
                Membership(
                    seat=seat,
                    role="titular",
                    person_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    post="Titular",
                    organization=org,
                    start_on=term_start,
                    end_on=renewed,
                    end_reason=rng.choice(["term_ended", "resignation", "replaced"]),
                )
            )
            for role in ("titular", "suplente"):
                vacant = role == "suplente" and rng.random() < 0.15
                memberships.append(
                    Membership(
                        seat=seat,
                        role=role,
                        person_name=""
                        if vacant
                        else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        post="Titular" if role == "titular" else "Suplente",
                        organization=org,
                        start_on=renewed,
                    )
                )
        _bulk(Membership, memberships)
        liaisons = _bulk(
            Liaison,
            [
                Liaison(
                    secretariat=secretariat,
                    organization=org,
                    person_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    position=i,
                )
                for i, org in enumerate(implementers, start=1)
            ],
        )
        sessions = _bulk(
            Session,
            [
                Session(
                    secretariat=secretariat,
                    kind="ordinary",
                    number=n,
                    held_on=installed + dt.timedelta(days=120 * n),
                    place="Sala de sesiones del órgano garante",
                    attendance=rng.randrange(12, 40),
                    summary="Se revisó el avance de los compromisos del Plan de Acción Local.",
                )
                for n in range(1, 13)
            ],
        )
        agreements = []
        for session in sessions:
            for n in range(1, 4):
                done = session.held_on < REFERENCE_DATE - dt.timedelta(days=120)
                agreements.append(
                    Agreement(
                        session=session,
                        number=n,
                        text="Dar seguimiento a los compromisos con retraso.",
                        responsible="Secretaría técnica",
                        due_on=session.held_on + dt.timedelta(days=60),
                        status="done" if done else "in_progress",
                        done_on=session.held_on + dt.timedelta(days=50) if done else None,
                    )
                )
        _bulk(Agreement, agreements)
        self.counts["secretariats"] += 1
        self.counts["seats"] += len(seats)
        self.counts["memberships"] += len(memberships)
        self.counts["liaisons"] += len(liaisons)
        self.counts["sessions"] += len(sessions)
        self.counts["agreements"] += len(agreements)

    # -------------------------------------------------------------------------- plan

    def plan(self, exercise, cycle, start_year, end_year, status, implementers, civil, by_org):
        from django.contrib.contenttypes.models import ContentType

        from abierto.core.models import Document
        from abierto.plans.models import (
            ActionPlan,
            Commitment,
            Committee,
            CommitteeMember,
            Meeting,
            Milestone,
            ProgressUpdate,
            Verification,
        )

        rng = self.rng
        plan_start = dt.date(start_year, rng.randrange(1, 4), rng.randrange(1, 28))
        plan_end = dt.date(end_year, 12, 31)
        plan = ActionPlan.objects.create(
            exercise=exercise,
            title=f"Plan de Acción Local {start_year}-{end_year}",
            slug=f"pal-{start_year}-{end_year}",
            cycle=cycle,
            start_year=start_year,
            end_year=end_year,
            status=status,
            description="Compromisos co-creados entre gobierno y sociedad civil.",
            presented_on=plan_start,
            presentation_place="Palacio de Gobierno",
            presentation_attendance=rng.randrange(80, 400),
            implementation_started_on=plan_start + dt.timedelta(days=30),
        )
        closed = status == "closed"
        commitments = []
        for number in range(1, COMMITMENTS_PER_PLAN + 1):
            theme = rng.choice(self.themes)
            title = f"{rng.choice(ACTIONS)} {SUBJECTS[theme.name]}".replace(" de el ", " del ")
            commitments.append(
                Commitment(
                    plan=plan,
                    number=number,
                    title=title,
                    slug=f"{number:02d}-{_slug(title)}"[:120],
                    problem=f"La ciudadanía no cuenta con información oportuna sobre "
                    f"{SUBJECTS[theme.name]}.",
                    objective=f"{title} para que cualquier persona pueda darle seguimiento.",
                    theme=theme,
                    start_on=plan_start + dt.timedelta(days=30),
                    end_on=plan_end,
                    # Set below from the milestones' progress.
                    completion="not_started",
                )
            )
        commitments = _bulk(Commitment, commitments)
        pillar_links, implementer_links, partner_links = [], [], []
        for c in commitments:
            for pillar in rng.sample(self.pillars, rng.randrange(1, 4)):
                pillar_links.append(Commitment.pillars.through(commitment=c, pillar=pillar))
            for org in rng.sample(implementers, rng.randrange(1, 3)):
                implementer_links.append(
                    Commitment.lead_implementers.through(commitment=c, organization=org)
                )
            for org in rng.sample(civil, rng.randrange(1, 3)):
                partner_links.append(Commitment.partners.through(commitment=c, organization=org))
        _bulk(Commitment.pillars.through, pillar_links)
        _bulk(Commitment.lead_implementers.through, implementer_links)
        _bulk(Commitment.partners.through, partner_links)
        leads = {}
        for link in implementer_links:
            leads.setdefault(link.commitment_id, []).append(link.organization_id)
        partners = {}
        for link in partner_links:
            partners.setdefault(link.commitment_id, []).append(link.organization_id)

        committees = _bulk(
            Committee,
            [
                Committee(commitment=c, name=f"Comité del compromiso {c.number}")
                for c in commitments
            ],
        )
        members, meetings = [], []
        for committee, c in zip(committees, commitments, strict=True):
            seen = set()
            for org_id in partners[c.pk]:
                user = by_org[org_id][0]
                seen.add(user.pk)
                members.append(
                    CommitteeMember(
                        committee=committee, role="civil_society", user=user, organization_id=org_id
                    )
                )
            for org_id in leads[c.pk]:
                user = by_org[org_id][0]
                if user.pk not in seen:
                    members.append(
                        CommitteeMember(
                            committee=committee,
                            role="implementer",
                            user=user,
                            organization_id=org_id,
                        )
                    )
            members.append(
                CommitteeMember(
                    committee=committee,
                    role="liaison",
                    person_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    organization_id=leads[c.pk][0],
                )
            )
            for n in range(3):
                held = plan_start + dt.timedelta(days=90 + 200 * n + rng.randrange(60))
                if held < REFERENCE_DATE:
                    meetings.append(
                        Meeting(
                            exercise=exercise,
                            kind="committee",
                            committee=committee,
                            held_on=held,
                            place="Oficinas de la dependencia responsable",
                            attendees="Integrantes del comité de acompañamiento",
                            attendee_count=rng.randrange(5, 20),
                            minutes="Se revisaron los avances y se acordaron los siguientes pasos.",
                        )
                    )
        _bulk(CommitteeMember, members)
        _bulk(Meeting, meetings)

        # Milestones and their progress trajectories.
        milestones, finals = [], []
        for c in commitments:
            for position in range(1, MILESTONES_PER_COMMITMENT + 1):
                if closed:
                    span = (plan_end - plan_start).days
                    start = plan_start + dt.timedelta(days=span * (position - 1) // 7)
                    due = start + dt.timedelta(days=rng.randrange(120, 360))
                    due = min(due, plan_end)
                else:
                    start = plan_start + dt.timedelta(days=75 * (position - 1) + rng.randrange(30))
                    due = start + dt.timedelta(days=rng.randrange(150, 540))
                    due = min(due, plan_end)
                if due < REFERENCE_DATE:
                    # Past due: most finished; the rest are overdue (latest under 100 %).
                    final = (
                        100 if rng.random() < (0.85 if closed else 0.6) else rng.randrange(20, 96)
                    )
                    cancelled = rng.random() < 0.02
                    status = (
                        "cancelled"
                        if cancelled
                        else ("completed" if final == 100 else "in_progress")
                    )
                else:
                    elapsed = (REFERENCE_DATE - start).days / max((due - start).days, 1)
                    final = max(0, min(95, int(elapsed * 100) + rng.randrange(-20, 10)))
                    status = "in_progress" if final else "planned"
                milestones.append(
                    Milestone(
                        commitment=c,
                        position=position,
                        description=MILESTONE_STEPS[position - 1],
                        weight=rng.choice([1, 1, 2, 2, 3]),
                        start_on=start,
                        due_on=due,
                        status=status,
                    )
                )
                finals.append(final)
        milestones = _bulk(Milestone, milestones)

        by_commitment: dict[int, list[int]] = {}
        for milestone, final in zip(milestones, finals, strict=True):
            if milestone.status != "cancelled":
                by_commitment.setdefault(milestone.commitment_id, []).append(final)
        for c in commitments:
            values = by_commitment.get(c.pk, [])
            mean = sum(values) / len(values) if values else 0
            c.completion = (
                "complete"
                if mean >= 100
                else "substantial"
                if mean >= 60
                else "limited"
                if mean > 0
                else "not_started"
            )
        Commitment.objects.bulk_update(commitments, ["completion"])

        update_type = ContentType.objects.get_for_model(ProgressUpdate)
        commitment_by_id = {c.pk: c for c in commitments}
        updates = []
        for milestone, final in zip(milestones, finals, strict=True):
            reporters = [u for org_id in leads[milestone.commitment_id] for u in by_org[org_id]]
            first = dt.datetime.combine(milestone.start_on, dt.time(10), TZ)
            last_day = min(milestone.due_on + dt.timedelta(days=20), REFERENCE_DATE)
            last = dt.datetime.combine(last_day, dt.time(18), TZ)
            step = (last - first) / UPDATES_PER_MILESTONE
            percents = sorted(rng.randrange(0, final + 1) for _ in range(UPDATES_PER_MILESTONE - 1))
            percents.append(final)
            for n, percent in enumerate(percents):
                reported_at = first + step * n + dt.timedelta(minutes=rng.randrange(0, 600))
                updates.append(
                    ProgressUpdate(
                        milestone=milestone,
                        percent=percent,
                        narrative=rng.choice(NARRATIVES),
                        reported_by=rng.choice(reporters),
                        reported_at=reported_at,
                    )
                )
        updates = _bulk(ProgressUpdate, updates)
        documents, verifications = [], []
        milestone_by_id = {m.pk: m for m in milestones}
        for update in updates:
            if rng.random() < 0.25:
                documents.append(
                    Document(
                        kind="evidence",
                        title="Evidencia del avance",
                        url=f"https://transparencia.example.org/evidencias/{update.pk}.pdf",
                        media_type="application/pdf",
                        published_on=update.reported_at.date(),
                        content_type=update_type,
                        object_id=update.pk,
                    )
                )
            if rng.random() < 0.10:
                c = commitment_by_id[milestone_by_id[update.milestone_id].commitment_id]
                verifier = by_org[partners[c.pk][0]][rng.randrange(2)]
                verifications.append(
                    Verification(
                        update=update,
                        verifier=verifier,
                        verdict="confirmed" if rng.random() < 0.85 else "disputed",
                        comment="Se revisó la evidencia con el comité.",
                    )
                )
        _bulk(Document, documents)
        _bulk(Verification, verifications)

        self.counts["plans"] += 1
        self.counts["commitments"] += len(commitments)
        self.counts["committees"] += len(committees)
        self.counts["committee members"] += len(members)
        self.counts["meetings"] += len(meetings)
        self.counts["milestones"] += len(milestones)
        self.counts["progress updates"] += len(updates)
        self.counts["evidence documents"] += len(documents)
        self.counts["verifications"] += len(verifications)


FIRST_NAMES = [
    "María", "José", "Guadalupe", "Juan", "Ana", "Luis", "Sofía", "Carlos", "Fernanda",
    "Miguel", "Valeria", "Jorge", "Daniela", "Ricardo", "Alejandra", "Francisco",
]  # fmt: skip
LAST_NAMES = [
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez",
]  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
