"""A citizen browses the site by its links: home → STL → plans → plan dashboard → a commitment.

Runs with JavaScript enabled and again with JavaScript disabled: every page is server-rendered.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PLAN_TITLE = "Plan de Acción Local Jalisco 2016-2018"


def click_link(browser, text: str, shot: str) -> None:
    """Follow the link whose visible text contains `text` (the first one in the page)."""
    browser.click_and_wait(browser.driver.find_element("partial link text", text))
    browser.check_page()
    browser.screenshot(shot)


def test_citizen_browses_home_stl_plan_and_commitment(any_browser, demo):
    browser = any_browser
    browser.visit("/", "home")
    assert browser.h1() == "Gobierno Abierto Jalisco"
    assert "El ejercicio en cifras" in browser.text
    assert "compromisos en el Plan de Acción Local Jalisco 2016-2018" in browser.text

    nav = browser.driver.find_element("css selector", "nav[aria-label='Navegación principal']")
    browser.click_and_wait(nav.find_element("link text", "STL"))
    browser.check_page()
    browser.screenshot("stl")
    assert browser.path() == "/jalisco/stl/"
    assert "Secretariado Técnico Local" in browser.h1()

    nav = browser.driver.find_element("css selector", "nav[aria-label='Navegación principal']")
    browser.click_and_wait(nav.find_element("link text", "Planes de acción"))
    browser.check_page()
    browser.screenshot("plans")
    assert browser.h1() == "Planes de Acción Local"

    click_link(browser, PLAN_TITLE, "dashboard")
    assert browser.path() == "/jalisco/planes/2016-2018/"
    assert browser.h1() == PLAN_TITLE
    assert "Resumen del plan" in browser.text
    table = browser.driver.find_element("css selector", "table.commitments")
    assert "Lomas de Polanco" in table.text

    browser.click_and_wait(table.find_element("partial link text", "Lomas de Polanco"))
    browser.check_page()
    browser.screenshot("commitment")
    assert browser.path() == "/jalisco/planes/2016-2018/compromisos/lomas-de-polanco/"
    assert "Compromiso 1." in browser.h1()
    assert "Lomas de Polanco" in browser.h1()
    assert "Ayuntamiento de Guadalajara" in browser.text
    assert "Línea de tiempo de avances" in browser.text


def test_citizen_filters_the_dashboard(any_browser, demo):
    browser = any_browser
    browser.visit("/jalisco/planes/2016-2018/", "dashboard")
    total = len(browser.driver.find_elements("css selector", "table.commitments tbody tr"))
    assert total >= 5
    from selenium.webdriver.support.ui import Select

    theme = Select(browser.driver.find_element("name", "theme"))
    theme.select_by_visible_text("Seguridad pública")
    browser.submit("Filtrar")
    browser.check_page()
    browser.screenshot("dashboard-filtered")
    assert "theme=" in browser.driver.current_url
    rows = browser.driver.find_elements("css selector", "table.commitments tbody tr")
    assert 1 <= len(rows) < total
    assert "Lomas de Polanco" in rows[0].text
    assert f"Se muestran {len(rows)} de {total} compromisos" in browser.text


def test_javascript_is_really_off_in_the_nojs_browser(chromium_nojs, live_server, request):
    """The «nojs» runs above mean something: Swagger UI cannot draw, its <noscript> shows."""
    from .conftest import _browser

    browser = _browser(chromium_nojs, live_server, request)
    browser.visit("/api/docs/", "api-docs-without-javascript")
    assert "Esta página necesita JavaScript" in browser.text
    assert not browser.driver.find_elements("css selector", "#swagger-ui .opblock")
