from __future__ import annotations

import json
from pathlib import Path

import pytest

from abierto.contracting import services
from abierto.contracting.models import Import, Publisher

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "data" / "ocds" / "samples"
JALISCO = Path(__file__).resolve().parents[2] / "demo" / "contracting"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def run(publisher: Publisher, path: Path | str) -> Import:
    return services.import_file(actor=None, publisher=publisher, path=str(path))


@pytest.fixture
def jalisco(db):
    return services.publisher_save(
        actor=None, name="Gobierno del Estado de Jalisco", ocid_prefix="ocds-xs1qbl"
    )


@pytest.fixture
def cdmx(db):
    return services.publisher_save(
        actor=None, name="Ciudad de México, Secretaría de Finanzas", ocid_prefix="ocds-87sd3t"
    )


@pytest.fixture
def gacm(db):
    return services.publisher_save(
        actor=None, name="Grupo Aeroportuario de la Ciudad de México", ocid_prefix="ocds-gacm01"
    )


@pytest.fixture
def inai(db):
    return services.publisher_save(actor=None, name="INAI", ocid_prefix="ocds-inai01")


@pytest.fixture
def apf(db):
    return services.publisher_save(actor=None, name="APF", ocid_prefix="ocds-07smqs")
