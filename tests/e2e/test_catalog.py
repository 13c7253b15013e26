"""The open data catalog in a real browser: a GeoJSON resource's map, with and without JavaScript.

The map is drawn by Leaflet (served by the site itself, from the xstatic-leaflet package) on a
blank background: the page must load nothing from another server, and without JavaScript the
table of the features' properties carries the same data.
"""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from selenium.webdriver.support.ui import WebDriverWait

from abierto.catalog import services
from abierto.catalog.factories import DatasetFactory, PublisherFactory
from tests.e2e.test_accessibility import assert_accessible

MUNICIPALITIES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"municipio": "Ocotlán", "clave_inegi": "14063"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[-102.8, 20.3], [-102.7, 20.3], [-102.7, 20.4], [-102.8, 20.4], [-102.8, 20.3]]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"municipio": "Talpa de Allende", "clave_inegi": "14084"},
            "geometry": {"type": "Point", "coordinates": [-104.82, 20.38]},
        },
    ],
}


@pytest.fixture
def geojson_resource(transactional_db):
    dataset = DatasetFactory(
        name="sedes-liiga",
        title="Municipios sede del laboratorio",
        publisher=PublisherFactory(name="iieg", title="IIEG"),
    )
    resource = services.resource_save(
        actor=None,
        dataset=dataset,
        title="Municipios (GeoJSON)",
        upload=SimpleUploadedFile(
            "municipios.geojson", json.dumps(MUNICIPALITIES, ensure_ascii=False).encode()
        ),
    )
    return f"/datos/conjuntos/{dataset.name}/recursos/{resource.uuid}/"


def test_a_geojson_resource_is_drawn_on_a_map_from_the_site_itself(browser, geojson_resource):
    browser.visit(geojson_resource, "geojson-map")
    WebDriverWait(browser.driver, 30).until(
        lambda d: d.find_elements("css selector", "#mapa path.leaflet-interactive")
    )
    shapes = browser.driver.find_elements("css selector", "#mapa path.leaflet-interactive")
    assert len(shapes) == 2  # the polygon and the point's circle
    assert browser.driver.find_element("id", "mapa").is_displayed()
    # Every resource the page loaded came from the site (no tiles, no CDN).
    loaded = browser.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(browser.base_url) for url in loaded), loaded
    assert "Talpa de Allende" in browser.text
    assert_accessible(browser)


def test_without_javascript_the_features_are_a_table(chromium_nojs, live_server, geojson_resource):
    chromium_nojs.get(live_server.url + geojson_resource)
    assert not chromium_nojs.find_element("id", "mapa").is_displayed()
    table = chromium_nojs.find_element("css selector", "table").text
    assert "Ocotlán" in table and "14084" in table
