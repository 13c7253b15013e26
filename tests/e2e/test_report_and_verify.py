"""An implementer reports progress with evidence; a committee member verifies it; the timeline
shows both. Real login form, real upload, with JavaScript enabled and disabled."""

from __future__ import annotations

import pytest
from selenium.webdriver.support.ui import Select

from abierto.core.factories import UserFactory
from abierto.plans.factories import CommitteeMemberFactory, MilestoneFactory
from abierto.plans.models import Committee, ProgressUpdate, Verification

pytestmark = pytest.mark.django_db(transaction=True)

COMMITMENT = "/jalisco/planes/2016-2018/compromisos/lomas-de-polanco/"
NARRATIVE = "Se instalaron **tres** mesas vecinales con la policía de proximidad."


@pytest.fixture
def people(demo):
    """Demo commitment 1 with a milestone, an implementer and a civil-society committee member."""
    milestone = MilestoneFactory(
        commitment=demo, position=1, description="Instalar mesas vecinales de seguridad"
    )
    implementer = UserFactory(
        username="lucia.implementa",
        first_name="Lucía",
        last_name="Ramírez",
        organization=demo.lead_implementers.get(),
    )
    committee, _ = Committee.objects.get_or_create(commitment=demo)
    member = CommitteeMemberFactory(
        committee=committee,
        user=UserFactory(username="tomas.sociedad", first_name="Tomás", last_name="Vega"),
    ).user
    return milestone, implementer, member


def test_report_progress_then_verify_it(any_browser, people, evidence_png):
    browser = any_browser
    milestone, implementer, member = people

    # The implementer signs in and finds the report button on the commitment's page.
    browser.sign_in(implementer)
    browser.visit(COMMITMENT, "commitment-signed-in")
    browser.click_and_wait(browser.driver.find_element("link text", "Reportar avance"))
    browser.check_page()
    browser.screenshot("report-form")
    assert browser.h1() == "Reportar avance"

    Select(browser.driver.find_element("name", "milestone")).select_by_value(str(milestone.pk))
    browser.fill("percent", "40")
    browser.fill("narrative", NARRATIVE)
    browser.driver.find_element("name", "evidence").send_keys(str(evidence_png))
    browser.submit("Enviar reporte")
    browser.check_page()
    browser.screenshot("commitment-after-report")
    assert browser.path() == COMMITMENT
    assert "Se registró el reporte de avance. Gracias." in browser.text
    timeline = browser.driver.find_element("css selector", "ol.timeline")
    assert "Meta 1: 40 % de avance" in timeline.text
    assert "Reportado por Lucía Ramírez" in timeline.text
    assert "Se instalaron tres mesas vecinales" in timeline.text
    assert "fotografia-taller" in timeline.text
    assert "Sin validar todavía." in timeline.text

    update = ProgressUpdate.objects.get(milestone=milestone)
    assert update.percent == 40 and update.documents.count() == 1
    evidence = timeline.find_element("partial link text", "fotografia-taller")
    assert evidence.get_attribute("href")
    browser.sign_out()

    # The committee member signs in, finds it waiting in «Mi trabajo» and confirms it.
    browser.sign_in(member)
    browser.visit("/mi-trabajo/", "my-work")
    browser.click_and_wait(
        browser.driver.find_element("css selector", f"a[href='/avances/{update.pk}/validar/']")
    )
    browser.check_page()
    browser.screenshot("verify-form")
    assert browser.h1() == "Validar un reporte de avance"
    assert "fotografia-taller" in browser.text
    browser.driver.find_element("css selector", "input[name='verdict'][value='confirmed']").click()
    browser.fill("comment", "Asistimos a las tres mesas; constan en la minuta.")
    browser.submit("Registrar validación")
    browser.check_page()
    browser.screenshot("my-work-after-verify")
    assert "Se registró su validación. Gracias." in browser.text
    assert Verification.objects.filter(update=update, verifier=member).exists()

    # Anyone sees the update and its verification on the commitment's timeline.
    browser.sign_out()
    browser.visit(COMMITMENT, "timeline")
    timeline = browser.driver.find_element("css selector", f"#avance-{update.pk}")
    assert "Meta 1: 40 % de avance" in timeline.text
    assert "fotografia-taller" in timeline.text
    verdicts = timeline.find_element("css selector", "ul.verifications").text
    assert "por Tomás Vega" in verdicts
    assert "Asistimos a las tres mesas" in verdicts
    assert "Sin validar todavía." not in timeline.text
