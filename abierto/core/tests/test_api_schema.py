"""The OpenAPI 3 document describes every endpoint and what the lists really answer; the docs
page works on a closed network and under the CSP (same-origin files only, no inline script)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from abierto.core.tests.test_api_lists import LISTS, build_world

DETAIL_KEYS = {
    "jurisdictions": "slug",
    "organizations": "slug",
    "exercises": "slug",
    "themes": "slug",
    "pillars": "code",
}
WRITABLE = {"progress-updates", "verifications"}


@pytest.fixture
def schema(db) -> dict:
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_a_valid_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document


@pytest.mark.parametrize("name", LISTS)
def test_the_schema_has_the_list_and_detail_of_every_endpoint(schema, name):
    key = DETAIL_KEYS.get(name, "id")
    listing = schema["paths"][f"/api/v1/{name}/"]
    detail = schema["paths"][f"/api/v1/{name}/{{{key}}}/"]

    assert "get" in listing
    assert set(detail) - {"parameters"} == {"get"}
    assert ("post" in listing) == (name in WRITABLE)


def test_the_schema_documents_token_authentication(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["tokenAuth"]["name"] == "Authorization"
    assert schema["paths"]["/api/v1/progress-updates/"]["post"]["requestBody"][
        "content"
    ].keys() >= {
        "application/json",
        "multipart/form-data",
    }


def _item_properties(schema: dict, name: str) -> set[str]:
    components = schema["components"]["schemas"]
    ok = schema["paths"][f"/api/v1/{name}/"]["get"]["responses"]["200"]
    page = components[ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]]
    item = page["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[1]
    return set(components[item]["properties"])


def test_list_responses_have_exactly_the_documented_fields(schema):
    from abierto.core.factories import ExerciseFactory, JurisdictionFactory

    build_world(ExerciseFactory(jurisdiction=JurisdictionFactory(inegi_code="14")), 1)

    for name in LISTS:
        results = APIClient().get(f"/api/v1/{name}/").json()["results"]

        assert results, name
        assert set(results[0]) == _item_properties(schema, name), name


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self.styles = 0
        self.style_attributes = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [attrs[a] for a in ("src", "href", "data-schema-url") if attrs.get(a)]
        if "style" in attrs:
            self.style_attributes += 1
        if tag == "style":
            self.styles += 1
        if tag == "script":
            self._in_script = True
            if not attrs.get("src"):
                self.inline_scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def test_the_docs_page_uses_only_our_own_files_and_no_inline_code(db):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = _Assets()
    assets.feed(html)
    assert assets.urls
    for url in assets.urls:
        assert url.startswith("/") and not url.startswith("//"), url
    assert "http://" not in html and "https://" not in html
    assert assets.inline_scripts == []
    assert assets.styles == 0 and assets.style_attributes == 0
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy


def test_the_docs_page_files_are_served_by_us(db):
    assets = _Assets()
    assets.feed(APIClient().get("/api/docs/").content.decode())

    static = [url.removeprefix("/static/") for url in assets.urls if url.startswith("/static/")]

    assert any(path.endswith("swagger-ui-bundle.js") for path in static)
    assert "abierto/js/api-docs.js" in static
    for path in static:
        assert finders.find(path), path
    assert "/api/schema/" in assets.urls


def test_the_docs_page_sets_the_csrf_cookie_for_session_writes(db):
    response = APIClient().get("/api/docs/")

    assert "csrftoken" in response.cookies
