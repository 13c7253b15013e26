"""axe-core on every public page, in Chromium: no serious or critical violation.

axe-core comes from npm (package.json, node_modules/axe-core/axe.min.js) and is injected through
WebDriver, which the pages' Content Security Policy does not block. A failure prints each
violation's rule id, help text and the CSS targets of the offending nodes (docs/testing.md).
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from abierto.core.factories import UserFactory
from abierto.plans.factories import CommitteeMemberFactory, MilestoneFactory, ProgressUpdateFactory
from abierto.plans.models import Committee
from abierto.secretariat.models import Session

from .conftest import format_violations

pytestmark = pytest.mark.django_db(transaction=True)

PLAN = "/jalisco/planes/2016-2018/"
COMMITMENT = PLAN + "compromisos/lomas-de-polanco/"


def _session_url() -> str:
    session = Session.objects.filter(secretariat__exercise__slug="jalisco").order_by("pk").first()
    return f"/jalisco/stl/sesiones/{session.pk}/"


PUBLIC_PAGES = {
    "home": "/",
    "exercise-home": "/jalisco/",
    "stl": "/jalisco/stl/",
    "sessions": "/jalisco/stl/sesiones/",
    "session": _session_url,
    "agreements": "/jalisco/stl/acuerdos/",
    "plan-list": "/jalisco/planes/",
    "dashboard": PLAN,
    "dashboard-filtered": PLAN + "?theme=seguridad-publica&completion=&pillar=",
    "commitment": COMMITMENT,
    "login": "/cuentas/login/",
    "api-docs": "/api/docs/",
    "labs": "/jalisco/participacion/",
    "proposals": "/jalisco/participacion/propuestas/",
    "events": "/jalisco/participacion/eventos/",
    "national": "/nacional/",
    "catalog-search": "/datos/?q=compromisos",
    "catalog-publishers": "/datos/dependencias/",
    "catalog-publisher": "/datos/dependencias/stl-jalisco/",
    "catalog-themes": "/datos/temas/",
    "catalog-dataset": "/datos/conjuntos/compromisos-jalisco-2016-2018/",
    "contracting-search": "/contrataciones/?q=formas",
    "contracting-process": "/contrataciones/procesos/ocds-xs1qbl-SFIN-03-0016-00-2017/",
    "contracting-suppliers": "/contrataciones/proveedores/",
    "contracting-supplier": "/contrataciones/proveedores/PROV-GOB-JAL-P00315/",
    "contracting-buyer": "/contrataciones/compradores/DEP-GOB-JAL-03-1685/",
    "red-flags": "/contrataciones/alertas/",
    "red-flag": "/contrataciones/alertas/R060/",
    "contracting-downloads": "/contrataciones/descargas/",
    "contracting-policy": "/contrataciones/politica-de-publicacion/",
    "annual-reports": "/jalisco/informe-anual/",
}


def assert_accessible(browser) -> None:
    violations = browser.axe_violations()
    assert not violations, format_violations(browser.driver.current_url, violations)


def test_every_public_page_has_no_serious_violations(browser, demo):
    """All public pages on one demo: the live server's database is emptied after each test,
    and loading the demo again for every page cost 2-3 s a page. Every page is audited even
    after one fails, and the failure names each page with its violations."""
    from selenium.webdriver.support.ui import WebDriverWait

    failures = []
    for page, path in PUBLIC_PAGES.items():
        try:
            browser.visit(path() if callable(path) else path, page)
            if page == "api-docs":
                # Swagger UI renders with JavaScript: audit it once it has drawn the operations.
                WebDriverWait(browser.driver, 30).until(
                    lambda d: d.find_elements("css selector", ".opblock")
                )
            violations = browser.axe_violations()
        except AssertionError as exc:
            failures.append(f"{page}: {exc}")
            continue
        if violations:
            failures.append(f"{page}: {format_violations(browser.driver.current_url, violations)}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture
def workflow(demo):
    milestone = MilestoneFactory(commitment=demo, position=1, description="Mesas vecinales")
    implementer = UserFactory(organization=demo.lead_implementers.get())
    committee, _ = Committee.objects.get_or_create(commitment=demo)
    member = CommitteeMemberFactory(committee=committee).user
    update = ProgressUpdateFactory(milestone=milestone, reported_by=implementer, percent=30)
    return implementer, member, update


def test_report_form_has_no_serious_violations(browser, workflow):
    implementer, _, _ = workflow
    browser.sign_in(implementer)
    browser.visit(COMMITMENT + "reportar/", "report-form")
    assert_accessible(browser)
    # The form with its error summary, as after a submission missing required fields.
    browser.submit("Enviar reporte")
    browser.screenshot("report-form-errors")
    assert browser.driver.find_elements("css selector", ".error-summary, .errorlist")
    assert_accessible(browser)
    browser.visit("/mi-trabajo/", "my-work-implementer")
    assert_accessible(browser)


def test_verify_form_and_my_work_have_no_serious_violations(browser, workflow):
    _, member, update = workflow
    browser.sign_in(member)
    browser.visit("/mi-trabajo/", "my-work-committee")
    assert_accessible(browser)
    browser.visit(f"/avances/{update.pk}/validar/", "verify-form")
    assert_accessible(browser)


def test_annual_report_page_has_no_serious_violations(browser, demo):
    call_command("build_annual_report", "jalisco", "2017", "--now", verbosity=0)
    browser.visit("/jalisco/informe-anual/2017/", "annual-report-2017")
    assert_accessible(browser)
