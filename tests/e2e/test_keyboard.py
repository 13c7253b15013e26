"""Keyboard only: Tab, Shift+Tab, Enter (and typing into the focused field).

The skip link comes first and works; the nav leads to the plan dashboard; a filter is chosen
and applied; an implementer fills and submits the report form. Focus is always visible.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from abierto.core.factories import UserFactory
from abierto.plans.factories import MilestoneFactory
from abierto.plans.models import ProgressUpdate

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DESCRIBE = """(el => el && {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || '',
  cls: el.className || '', text: (el.innerText || el.value || '').trim().slice(0, 120),
  href: el.getAttribute('href') || '', type: el.type || ''})(document.activeElement)"""


class Keyboard:
    def __init__(self, browser):
        self.browser = browser
        self.driver = browser.driver

    def press(self, *keys: str) -> None:
        ActionChains(self.driver).send_keys(*keys).perform()

    def focused(self) -> dict:
        return self.driver.execute_script("return " + DESCRIBE)

    def tab_until(self, wanted, *, back: bool = False, limit: int = 80) -> dict:
        """Press Tab (or Shift+Tab) until the focused element matches `wanted(described)`."""
        seen = []
        for _ in range(limit):
            if back:
                ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(
                    Keys.SHIFT
                ).perform()
            else:
                self.press(Keys.TAB)
            element = self.focused()
            seen.append(element)
            if element and wanted(element):
                return element
        raise AssertionError(f"never focused the wanted element; focus went through {seen}")

    def enter_and_wait(self) -> None:
        """Enter on the focused link or button, then wait for the next page."""
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.driver.find_element("tag name", "html")

        def replaced(_driver) -> bool:
            try:
                old.is_enabled()
            except Exception:  # noqa: BLE001 (stale or detached: the page was replaced)
                return True
            return False

        self.press(Keys.ENTER)
        WebDriverWait(self.driver, 30).until(replaced)
        self.browser.check_page()

    def assert_focus_visible(self) -> None:
        style = self.driver.execute_script(
            "const el = document.activeElement, s = getComputedStyle(el),"
            " r = el.getBoundingClientRect();"
            "return {outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow,"
            " w: r.width, h: r.height, left: r.left, top: r.top, right: r.right,"
            " vw: window.innerWidth};"
        )
        described = self.focused()
        assert style["outline"] != "none" and style["width"] not in {"0px", ""}, (
            f"no visible focus style on {described}: {style}"
        )
        assert style["w"] > 0 and style["h"] > 0, f"focused element has no size: {described}"
        assert style["right"] > 0 and style["left"] < style["vw"], f"off-screen: {described}"


def test_skip_link_nav_and_dashboard_filter_by_keyboard(browser, demo):
    keys = Keyboard(browser)
    browser.visit("/", "home")

    first = keys.tab_until(lambda el: True, limit=1)
    assert "skip-link" in first["cls"] and first["href"] == "#contenido", first
    keys.assert_focus_visible()
    browser.screenshot("skip-link-focused")
    keys.press(Keys.ENTER)
    assert browser.driver.current_url.endswith("#contenido")
    assert keys.focused()["id"] == "contenido"

    # Back up from the content into the header's navigation, to «Planes de acción».
    link = keys.tab_until(lambda el: el["text"] == "Planes de acción", back=True)
    assert link["href"] == "/jalisco/planes/"
    keys.assert_focus_visible()
    keys.enter_and_wait()
    assert browser.h1() == "Planes de Acción Local"

    keys.tab_until(lambda el: el["text"] == "Plan de Acción Local Jalisco 2016-2018")
    keys.assert_focus_visible()
    keys.enter_and_wait()
    assert browser.path() == "/jalisco/planes/2016-2018/"
    browser.screenshot("dashboard-by-keyboard")

    keys.tab_until(lambda el: el["name"] == "theme")
    keys.assert_focus_visible()
    keys.press("Seguridad")  # type-ahead on the focused select
    assert browser.driver.find_element("name", "theme").get_attribute("value") == (
        "seguridad-publica"
    )
    keys.tab_until(lambda el: el["tag"] == "button" and el["text"] == "Filtrar")
    keys.assert_focus_visible()
    keys.enter_and_wait()
    assert "theme=seguridad-publica" in browser.driver.current_url
    browser.screenshot("dashboard-filtered-by-keyboard")
    rows = browser.driver.find_elements("css selector", "table.commitments tbody tr")
    assert rows and "Lomas de Polanco" in rows[0].text


def test_sign_in_and_report_progress_by_keyboard(browser, demo):
    keys = Keyboard(browser)
    milestone = MilestoneFactory(commitment=demo, position=1, description="Mesas vecinales")
    implementer = UserFactory(organization=demo.lead_implementers.get())

    browser.visit("/cuentas/login/?next=/jalisco/planes/2016-2018/", "login")
    keys.tab_until(lambda el: el["name"] == "username")
    keys.assert_focus_visible()
    keys.press(implementer.username)
    keys.press(Keys.TAB)
    assert keys.focused()["name"] == "password"
    keys.press(PASSWORD)
    keys.enter_and_wait()
    assert implementer.public_name in browser.text

    browser.visit("/jalisco/planes/2016-2018/compromisos/lomas-de-polanco/", "commitment")
    keys.tab_until(lambda el: el["text"] == "Reportar avance")
    keys.assert_focus_visible()
    keys.enter_and_wait()
    assert browser.h1() == "Reportar avance"

    keys.tab_until(lambda el: el["name"] == "milestone")
    keys.assert_focus_visible()
    keys.press(Keys.ARROW_DOWN)
    assert browser.driver.find_element("name", "milestone").get_attribute("value") == str(
        milestone.pk
    )
    keys.tab_until(lambda el: el["name"] == "percent", limit=3)
    keys.press("55")
    keys.tab_until(lambda el: el["name"] == "narrative", limit=3)
    keys.assert_focus_visible()
    keys.press("Reporte enviado solo con el teclado.")
    keys.tab_until(lambda el: el["tag"] == "button" and el["text"] == "Enviar reporte")
    keys.assert_focus_visible()
    browser.screenshot("report-form-by-keyboard")
    keys.enter_and_wait()
    assert "Se registró el reporte de avance. Gracias." in browser.text
    assert "Meta 1: 55 % de avance" in browser.text
    update = ProgressUpdate.objects.get(milestone=milestone)
    assert update.percent == 55 and update.reported_by == implementer
