"""The load page, the load button, the data dictionary editor and the automatic load on upload."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from abierto.catalog import services as catalog_services
from abierto.catalog.factories import (
    DatasetFactory,
    PublisherFactory,
    PublisherMemberFactory,
    ResourceFactory,
)
from abierto.core.factories import UserFactory
from abierto.core.models import AuditEntry
from abierto.datastore import schema, services
from abierto.datastore.models import Load

pytestmark = pytest.mark.django_db(databases=["default", "datastore"])


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def dataset():
    publisher = PublisherFactory(name="obras", title="Secretaría de Obras")
    return DatasetFactory(name="contratos", title="Contratos de obra", publisher=publisher)


@pytest.fixture
def member(dataset):
    return PublisherMemberFactory(publisher=dataset.publisher, user=UserFactory()).user


def upload(dataset, name: str, content: bytes, actor=None):
    return catalog_services.resource_save(
        actor=actor, dataset=dataset, title="Contratos", upload=SimpleUploadedFile(name, content)
    )


@pytest.fixture
def resource(dataset, member, django_capture_on_commit_callbacks):
    content = b"clave;contratista;monto\n1;Constructora Uno;1.234,56\n2;Obras Dos;N/A\n"
    with django_capture_on_commit_callbacks(execute=True):
        return upload(dataset, "contratos.csv", content, actor=member)


def load_url(resource) -> str:
    return reverse("datastore:load", kwargs={"resource": resource.uuid})


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_uploaded_csv_is_loaded_by_itself_and_the_dictionary_filled(resource, member):
    resource.refresh_from_db()
    assert resource.datastore_active
    assert resource.data_dictionary == [
        {"id": "clave", "type": "int", "info": {}},
        {"id": "contratista", "type": "text", "info": {}},
        {"id": "monto", "type": "numeric", "info": {}},
    ]
    load = Load.objects.get(resource=resource)
    assert (load.status, load.rows_loaded, load.requested_by) == ("done", 2, member)
    assert schema.get_table(resource.uuid).row_count == 2
    # The public API answers change: the load is in the audit log the page cache keys on.
    entry = AuditEntry.objects.filter(verb="datastore_load").latest("id")
    assert entry.object_id == str(resource.pk) and entry.after["datastore_active"] is True


@pytest.mark.parametrize("who", ["anonymous", "citizen", "other_publisher"])
def test_only_the_publishers_members_see_the_load_page_or_may_load(client, resource, who):
    if who == "citizen":
        client.force_login(UserFactory())
    elif who == "other_publisher":
        client.force_login(PublisherMemberFactory(publisher=PublisherFactory()).user)
    assert client.get(load_url(resource)).status_code == 404
    start = reverse("datastore:load_start", kwargs={"resource": resource.uuid})
    assert client.post(start).status_code == 404
    dictionary = reverse("datastore:dictionary", kwargs={"resource": resource.uuid})
    assert client.get(dictionary).status_code == 404
    assert Load.objects.filter(resource=resource).count() == 1


def test_a_member_sees_the_finished_load_and_the_table(client, resource, member):
    client.force_login(member)
    html = page(client, load_url(resource))
    assert 'data-status="done"' in html
    assert 'data-rows="2"' in html
    assert '<meta http-equiv="refresh"' not in html
    assert "Volver a cargar al almacén" in html
    assert '<td data-type="numeric">número decimal</td>' in html
    assert "Codificación: UTF-8. Separador: punto y coma." in html
    # The resource page links editors to it.
    resource_page = page(
        client,
        reverse(
            "catalog:resource", kwargs={"name": resource.dataset.name, "resource": resource.uuid}
        ),
    )
    assert load_url(resource) in resource_page


def test_a_running_load_shows_rows_rate_and_time_left_and_refreshes_itself(
    client, resource, member
):
    now = timezone.now()
    Load.objects.create(
        resource=resource,
        status=Load.Status.RUNNING,
        phase=Load.Phase.WRITING,
        bytes_total=1_000_000,
        bytes_read=500_000,
        rows_loaded=40_000,
        started_at=now - timedelta(seconds=30),
        writing_started_at=now - timedelta(seconds=10),
    )
    client.force_login(member)
    html = page(client, load_url(resource))
    assert '<meta http-equiv="refresh" content="3">' in html
    assert 'data-status="running"' in html and "escritura de filas" in html
    assert 'data-rows="40000"' in html
    assert "75 %" in html  # half of the first pass, plus half of the second
    assert "filas por segundo" in html  # about 4,000 a second
    assert "unos 10 segundos" in html
    assert "disabled" in html  # no second load while one runs


def test_the_load_button_loads_again(client, resource, member):
    client.force_login(member)
    response = client.post(reverse("datastore:load_start", kwargs={"resource": resource.uuid}))
    assert response.status_code == 302 and response["Location"] == load_url(resource)
    assert Load.objects.filter(resource=resource, status="done").count() == 2
    assert schema.get_table(resource.uuid).version == 2


def test_a_failed_load_shows_row_column_and_value_and_the_old_table_serves(
    client, resource, member
):
    resource.refresh_from_db()
    resource.data_dictionary[2]["info"] = {"type_override": "int"}  # monto holds 1.234,56
    resource.save()
    services.queue_load(resource=resource, actor=member)
    load = Load.objects.filter(resource=resource).latest("id")
    assert load.status == "failed"
    assert load.error["row"] == 2 and load.error["column"] == "monto"
    assert load.error["value"] == "1.234,56"
    client.force_login(member)
    html = page(client, load_url(resource))
    assert 'role="alert"' in html and "no es un número entero" in html
    assert "<dd>2</dd>" in html and "<code>monto</code>" in html and "<code>1.234,56</code>" in html
    assert "La tabla anterior sigue publicada sin cambios." in html
    assert schema.get_table(resource.uuid).version == 1


def test_editing_the_dictionary_and_reloading_changes_a_columns_type(client, resource, member):
    client.force_login(member)
    url = reverse("datastore:dictionary", kwargs={"resource": resource.uuid})
    html = page(client, url)
    assert 'for="id_col-0-type_override"' in html and "Tipo de «clave»" in html
    data = {
        "col-TOTAL_FORMS": "3",
        "col-INITIAL_FORMS": "3",
        "col-0-type_override": "text",
        "col-0-label": "Clave del contrato",
        "col-0-notes": "Asignada por la Secretaría",
        "col-1-type_override": "",
        "col-1-label": "",
        "col-1-notes": "",
        "col-2-type_override": "",
        "col-2-label": "Monto (pesos)",
        "col-2-notes": "",
        "reload": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == load_url(resource)
    table = schema.get_table(resource.uuid)
    assert [(f.id, f.type) for f in table.fields] == [
        ("clave", "text"),
        ("contratista", "text"),
        ("monto", "numeric"),
    ]
    assert table.fields[0].info["label"] == "Clave del contrato"
    resource.refresh_from_db()
    assert resource.data_dictionary[0] == {
        "id": "clave",
        "type": "text",
        "info": {
            "label": "Clave del contrato",
            "notes": "Asignada por la Secretaría",
            "type_override": "text",
        },
    }
    assert AuditEntry.objects.filter(verb="datastore_dictionary").exists()


def test_saving_labels_without_reloading_updates_the_published_fields(client, resource, member):
    client.force_login(member)
    url = reverse("datastore:dictionary", kwargs={"resource": resource.uuid})
    data = {"col-TOTAL_FORMS": "3", "col-INITIAL_FORMS": "3", "col-1-label": "Empresa"}
    response = client.post(url, data)
    assert response.status_code == 302
    table = schema.get_table(resource.uuid)
    assert table.version == 1 and table.fields[1].info == {"label": "Empresa"}


def test_a_stale_dictionary_form_is_refused_with_a_message(client, resource, member):
    client.force_login(member)
    url = reverse("datastore:dictionary", kwargs={"resource": resource.uuid})
    response = client.post(url, {"col-TOTAL_FORMS": "2", "col-INITIAL_FORMS": "2"})
    assert response.status_code == 200
    assert "Las columnas cambiaron mientras editaba" in response.content.decode()


def test_a_link_resource_is_not_loaded_and_the_page_says_why(client, dataset, member):
    link = ResourceFactory(dataset=dataset, url="https://obras.example/contratos.csv")
    client.force_login(member)
    response = client.post(
        reverse("datastore:load_start", kwargs={"resource": link.uuid}), follow=True
    )
    html = response.content.decode()
    assert "solo se cargan al almacén los archivos subidos a este portal" in html
    assert not Load.objects.filter(resource=link).exists()


def test_an_upload_of_another_format_is_not_queued(dataset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pdf = upload(dataset, "informe.pdf", b"%PDF-1.4 informe")
    assert not Load.objects.filter(resource=pdf).exists()


def test_the_command_loads_now_and_prints_progress(resource):
    out = io.StringIO()
    call_command("load_resource", str(resource.uuid), stdout=out)
    assert "2 filas cargadas" in out.getvalue()
    assert schema.get_table(resource.uuid).version == 2


def test_the_command_says_what_failed(dataset):
    bad = upload(dataset, "vacio.csv", b"a,b\n1,2,3\n")
    with pytest.raises(CommandError, match="3 celdas") as caught:
        call_command("load_resource", str(bad.uuid), stdout=io.StringIO())
    assert "row 2" in str(caught.value)
    with pytest.raises(CommandError, match="No existe"):
        call_command("load_resource", "no-es-un-uuid", stdout=io.StringIO())


def test_after_a_restore_the_command_reloads_every_table_from_its_file(resource):
    """Backups keep the files, not the tables: `--all` rebuilds them."""
    assert schema.drop(resource.uuid)  # what a restored instance lacks
    out = io.StringIO()
    call_command("load_resource", "--all", stdout=out)
    assert "2 filas cargadas" in out.getvalue()
    assert schema.get_table(resource.uuid).row_count == 2


def test_while_the_text_index_is_built_the_page_says_the_rows_already_serve(
    client, resource, member
):
    now = timezone.now()
    Load.objects.create(
        resource=resource,
        status=Load.Status.RUNNING,
        phase=Load.Phase.INDEXING,
        bytes_total=1_000_000,
        bytes_read=1_000_000,
        rows_loaded=80_000,
        started_at=now - timedelta(seconds=30),
        writing_started_at=now - timedelta(seconds=20),
    )
    client.force_login(member)
    html = page(client, load_url(resource))
    assert "índice de búsqueda de texto" in html
    assert "Las filas nuevas ya están publicadas" in html
    assert '<progress max="100" value="99">' in html
    assert "Tiempo restante" not in html
    assert '<meta http-equiv="refresh"' in html
