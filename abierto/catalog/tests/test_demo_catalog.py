"""The demo catalog: the seeds' real publishers and themes, and the platform's own datasets."""

from __future__ import annotations

import shutil

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from abierto.catalog.demo import load_demo
from abierto.catalog.models import Dataset, Publisher, Resource, Theme
from abierto.core.demo import DemoDataError
from abierto.core.models import AuditEntry

pytestmark = pytest.mark.django_db

SITE = "https://gobiernoabierto.jalisco.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def catalog_snapshot() -> tuple:
    return (
        sorted(Publisher.objects.values_list("name", "title")),
        sorted(Theme.objects.values_list("name", "title")),
        sorted(Dataset.objects.values_list("name", "feed", "state", "metadata_modified")),
        sorted(Resource.objects.values_list("url", "last_modified")),
    )


def test_loading_the_demo_twice_builds_the_catalog_once(capsys):
    call_command("load_demo")
    first = catalog_snapshot()
    entries = AuditEntry.objects.count()

    call_command("load_demo")

    assert catalog_snapshot() == first
    assert AuditEntry.objects.count() == entries
    assert "0 records created or updated" in capsys.readouterr().out


def test_the_demo_holds_the_portals_real_publishers_and_themes():
    call_command("load_demo")

    sepaf = Publisher.objects.get(name="sepaf")
    assert sepaf.title == "Secretaría de Planeación, Administración y Finanzas"
    assert sepaf.jurisdiction.inegi_code == "14"
    assert sepaf.organization.slug == "secretaria-de-planeacion-administracion-y-finanzas"
    iieg = Publisher.objects.get(name="iieg")
    assert iieg.title == "Instituto de Información Estadística y Geográfica del Estado de Jalisco"
    assert iieg.jurisdiction.inegi_code == "14"
    themes = set(Theme.objects.values_list("title", flat=True))
    assert {
        "Educación",
        "Salud",
        "Economía",
        "Seguridad pública",
        "Infraestructura",
        "Conectividad",
        "Indicadores económicos",
        "Atlas de caminos y carreteras",
    } <= themes


def test_the_demos_datasets_are_the_platforms_own_and_nothing_invented():
    call_command("load_demo")

    datasets = Dataset.objects.all()
    # Every dataset publishes data the platform holds; none is a made-up one.
    assert set(datasets.values_list("origin", flat=True)) == {Dataset.Origin.PLATFORM}
    assert not Dataset.objects.filter(publisher__name__in=["sepaf", "iieg"]).exists()
    feeds = set(datasets.values_list("feed", flat=True))
    assert {
        "secretariat:jalisco",
        "sessions:jalisco",
        "agreements:jalisco",
        "plans:jalisco",
        "events:jalisco",
        "proposals:jalisco",
        "commitments:jalisco:2016-2018",
        "milestones:jalisco:2016-2018",
        "progress:jalisco:2016-2018",
        "contracting:ocds-xs1qbl",
    } == feeds
    jalisco = Dataset.objects.get(feed="commitments:jalisco:2016-2018")
    assert jalisco.publisher.name == "stl-jalisco"
    assert jalisco.title == "Compromisos del Plan de Acción Local Jalisco 2016-2018"
    assert all(url.startswith(SITE + "/") for url in Resource.objects.values_list("url", flat=True))
    # States known only by the national figures have no STL or plan: they publish nothing.
    assert Publisher.objects.filter(name__startswith="stl-").count() == 1


def test_a_bad_catalog_file_names_file_and_key_and_changes_nothing(tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(settings.DEMO_DATA_DIR, root)
    publishers = root / "catalog" / "publishers.yaml"
    publishers.write_text(
        publishers.read_text(encoding="utf-8").replace(
            "organization: iieg", "organization: instituto-inexistente"
        ),
        encoding="utf-8",
    )

    with pytest.raises(CommandError) as error:
        call_command("load_demo", "--path", str(root))

    assert str(error.value) == (
        "catalog/publishers.yaml: publishers[1].organization: unknown organization "
        "'instituto-inexistente'"
    )
    assert not Publisher.objects.exists()
    assert not Dataset.objects.exists()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{name: salud, titel: Salud}", "themes[0].title: required key is missing or empty"),
        ("{name: salud, title: Salud, color: rojo}", "themes[0].color: unknown key"),
        ("{name: Salud Pública, title: Salud}", "themes[0].name: Use de 2 a 100 caracteres"),
    ],
)
def test_a_bad_theme_is_refused_with_its_file_and_key(tmp_path, entry, message):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "themes.yaml").write_text(f"themes:\n  - {entry}\n", encoding="utf-8")

    with pytest.raises(DemoDataError) as error:
        load_demo(tmp_path)

    assert str(error.value).startswith(f"catalog/themes.yaml: {message}")
    assert not Theme.objects.filter(title="Salud").exists()
