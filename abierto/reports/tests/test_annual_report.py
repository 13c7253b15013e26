"""The STL's annual activity report, built by the platform from the demo data (seed 004).

The PDF's text is read back through WeasyPrint's own document model (pypdf and pdftotext are
not installed): the stored HTML file is laid out again exactly as the build did, and the page
count must match the stored PDF's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from weasyprint.formatting_structure import boxes

from abierto.core.factories import OrganizationFactory, UserFactory
from abierto.core.models import Document, Exercise
from abierto.core.recovery import RESETTERS
from abierto.participation.factories import (
    EventFactory,
    ProposalFactory,
    SiteFactory,
    SolutionFactory,
    WorkshopFactory,
)
from abierto.participation.models import Lab, Proposal, Site
from abierto.plans.factories import (
    CommitmentFactory,
    CommitteeMemberFactory,
    MeetingFactory,
    MilestoneFactory,
    ProgressUpdateFactory,
)
from abierto.plans.models import ActionPlan, Commitment, Committee
from abierto.reports import annual_report, services
from abierto.reports.models import AnnualReport
from abierto.reports.tasks import build_annual_report
from abierto.secretariat.factories import (
    AgreementFactory,
    LiaisonFactory,
    MembershipFactory,
    SeatFactory,
    SessionFactory,
)
from abierto.secretariat.models import Secretariat, Session

STAFF_EMAIL = "personal.stl@itei.example"
STAFF_PHONE = "33 3630 5745"
CITIZEN_EMAIL = "vecina.magdalena@correo.example"
CITIZEN_PHONE = "386 744 0000"


@pytest.fixture
def demo(jalisco_demo) -> Exercise:
    return Exercise.objects.get(slug="jalisco")


@pytest.fixture
def staff(db):
    user = UserFactory(
        username="personal-stl",
        first_name="Ana",
        last_name="Staff",
        email=STAFF_EMAIL,
        phone=STAFF_PHONE,
        is_staff=True,
    )
    user.groups.add(Group.objects.get_or_create(name="Personal del STL")[0])
    return user


def index_url(exercise) -> str:
    return reverse("annual_report:index", kwargs={"exercise": exercise.slug})


def year_url(name: str, exercise, year: int) -> str:
    return reverse(f"annual_report:{name}", kwargs={"exercise": exercise.slug, "year": year})


def build(exercise, year: int, by=None) -> AnnualReport:
    """Request a build and run it as the worker would (the queued task, then its function)."""
    report = services.annual_report_request(exercise=exercise, year=year, by=by)
    build_annual_report.call(report.pk)
    report.refresh_from_db()
    return report


def pdf_text(report: AnnualReport) -> tuple[str, int]:
    """The text laid out in the report's PDF pages, and how many pages there are."""
    with report.html.open("rb") as stored:
        document = annual_report.pdf_document(stored.read().decode("utf-8"))
    words = []
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.TextBox):
                words.append(box.text)
    return re.sub(r"\s+", " ", " ".join(words)), len(document.pages)


def squash(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


SEED_004_FIGURES = [
    # (what, text as the report writes it)
    ("plan presentation", "Participantes 76 personas"),
    ("committee meetings", "se reunieron 30 veces"),
    ("commitments fully complied", "7 de 7 compromisos con cumplimiento total"),
    ("open contracting workshop", "Taller de contrataciones abiertas"),
    ("book fair participants", "2,020 personas"),
    ("book fair visitors", "13,600 personas"),
    ("information day", "Jornada informativa sobre Gobierno Abierto"),
    ("STL sessions", "celebraron 4 sesiones en el año"),
    ("liaison meetings", "celebraron 21 reuniones de trabajo"),
]


def test_the_2017_report_carries_the_figures_of_seed_004_in_html_and_pdf(
    demo, staff, client, django_capture_on_commit_callbacks
):
    # A citizen's proposal at Magdalena and the requester: their e-mail and phone must never
    # reach the report.
    magdalena = Site.objects.get(lab__exercise=demo, municipality__inegi_code="14055")
    author = UserFactory(username="usuaria-7781", email=CITIZEN_EMAIL, phone=CITIZEN_PHONE)
    ProposalFactory(
        exercise=demo, site=magdalena, author=author, title="Mercado municipal de productores"
    )
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("annual_report:request", args=["jalisco"]), {"year": 2017})
    assert response.status_code == 302
    assert response["Location"] == year_url("status", demo, 2017)
    task = DBTaskResult.objects.get(task_path=build_annual_report.module_path)
    assert task.args_kwargs["args"] == [AnnualReport.objects.get().pk]
    report = AnnualReport.objects.get()
    assert report.status == AnnualReport.Status.QUEUED
    build_annual_report.call(report.pk)
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.DONE, report.error
    assert report.requested_by == staff

    client.logout()
    page = client.get(year_url("detail", demo, 2017))
    assert page.status_code == 200
    html = page.content.decode()
    text = squash(html)
    text_pdf, pages = pdf_text(report)
    for what, expected in SEED_004_FIGURES:
        assert expected in text, f"{what} missing in the HTML page"
        assert expected in text_pdf, f"{what} missing in the PDF"
    # The open contracting workshop and the information day with their attendance.
    for title, count in [("Taller de contrataciones abiertas", 76), ("Jornada informativa", 31)]:
        assert re.search(rf"{title}.*? Participantes {count} personas", text)
        assert re.search(rf"{title}.*? Participantes {count} personas", text_pdf)
    # Seed 004's structure: every section heading, in order.
    headings = [
        "Presentación",
        "Integración del Secretariado Técnico Local",
        "Presentación del Plan de Acción Local",
        "Seguimiento y cumplimiento de los compromisos",
        "Talleres",
        "Laboratorio Itinerante de Innovación de Gobierno Abierto (LIIGA)",
        "Feria Internacional del Libro 2017",
        "Sesiones de trabajo",
        "Difusión",
    ]
    h2 = [squash(h).strip() for h in re.findall(r"<h2[^>]*>(.*?)</h2>", html, re.S)]
    positions = [next(i for i, h in enumerate(h2) if h.startswith(name)) for name in headings]
    assert positions == sorted(positions)
    assert "Cumplimiento total del compromiso (cumplido)" in text
    assert text.count("Cumplimiento total del compromiso (cumplido)") == 7
    assert "Vacante" in text and "Sonia Carolina Toro Morales" in text
    assert "Magdalena" in text_pdf and "Mercado municipal de productores" in text_pdf

    # A real PDF of several pages, as stored and as archived.
    pdf = report.pdf.read()
    assert pdf.startswith(b"%PDF-")
    assert pages == report.pdf_pages and pages >= 5
    assert hashlib.sha256(pdf).hexdigest() == report.pdf_sha256
    assert report.pdf_size == len(pdf)
    download = client.get(year_url("pdf", demo, 2017))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == pdf
    archived = Document.objects.for_object(demo).get(kind=Document.Kind.REPORT)
    assert archived == report.document and archived.file.name == report.pdf.name
    assert archived.sha256 == report.pdf_sha256

    # No personal data anywhere: neither in the page, the HTML file nor the PDF.
    stored_html = client.get(year_url("html", demo, 2017))
    stored = b"".join(stored_html.streaming_content).decode()
    assert stored_html["Content-Disposition"].startswith("attachment")
    for secret in [STAFF_EMAIL, STAFF_PHONE, CITIZEN_EMAIL, CITIZEN_PHONE, "usuaria-7781"]:
        assert secret not in html and secret not in stored and secret not in text_pdf
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", squash(stored) + text_pdf)


def test_a_year_without_data_gives_a_clear_message_and_no_report(demo, staff, client):
    client.force_login(staff)
    response = client.post(reverse("annual_report:request", args=["jalisco"]), {"year": 2015})
    assert response.status_code == 400
    assert (
        "No hay datos de actividades de 2015 en «Gobierno Abierto Jalisco»: no se generó "
        "ningún informe. Años con datos: 2018, 2017." in response.content.decode()
    )
    assert not AnnualReport.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=build_annual_report.module_path).exists()
    bad = client.post(reverse("annual_report:request", args=["jalisco"]), {"year": "dos mil"})
    assert bad.status_code == 400
    assert "El año del informe debe ser un número" in bad.content.decode()
    with pytest.raises(annual_report.NoDataForYear):
        annual_report.gather(demo, 2015)
    assert client.get(year_url("detail", demo, 2015)).status_code == 404


def test_the_console_refuses_a_year_without_data(demo):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No hay datos de actividades de 2016"):
        call_command("build_annual_report", "jalisco", "2016", "--now")
    assert not AnnualReport.objects.exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("anonymous", False),
        ("citizen", False),
        ("implementer", False),
        ("committee_member", False),
        ("staff_without_group", False),
        ("stl_staff", True),
        ("superuser", True),
    ],
)
def test_only_stl_staff_and_administrators_may_request_a_build(request, demo, client, who, allowed):
    users = {
        "citizen": lambda: request.getfixturevalue("citizen"),
        "implementer": lambda: request.getfixturevalue("implementer"),
        # A member of one of the demo's own committees: conftest's `committee_member` makes an
        # exercise of its own, whose state the demo may already hold.
        "committee_member": lambda: (
            CommitteeMemberFactory(
                committee=Committee.objects.get_or_create(
                    commitment=Commitment.objects.filter(plan__exercise=demo).first()
                )[0]
            ).user
        ),
        "staff_without_group": lambda: UserFactory(username="otra", is_staff=True),
        "stl_staff": lambda: request.getfixturevalue("stl_staff"),
        "superuser": lambda: UserFactory(username="admin", is_superuser=True, is_staff=True),
    }
    if who != "anonymous":
        client.force_login(users[who]())
    response = client.post(reverse("annual_report:request", args=["jalisco"]), {"year": 2017})
    assert (response.status_code == 302) is allowed
    assert AnnualReport.objects.exists() is allowed
    if not allowed:
        assert response.status_code == 403
    # The build form and the progress page are for the same people.
    index = client.get(index_url(demo)).content.decode()
    assert ("Generar el informe" in index) is allowed
    status = client.get(year_url("status", demo, 2017))
    assert status.status_code == (200 if allowed else 404)


def test_the_progress_page_refreshes_itself_until_the_build_ends(demo, staff, client):
    client.force_login(staff)
    client.post(reverse("annual_report:request", args=["jalisco"]), {"year": 2018})
    queued = client.get(year_url("status", demo, 2018)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in queued
    assert '<progress max="8" value="0"' in queued
    assert "En cola" in queued
    report = AnnualReport.objects.get()
    # Midway, as the worker leaves it after a section.
    AnnualReport.objects.filter(pk=report.pk).update(
        status=AnnualReport.Status.RUNNING, steps_done=3, step_label="Talleres y Laboratorio"
    )
    running = client.get(year_url("status", demo, 2018)).content.decode()
    assert '<progress max="8" value="3"' in running and "Talleres y Laboratorio" in running
    assert "3 de 8" in running
    AnnualReport.objects.filter(pk=report.pk).update(status=AnnualReport.Status.QUEUED)
    build_annual_report.call(report.pk)
    done = client.get(year_url("status", demo, 2018)).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert '<progress max="8" value="8"' in done and "Terminado" in done
    assert "Ver el informe" in done


def test_a_rebuild_replaces_the_files_and_a_failure_keeps_the_previous_report(
    demo, staff, client, django_capture_on_commit_callbacks
):
    first = build(demo, 2018, by=staff)
    first_pdf, first_html = first.pdf.name, first.html.name
    document_id = first.document_id
    assert "Sesión ordinaria número 6" in squash(
        client.get(year_url("detail", demo, 2018)).content.decode()
    )

    # A rebuild: new files in place, the old ones removed once the swap is committed.
    with django_capture_on_commit_callbacks(execute=True):
        second = build(demo, 2018, by=staff)
    assert second.pdf.name != first_pdf and second.html.name != first_html
    storage = second.pdf.storage
    assert storage.exists(second.pdf.name) and storage.exists(second.html.name)
    assert not storage.exists(first_pdf) and not storage.exists(first_html)
    assert second.document_id == document_id
    assert Document.objects.get(pk=document_id).file.name == second.pdf.name

    # The year loses its only record before the next build runs: the build fails, says why,
    # and the published report keeps serving.
    services.annual_report_request(exercise=demo, year=2018, by=staff)
    Session.objects.filter(secretariat__exercise=demo, held_on__year=2018).delete()
    build_annual_report.call(second.pk)
    failed = AnnualReport.objects.get(pk=second.pk)
    assert failed.status == AnnualReport.Status.FAILED
    assert "No hay datos de actividades de 2018" in failed.error
    assert failed.pdf.name == second.pdf.name and storage.exists(second.pdf.name)
    page = client.get(year_url("detail", demo, 2018))
    assert page.status_code == 200
    assert "Sesión ordinaria número 6" in squash(page.content.decode())
    client.force_login(staff)
    status = client.get(year_url("status", demo, 2018)).content.decode()
    assert "La generación falló" in status and "No hay datos de actividades de 2018" in status
    assert "El informe publicado anteriormente sigue disponible sin cambios." in status


def test_an_interrupted_build_is_queued_again_from_the_first_step(demo):
    report = services.annual_report_request(exercise=demo, year=2017, by=None)
    AnnualReport.objects.filter(pk=report.pk).update(
        status=AnnualReport.Status.RUNNING, steps_done=5, step_label="Generando el PDF"
    )
    RESETTERS[build_annual_report.module_path](report.pk)
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.QUEUED and report.steps_done == 0


def test_the_list_of_reports_shows_published_years_to_everyone(demo, staff, client):
    build(demo, 2018, by=staff)
    anonymous = client.get(index_url(demo)).content.decode()
    assert "Informe 2018" in anonymous and "Informe 2017" not in anonymous
    assert "Generar el informe" not in anonymous
    client.force_login(staff)
    own = client.get(index_url(demo)).content.decode()
    assert "Años con actividades registradas: 2018, 2017." in own
    assert 'data-year="2017"' in own and "Sin publicar" in own


def _more_of_everything(exercise: Exercise, n: int) -> None:
    """n more rows of every kind the report lists, all in 2017."""
    secretariat = Secretariat.objects.get(exercise=exercise)
    plan = ActionPlan.objects.get(exercise=exercise)
    lab = Lab.objects.get(exercise=exercise)
    for i in range(n):
        seat = SeatFactory(secretariat=secretariat, position=50 + i)
        MembershipFactory(seat=seat)
        LiaisonFactory(secretariat=secretariat, organization=OrganizationFactory())
        session = SessionFactory(
            secretariat=secretariat, number=20 + i, held_on=dt.date(2017, 9, 1)
        )
        AgreementFactory(session=session)
        commitment = CommitmentFactory(plan=plan, number=20 + i)
        milestone = MilestoneFactory(commitment=commitment)
        ProgressUpdateFactory(milestone=milestone, percent=40)
        parent = EventFactory(exercise=exercise, kind="fair", held_on=dt.date(2017, 10, 1))
        EventFactory(exercise=exercise, kind="panel", part_of=parent)
        EventFactory(exercise=exercise, kind="workshop", lab=lab)
        site = SiteFactory(lab=lab, position=10 + i)
        WorkshopFactory(site=site)
        ProposalFactory(exercise=exercise, site=site, origin=Proposal.Origin.CITIZEN)
        SolutionFactory(lab=lab, municipality=site.municipality)
        MeetingFactory(exercise=exercise, held_on=dt.date(2018, 3, 1))


def test_gathering_runs_the_same_number_of_queries_whatever_the_number_of_rows(demo):
    with CaptureQueriesContext(connection) as few:
        small = annual_report.gather(demo, 2017)
    _more_of_everything(demo, 3)
    with CaptureQueriesContext(connection) as many:
        large = annual_report.gather(demo, 2017)
    assert len(large.sessions) == len(small.sessions) + 3
    assert len(large.follow_ups[0].commitments) == 10
    assert len(large.labs[0].sites) == 7
    assert [q["sql"][:60] for q in many.captured_queries] == [
        q["sql"][:60] for q in few.captured_queries
    ]


def test_the_published_page_reads_the_stored_report_in_a_few_queries(demo, staff, client):
    build(demo, 2018, by=staff)
    with CaptureQueriesContext(connection) as page:
        response = client.get(year_url("detail", demo, 2018))
    assert response.status_code == 200
    # The exercise, the report: the report's rows are not read again.
    assert len(page.captured_queries) <= 4
