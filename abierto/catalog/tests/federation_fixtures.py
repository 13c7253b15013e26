"""A health dataset with everything the federation outputs map, and datasets no one may see.

Imported by the DCAT, data.json, datapackage and schema.org tests (the functions are named
`*_fixture` so that importing them does not shadow the fixture names tests ask for).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from abierto.catalog import services
from abierto.catalog.factories import (
    DatasetFactory,
    LicenceFactory,
    PublisherFactory,
    ThemeFactory,
)
from abierto.catalog.models import Dataset
from abierto.core.factories import JurisdictionFactory
from abierto.core.models import Jurisdiction

CAMAS_CSV = (
    b"hospital,municipio,camas,fecha_corte\n"
    b"Hospital General de Occidente,Zapopan,350,2020-12-31\n"
    b"Hospital Civil Nuevo,Guadalajara,1200,2020-12-31\n"
)
CAMAS_DICTIONARY = [
    {"id": "hospital", "type": "text", "info": {"label": "Hospital", "notes": "Nombre oficial"}},
    {"id": "municipio", "type": "text", "info": {"label": "Municipio"}},
    {"id": "camas", "type": "int", "info": {"notes": "Camas censables"}},
    {"id": "fecha_corte", "type": "date"},
]
HIDDEN_TITLES = ("Conjunto privado", "Conjunto en borrador", "Conjunto eliminado")


@pytest.fixture(name="jalisco")
def jalisco_fixture(db) -> Jurisdiction:
    return JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco")


@pytest.fixture(name="zapopan")
def zapopan_fixture(jalisco) -> Jurisdiction:
    return JurisdictionFactory(
        inegi_code="14120",
        name="Zapopan",
        slug="zapopan",
        kind=Jurisdiction.Kind.MUNICIPALITY,
        parent=jalisco,
    )


@pytest.fixture(name="salud_dataset")
def salud_dataset_fixture(jalisco, zapopan) -> Dataset:
    """«Camas hospitalarias»: an uploaded CSV with its dictionary and a link to a dashboard."""
    # Migration 0002 adds it; a live-server test before this one may have flushed it.
    LicenceFactory(
        key="libre-uso-mx",
        title="Términos de Libre Uso MX",
        url="https://datos.gob.mx/libreusomx",
    )
    publisher = PublisherFactory(
        name="salud",
        title="Secretaría de Salud Jalisco",
        email="datos@salud.jalisco.example",
        jurisdiction=jalisco,
    )
    dataset = services.dataset_save(
        actor=None,
        name="camas-hospitalarias",
        identifier="ssj-camas-hospitalarias",
        title="Camas hospitalarias",
        description="Camas censables por hospital público de Jalisco.",
        publisher=publisher,
        accrual_periodicity=Dataset.Periodicity.MONTHLY,
        contact_name="Unidad de Transparencia de Salud",
        contact_email="transparencia@salud.jalisco.example",
        temporal_start=dt.date(2018, 1, 1),
        temporal_end=dt.date(2020, 12, 31),
        spatial=zapopan,
        data_dictionary_url="https://salud.jalisco.example/diccionarios/camas.csv",
        quality_notes="Cifras preliminares del último mes.",
        version="2.1",
        tags=["salud", "hospitales"],
        themes=[ThemeFactory(name="salud", title="Salud")],
    )
    services.resource_save(
        actor=None,
        dataset=dataset,
        title="Camas por hospital 2020",
        description="Corte al 31 de diciembre.",
        upload=SimpleUploadedFile("camas_2020.csv", CAMAS_CSV),
        data_dictionary=CAMAS_DICTIONARY,
        conforms_to="https://salud.jalisco.example/normas/camas",
    )
    services.resource_save(
        actor=None,
        dataset=dataset,
        title="Tablero de ocupación",
        url="https://tablero.salud.jalisco.example/camas",
    )
    return Dataset.objects.with_listing().get(pk=dataset.pk)


@pytest.fixture(name="hidden_datasets")
def hidden_datasets_fixture(db) -> list[Dataset]:
    """A private, a draft and a deleted dataset: none may appear in any output."""
    private = DatasetFactory(name="privado", title=HIDDEN_TITLES[0], private=True)
    draft = DatasetFactory(name="borrador", title=HIDDEN_TITLES[1], state=Dataset.State.DRAFT)
    deleted = DatasetFactory(name="eliminado", title=HIDDEN_TITLES[2])
    services.dataset_delete(actor=None, dataset=deleted)
    return [private, draft, deleted]


# ---------------------------------------------------------------------------- network watch

_watching: list[list[str]] = []


def _audit(event: str, args: tuple) -> None:
    # Python's audit hooks observe every socket connection and name lookup in the process.
    if _watching and event in ("socket.connect", "socket.getaddrinfo"):
        _watching[-1].append(f"{event} {args[1] if event == 'socket.connect' else args[0]}")


sys.addaudithook(_audit)


@contextlib.contextmanager
def connections_opened() -> Iterator[list[str]]:
    """The network connections and look-ups made inside the block (none is prevented)."""
    seen: list[str] = []
    _watching.append(seen)
    try:
        yield seen
    finally:
        _watching.pop()


def fetch_json(url: str) -> dict:
    """GET a JSON document over real HTTP, as a harvester would."""
    assert url.startswith("http://127.0.0.1") or url.startswith("http://localhost")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (checked above)
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        return json.load(response)


@contextlib.contextmanager
def frictionless_http() -> Iterator[None]:
    """Frictionless reads remote files through a session closed afterwards, so no kept-alive
    connection outlives the live server."""
    import frictionless
    import requests

    with requests.Session() as session, frictionless.system.use_context(http_session=session):
        yield
