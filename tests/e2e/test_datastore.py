"""A datastore table on its resource page, in a real browser, with and without JavaScript.

A publisher's cp1252 CSV (Spanish decimals and dates) is loaded by the real loader on upload;
a citizen searches it without accents, sorts it from a column header and reads the API call
that gives the same rows; axe finds no serious or critical violation.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from abierto.catalog import services
from abierto.catalog.factories import DatasetFactory, PublisherFactory
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "datastore"])

CSV = (
    "clave;municipio;descripción;monto;fecha\n"
    "1;Zapopan;Construcción de la biblioteca pública;1.234,56;31/12/2017\n"
    "2;Guadalajara;Pavimentación con concreto;20.000,00;15/01/2018\n"
    "3;Tonalá;Construcción de un puente peatonal;500,5;01/02/2018\n"
).encode("cp1252")


@pytest.fixture
def contratos(settings) -> str:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    dataset = DatasetFactory(
        name="contratos-obra",
        title="Contratos de obra",
        publisher=PublisherFactory(name="obras", title="Secretaría de Obras"),
    )
    resource = services.resource_save(
        actor=None,
        dataset=dataset,
        title="Contratos",
        upload=SimpleUploadedFile("contratos.csv", CSV),
    )
    resource.refresh_from_db()
    assert resource.datastore_active  # loaded as the upload committed
    return f"/datos/conjuntos/{dataset.name}/recursos/{resource.uuid}/"


def _rows(browser) -> list[str]:
    cells = browser.driver.find_elements(
        "css selector", ".datastore-table tbody tr td:nth-of-type(3)"
    )
    return [cell.text for cell in cells]


def test_a_citizen_searches_sorts_and_finds_the_api_call(any_browser, contratos):
    browser = any_browser
    browser.visit(contratos, "datastore-table")
    assert "Filas 1–3 de 3" in browser.text
    if browser.javascript:  # axe runs as a script: audited in the JavaScript browser
        assert_accessible(browser)

    browser.fill("q", "construccion")  # no accent: still found
    browser.submit("Consultar")
    assert sorted(_rows(browser)) == ["Tonalá", "Zapopan"]

    header = browser.driver.find_element(
        "xpath", "//div[contains(@class,'datastore-table')]//th[.//code[text()='monto']]//a[1]"
    )
    browser.click_and_wait(header)
    assert _rows(browser) == ["Tonalá", "Zapopan"]  # 500,5 before 1.234,56
    api = browser.driver.find_element("xpath", "//a[contains(@href, 'datastore_search')]")
    assert "q=construccion" in api.get_attribute("href")
    if browser.javascript:
        assert_accessible(browser)
