"""The platform's own data in the catalog: datasets that link to live exports and stay current."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from abierto.catalog import feeds
from abierto.catalog.models import Dataset, Publisher, Resource
from abierto.contracting import services as contracting_services
from abierto.core import audit
from abierto.core.factories import (
    ExerciseFactory,
    JurisdictionFactory,
    OrganizationFactory,
    UserFactory,
)
from abierto.core.models import AuditEntry
from abierto.plans import services as plan_services
from abierto.plans.factories import ActionPlanFactory, CommitmentFactory, MilestoneFactory
from abierto.secretariat.factories import SecretariatFactory

pytestmark = pytest.mark.django_db

SITE = "https://datos.jalisco.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.CATALOG_CONTACT_EMAIL = "gobiernoabierto@jalisco.example"


@pytest.fixture
def jalisco():
    """A demo-like exercise: its STL and its 2016-2018 plan with commitments and milestones."""
    state = JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco")
    exercise = ExerciseFactory(jurisdiction=state, name="Gobierno Abierto Jalisco", slug="jalisco")
    SecretariatFactory(exercise=exercise, name="Secretariado Técnico Local de Jalisco")
    plan = ActionPlanFactory(
        exercise=exercise,
        slug="2016-2018",
        title="Plan de Acción Local Jalisco 2016-2018",
        start_year=2016,
        end_year=2018,
    )
    implementer = OrganizationFactory(name="Ayuntamiento de Guadalajara", slug="guadalajara")
    first = CommitmentFactory(
        plan=plan, number=1, title="Policía de proximidad", lead_implementers=[implementer]
    )
    CommitmentFactory(plan=plan, number=2, title="Brecha salarial entre hombres y mujeres")
    MilestoneFactory(commitment=first, description="Capacitar a los policías", weight=1)
    return exercise


@pytest.fixture
def nayarit():
    state = JurisdictionFactory(inegi_code="18", name="Nayarit", slug="nayarit")
    exercise = ExerciseFactory(jurisdiction=state, name="Gobierno Abierto Nayarit", slug="nayarit")
    plan = ActionPlanFactory(exercise=exercise, slug="2017-2019", start_year=2017, end_year=2019)
    CommitmentFactory(plan=plan, number=1, title="Parlamento abierto")
    return exercise


def test_each_exercise_publishes_its_tracking_data_under_its_stl(jalisco, nayarit):
    feeds.sync()

    stl = Publisher.objects.get(name="stl-jalisco")
    assert stl.title == "Secretariado Técnico Local de Gobierno Abierto de Jalisco"
    assert stl.jurisdiction.inegi_code == "14"
    datasets = {d.feed: d for d in Dataset.objects.filter(publisher=stl)}
    assert set(datasets) == {
        "secretariat:jalisco",
        "sessions:jalisco",
        "agreements:jalisco",
        "plans:jalisco",
        "events:jalisco",
        "proposals:jalisco",
        "commitments:jalisco:2016-2018",
        "milestones:jalisco:2016-2018",
        "progress:jalisco:2016-2018",
    }
    commitments = datasets["commitments:jalisco:2016-2018"]
    assert commitments.title == "Compromisos del Plan de Acción Local Jalisco 2016-2018"
    assert commitments.origin == Dataset.Origin.PLATFORM
    assert commitments.licence.key == "libre-uso-mx"
    assert commitments.accrual_periodicity == Dataset.Periodicity.CONTINUOUS
    assert str(commitments.temporal_start) == "2016-01-01"
    assert str(commitments.temporal_end) == "2018-12-31"
    assert commitments.spatial.inegi_code == "14"
    assert commitments.contact_email == "gobiernoabierto@jalisco.example"
    assert commitments.landing_page == f"{SITE}/jalisco/planes/2016-2018/"
    assert "gobierno abierto" in set(commitments.tags.values_list("name", flat=True))
    assert commitments.themes.filter(name="gobierno-abierto").exists()
    assert [(r.format, r.url) for r in commitments.resources.order_by("position")] == [
        ("CSV", f"{SITE}/jalisco/planes/2016-2018/?format=csv"),
        ("JSON", f"{SITE}/jalisco/planes/2016-2018/?format=json"),
    ]
    # Nayarit has no STL: its plans are published, its STL's lists (which would 404) are not.
    nayarit_feeds = set(
        Dataset.objects.filter(publisher__name="stl-nayarit").values_list("feed", flat=True)
    )
    assert "commitments:nayarit:2017-2019" in nayarit_feeds
    assert not {f for f in nayarit_feeds if f.split(":")[0] in {"secretariat", "sessions"}}


def test_every_resource_link_answers_with_the_live_data(client, jalisco, nayarit):
    feeds.sync()

    resources = [
        r
        for d in Dataset.objects.filter(origin=Dataset.Origin.PLATFORM)
        for r in d.resources.active()
    ]
    assert len(resources) == 2 * Dataset.objects.filter(origin=Dataset.Origin.PLATFORM).count()
    for resource in resources:
        assert resource.url.startswith(SITE + "/")
        parts = urlsplit(resource.url)
        response = client.get(parts.path, dict(p.split("=") for p in parts.query.split("&") if p))
        assert response.status_code == 200, resource.url
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        if resource.format == "CSV":
            assert response["Content-Type"].startswith("text/csv")
            assert next(csv.reader(io.StringIO(body)))  # a header row at least
        else:
            assert isinstance(json.loads(body), list | dict)
    commitments = Dataset.objects.get(feed="commitments:jalisco:2016-2018")
    csv_link = commitments.resources.get(format="CSV")
    body = b"".join(client.get(urlsplit(csv_link.url).path, {"format": "csv"}).streaming_content)
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["compromiso"] for row in rows] == [
        "Policía de proximidad",
        "Brecha salarial entre hombres y mujeres",
    ]


def _fetch(client, url: str):
    parts = urlsplit(url)
    query = dict(p.split("=") for p in parts.query.split("&") if p)
    response = client.get(parts.path, query)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_every_feed_resource_has_a_dictionary_of_its_exports_real_columns(client, jalisco):
    feeds.sync()

    covered = set()
    resources = Resource.objects.filter(
        dataset__origin=Dataset.Origin.PLATFORM, dataset__feed__isnull=False
    ).exclude(dataset__feed__startswith="contracting:")
    for resource in resources.select_related("dataset"):
        dictionary = resource.data_dictionary
        ids = [column["id"] for column in dictionary]
        body = _fetch(client, resource.url)
        if resource.format == "CSV":
            # The dictionary names exactly the columns the download has, in its order.
            assert ids == next(csv.reader(io.StringIO(body))), resource.dataset.feed
        else:
            for record in json.loads(body):
                assert list(record) == ids, resource.dataset.feed
        for column in dictionary:
            assert column["type"] in {"text", "int", "numeric", "date", "timestamp", "bool"}
            assert column["info"]["label"] and column["info"]["notes"], column
        covered.add(resource.dataset.feed.split(":")[0])
    assert (
        covered
        == set(feeds.FEED_COLUMNS)
        == {
            "secretariat",
            "sessions",
            "agreements",
            "plans",
            "events",
            "proposals",
            "commitments",
            "milestones",
            "progress",
        }
    )
    milestones = Resource.objects.get(
        dataset__feed="milestones:jalisco:2016-2018", format="CSV"
    ).data_dictionary
    assert {c["id"]: c["type"] for c in milestones}["fecha_limite"] == "date"
    assert {c["id"]: c["info"]["label"] for c in milestones}["vencida"] == "Vencida"


def test_the_dictionaries_show_on_the_resource_page_and_in_the_datapackage(client, jalisco):
    feeds.sync()
    dataset = Dataset.objects.get(feed="commitments:jalisco:2016-2018")
    csv_resource = dataset.resources.get(format="CSV")

    page = client.get(
        reverse("catalog:resource", kwargs={"name": dataset.name, "resource": csv_resource.uuid})
    ).content.decode()
    assert "<code>nivel_cumplimiento</code>" in page
    assert "Nivel de cumplimiento" in page and "Con retraso" in page

    package = json.loads(client.get(f"/dataset/{dataset.name}/datapackage.json").content)
    (described,) = [r for r in package["resources"] if r.get("format", "").lower() == "csv"]
    fields = {f["name"]: f for f in described["schema"]["fields"]}
    assert fields["avance_porcentaje"]["type"] == "number"
    assert fields["inicio"]["type"] == "date"
    assert fields["con_retraso"]["type"] == "boolean"
    assert fields["compromiso"]["title"] == "Compromiso"

    catalog = json.loads(b"".join(client.get("/data.json").streaming_content))
    (entry,) = [d for d in catalog["dataset"] if d["identifier"] == dataset.identifier]
    assert all(d["describedBy"].endswith("/datapackage.json") for d in entry["distribution"])


def test_an_export_whose_columns_drift_from_their_declaration_is_refused():
    from abierto.core.exports import declared_columns
    from abierto.plans.exports import MILESTONE_COLUMNS

    getters = {column.name: (lambda row: row) for column in MILESTONE_COLUMNS}
    getters.pop("vencida")
    getters["atrasada"] = lambda row: row
    with pytest.raises(ValueError, match=r"no getter for \['vencida'\], undeclared \['atrasada'\]"):
        declared_columns(MILESTONE_COLUMNS, **getters)


def test_a_progress_report_moves_only_its_own_plans_datasets(jalisco, nayarit):
    feeds.sync()
    before = dict(Dataset.objects.values_list("feed", "modified"))
    milestone = jalisco.plans.get().commitments.get(number=1).milestones.get()
    implementer = UserFactory(organization=milestone.commitment.lead_implementers.get())

    plan_services.progress_update_report(
        milestone=milestone, reported_by=implementer, percent=40, narrative="Primer grupo."
    )

    after = dict(Dataset.objects.values_list("feed", "modified"))
    moved = {feed for feed in after if after[feed] != before[feed]}
    assert moved == {
        "commitments:jalisco:2016-2018",
        "milestones:jalisco:2016-2018",
        "progress:jalisco:2016-2018",
    }
    assert after["commitments:jalisco:2016-2018"] > before["commitments:jalisco:2016-2018"]


def test_a_change_whose_plan_cannot_be_read_moves_every_dataset_of_its_feed(jalisco, nayarit):
    feeds.sync()
    before = dict(Dataset.objects.values_list("feed", "modified"))
    commitment = jalisco.plans.get().commitments.get(number=2)

    # An audit entry whose snapshot does not say the plan (e.g. written by hand).
    audit.record(actor=None, verb="correccion", obj=commitment, before=None, after={})

    after = dict(Dataset.objects.values_list("feed", "modified"))
    assert after["commitments:jalisco:2016-2018"] != before["commitments:jalisco:2016-2018"]
    assert after["commitments:nayarit:2017-2019"] != before["commitments:nayarit:2017-2019"]
    assert after["sessions:jalisco"] == before["sessions:jalisco"]


def test_open_contracting_data_gets_its_dataset_with_live_ocds_links(client, jalisco):
    contracting_services.publisher_save(
        actor=None, name="Gobierno del Estado de Jalisco, SEPAF/DGA", ocid_prefix="ocds-xs1qbl"
    )

    feeds.sync()

    dataset = Dataset.objects.get(feed="contracting:ocds-xs1qbl")
    assert dataset.title == ("Contrataciones abiertas de Gobierno del Estado de Jalisco, SEPAF/DGA")
    assert dataset.publisher.title == "Gobierno del Estado de Jalisco, SEPAF/DGA"
    assert dataset.publisher.jurisdiction.inegi_code == "14"
    links = [r.url for r in dataset.resources.order_by("position")]
    assert links == [
        f"{SITE}/contrataciones/entregas.json",
        f"{SITE}/contrataciones/registros.json",
    ]
    for link in links:
        response = client.get(urlsplit(link).path)
        assert response.status_code == 200
        assert "publishedDate" in response.json()


def test_syncing_again_writes_nothing(jalisco, nayarit):
    first = feeds.sync()
    entries = AuditEntry.objects.count()
    state = list(Dataset.objects.order_by("pk").values_list("pk", "metadata_modified", "modified"))

    second = feeds.sync()

    assert first.changed > 0
    assert second.changed == 0
    assert AuditEntry.objects.count() == entries
    assert (
        list(Dataset.objects.order_by("pk").values_list("pk", "metadata_modified", "modified"))
        == state
    )


def test_a_plan_added_in_the_admin_appears_in_the_catalog_at_once(client, jalisco):
    feeds.sync()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    url = reverse("admin:plans_actionplan_add")
    form = client.get(url).content.decode()
    management = dict.fromkeys(re.findall(r'name="([^"]+-(?:TOTAL|INITIAL)_FORMS)"', form), "0")

    response = client.post(
        url,
        {
            **management,
            "exercise": jalisco.pk,
            "title": "Plan de Acción Local Jalisco 2019-2021",
            "slug": "2019-2021",
            "cycle": 2,
            "start_year": 2019,
            "end_year": 2021,
            "status": "published",
            "presented_on_precision": "day",
            "implementation_started_on_precision": "day",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    new = Dataset.objects.get(feed="commitments:jalisco:2019-2021")
    assert new.title == "Compromisos del Plan de Acción Local Jalisco 2019-2021"
    assert str(new.temporal_end) == "2021-12-31"
    # The exercise's list of plans now spans both plans.
    assert str(Dataset.objects.get(feed="plans:jalisco").temporal_end) == "2021-12-31"


def test_a_plan_back_in_draft_has_its_datasets_withdrawn(jalisco):
    feeds.sync()
    plan = jalisco.plans.get()
    plan.status = "draft"
    plan.save()

    result = feeds.sync()

    assert result.counts["catalog.Dataset", "deleted"] == 3
    withdrawn = Dataset.objects.filter(feed__endswith=":2016-2018")
    assert set(withdrawn.values_list("state", flat=True)) == {Dataset.State.DELETED}
    plan.status = "implementation"
    plan.save()
    feeds.sync()
    assert set(withdrawn.values_list("state", flat=True)) == {Dataset.State.ACTIVE}
    assert Dataset.objects.filter(feed__endswith=":2016-2018").count() == 3


def test_the_command_syncs_and_says_how_much_it_wrote(jalisco, capsys):
    call_command("sync_platform_datasets")
    assert "records written" in capsys.readouterr().out
    call_command("sync_platform_datasets")
    assert "0 records written" in capsys.readouterr().out


def test_long_slugs_scope_the_feed_by_ids():
    assert feeds.feed_id("commitments", "jalisco", 1, ("2016-2018", 7)) == (
        "commitments:jalisco:2016-2018"
    )
    long = "gobierno-abierto-del-estado-libre-y-soberano"
    assert feeds.feed_id("milestones", long, 3, ("2016-2018", 7)) == "milestones:e3:p7"
