"""The English catalog: pages switch language with the cookie, and the catalog is complete.

The msgids are Spanish; English lives in abierto/locale/en/LC_MESSAGES/django.po and its
compiled django.mo, which is committed so that a machine without gettext still has it.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

from abierto.core.factories import ExerciseFactory, JurisdictionFactory
from abierto.plans.factories import ActionPlanFactory, CommitmentFactory
from abierto.secretariat.factories import MembershipFactory, SecretariatFactory, SessionFactory

CATALOG_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = CATALOG_DIR / "django.po"
MO_FILE = CATALOG_DIR / "django.mo"

STL = "/jalisco/stl/"
SESSIONS = "/jalisco/stl/sesiones/"
DASHBOARD = "/jalisco/planes/pal-2016-2018/"


@pytest.fixture
def exercise(db):
    jalisco = JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco")
    return ExerciseFactory(jurisdiction=jalisco, name="Gobierno Abierto Jalisco")


@pytest.fixture
def stl(exercise):
    secretariat = SecretariatFactory(exercise=exercise, name="STL Jalisco")
    MembershipFactory(seat__secretariat=secretariat, person_name="Ana Pérez")
    SessionFactory(secretariat=secretariat, number=3)
    return secretariat


@pytest.fixture
def plan(exercise):
    plan = ActionPlanFactory(exercise=exercise, slug="pal-2016-2018", title="PAL 2016-2018")
    CommitmentFactory(plan=plan, number=1, title="Datos de obra pública")
    return plan


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- Pages -----------------------------------------------------------------------------


def test_stl_page_in_english_with_the_cookie(english, stl):
    page = _get(english, STL)

    assert '<html lang="en">' in page
    assert "Members of the Local Technical Secretariat" in page
    assert "Membership history" in page
    assert "Titular members" in page
    assert "Integración del Secretariado Técnico Local" not in page


def test_stl_page_in_spanish_without_the_cookie(client, stl):
    page = _get(client, STL)

    assert '<html lang="es">' in page
    assert "Integración del Secretariado Técnico Local" in page
    assert "Historial de integrantes" in page
    assert "Members of the Local Technical Secretariat" not in page


def test_session_title_in_english_keeps_kind_and_number(english, stl):
    page = _get(english, SESSIONS)

    assert "Sessions of the Local Technical Secretariat" in page
    assert "Session 3 (ordinary)" in page


def test_dashboard_in_english_with_the_cookie(english, plan):
    page = _get(english, DASHBOARD)

    assert '<html lang="en">' in page
    assert "Plan summary" in page
    assert "Filter commitments" in page
    assert "Completion level" in page
    assert "Showing 1 commitment." in page  # the singular of a plural entry
    assert "Resumen del plan" not in page


def test_dashboard_in_spanish_without_the_cookie(client, plan):
    page = _get(client, DASHBOARD)

    assert '<html lang="es">' in page
    assert "Resumen del plan" in page
    assert "Filtrar compromisos" in page
    assert "Plan summary" not in page


# --- The catalog -----------------------------------------------------------------------


def _parse_po(path: Path) -> list[dict]:
    """A tiny .po reader: each entry's flags, msgctxt, msgid, msgid_plural and msgstr(s)."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry: dict = {"flags": set(), "msgstr": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            elif line.startswith("#~"):
                entry["obsolete"] = True
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                value = ast.literal_eval(line)
                if isinstance(key, int):
                    entry["msgstr"][key] += value
                else:
                    entry[key] += value
            else:
                keyword, _, rest = line.partition(" ")
                value = ast.literal_eval(rest)
                plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
                if plural:
                    key = int(plural.group(1))
                    entry["msgstr"][key] = value
                elif keyword == "msgstr":
                    key = 0
                    entry["msgstr"][0] = value
                else:
                    key = keyword
                    entry[key] = value
        if "msgid" in entry and not entry.get("obsolete"):
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def po_entries():
    return _parse_po(PO_FILE)


@pytest.fixture(scope="module")
def mo_catalog():
    with MO_FILE.open("rb") as fh:
        return gettext.GNUTranslations(fh)


def test_po_header_is_english_with_two_plural_forms(po_entries):
    header = next(e for e in po_entries if e["msgid"] == "")
    assert "Language: en\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header["msgstr"][0]
    assert "fuzzy" not in header["flags"]


def test_every_po_entry_is_translated_and_not_fuzzy(po_entries):
    messages = [e for e in po_entries if e["msgid"]]
    assert len(messages) > 400

    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert fuzzy == []
    untranslated = [
        e["msgid"]
        for e in messages
        if not all(e["msgstr"].values()) or len(e["msgstr"]) != (2 if "msgid_plural" in e else 1)
    ]
    assert untranslated == []


def test_placeholders_survive_translation(po_entries):
    placeholder = re.compile(r"%\(\w+\)s|%s|%%|\{\w*\}")
    for e in po_entries:
        if not e["msgid"]:
            continue
        sources = [e["msgid"], e.get("msgid_plural", e["msgid"])]
        for index, translation in e["msgstr"].items():
            expected = sorted(placeholder.findall(sources[min(index, 1)]))
            assert sorted(placeholder.findall(translation)) == expected, e["msgid"]


def test_compiled_mo_matches_the_po(po_entries, mo_catalog):
    """The committed .mo was compiled from the current .po (nothing stale, nothing missing)."""
    for e in po_entries:
        if not e["msgid"]:
            continue
        # A msgid with a context (pgettext) is looked up with its context.
        context = e.get("msgctxt")
        if "msgid_plural" in e:
            for n, index in ((1, 0), (5, 1)):
                found = (
                    mo_catalog.npgettext(context, e["msgid"], e["msgid_plural"], n)
                    if context
                    else mo_catalog.ngettext(e["msgid"], e["msgid_plural"], n)
                )
                assert found == e["msgstr"][index], e["msgid"]
        elif context:
            assert mo_catalog.pgettext(context, e["msgid"]) == e["msgstr"][0], e["msgid"]
        else:
            assert mo_catalog.gettext(e["msgid"]) == e["msgstr"][0], e["msgid"]


@pytest.mark.parametrize(
    ("spanish", "english"),
    [
        ("Secretariado Técnico Local", "Local Technical Secretariat"),
        ("Plan de Acción Local", "Local Action Plan"),
        ("reporte de avance", "progress update"),
        ("comité de acompañamiento", "accompaniment committee"),
        ("suplente", "alternate"),
        ("sin iniciar", "not started"),
        ("sustancial", "substantial"),
        ("retirado", "withdrawn"),
        ("Datos abiertos", "Open data"),
        ("conjunto de datos", "dataset"),
    ],
)
def test_known_terms_follow_the_glossary(mo_catalog, spanish, english):
    assert mo_catalog.gettext(spanish) == english
