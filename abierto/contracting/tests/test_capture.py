"""Capture forms: an official publishes a process stage by stage, without writing JSON."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.urls import reverse

from abierto.contracting import capture, capture_forms, services, standard
from abierto.contracting.models import Import, Record, Release
from abierto.core.factories import OrganizationFactory, UserFactory


@pytest.fixture
def finanzas(db):
    return OrganizationFactory(name="Secretaría de la Hacienda Pública", slug="hacienda")


@pytest.fixture
def publisher(finanzas):
    return services.publisher_save(
        actor=None, name="Jalisco", ocid_prefix="ocds-xs1qbl", organization=finanzas
    )


@pytest.fixture
def other_publisher(db):
    other = OrganizationFactory(name="Municipio de Zapopan", slug="zapopan")
    return services.publisher_save(
        actor=None, name="Zapopan", ocid_prefix="ocds-zap001", organization=other
    )


@pytest.fixture
def official(finanzas):
    return UserFactory(organization=finanzas)


@pytest.fixture
def other_official(other_publisher):
    return UserFactory(organization=other_publisher.organization)


def rows(prefix: str, items: list[dict], *, initial: int = 0) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(items)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "100",
    }
    for index, item in enumerate(items):
        data.update({f"{prefix}-{index}-{key}": value for key, value in item.items()})
    return data


def start(client, publisher, **extra) -> str:
    response = client.post(
        reverse("contracting:capture"),
        {
            "publisher": publisher.pk,
            "title": "Adquisición de uniformes escolares",
            "buyer_name": "Secretaría de Educación",
            "buyer_rfc": "SEJ850101AB1",
            **extra,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Record.objects.latest("updated_at").ocid


def stage(client, ocid: str, key: str, data: dict):
    return client.post(reverse("contracting:capture_stage", args=[ocid, key]), data)


def published(response) -> None:
    assert response.status_code == 302, response.content.decode()[:4000]


TENDER = {
    "tender_title": "Uniformes escolares 2025",
    "description": "Uniformes para primarias públicas",
    "status": "active",
    "method": "open",
    "method_details": "Licitación pública nacional",
    "category": "goods",
    "tender_start": "2025-02-01T09:00",
    "tender_end": "2025-02-20T18:00",
    "enquiry_start": "2025-02-01T09:00",
    "enquiry_end": "2025-02-10T18:00",
    "value_amount": "1500000.00",
    "value_currency": "MXN",
    **rows(
        "articulos",
        [
            {
                "description": "Camisa blanca",
                "scheme": "UNSPSC",
                "classification_id": "53101602",
                "quantity": "5000",
                "unit": "pieza",
            }
        ],
    ),
    **rows(
        "documentos",
        [
            {
                "document_type": "biddingDocuments",
                "title": "Bases",
                "url": "https://compras.jalisco.gob.mx/bases.pdf",
            }
        ],
    ),
}
AWARD = {
    "award_title": "Fallo partida 1",
    "date": "2025-03-01",
    "status": "active",
    "value_amount": "1400000",
    "value_currency": "MXN",
    **rows("proveedores", [{"name": "Textiles del Bajío SA de CV", "rfc": "TBA010101AB1"}]),
    **rows("documentos", []),
}


def test_a_process_captured_stage_by_stage_compiles_every_stage_and_validates(
    client, publisher, official
):
    client.force_login(official)
    ocid = start(client, publisher)
    assert ocid.startswith("ocds-xs1qbl-")
    published(
        stage(
            client,
            ocid,
            "planeacion",
            {
                "rationale": "Programa de útiles y uniformes",
                "budget_description": "Recursos estatales",
                "project": "Mochilas con útiles",
                **rows(
                    "lineas",
                    [
                        {
                            "description": "Partida 2711",
                            "amount": "1000000",
                            "currency": "MXN",
                            "project_id": "P-2711",
                        },
                        {
                            "description": "Partida 2712",
                            "amount": "600000.50",
                            "currency": "MXN",
                            "project_id": "P-2711",
                        },
                    ],
                ),
            },
        )
    )
    published(stage(client, ocid, "licitacion", TENDER))
    published(
        stage(
            client,
            ocid,
            "junta",
            {
                "date": "2025-02-05T10:00",
                "place": "Av. Prolongación Alcalde 1351, Guadalajara",
                "attendees": "Textiles del Bajío\nConfecciones de Occidente",
                "minutes_url": "https://compras.jalisco.gob.mx/acta-junta.pdf",
            },
        )
    )
    published(stage(client, ocid, "adjudicacion", AWARD))
    award_id = Record.objects.get(ocid=ocid).compiled_release["awards"][0]["id"]
    published(
        stage(
            client,
            ocid,
            "contrato",
            {
                "award": award_id,
                "contract_title": "Contrato SEJ-001/2025",
                "status": "active",
                "value_amount": "1400000",
                "value_currency": "MXN",
                "start": "2025-03-05",
                "end": "2025-12-31",
                "date_signed": "2025-03-04",
                **rows("documentos", []),
            },
        )
    )
    contract_id = Record.objects.get(ocid=ocid).compiled_release["contracts"][0]["id"]
    published(
        stage(
            client,
            ocid,
            "modificacion",
            {
                "target": f"contrato:{contract_id}",
                "date": "2025-06-01",
                "rationale": "Ampliación de plazo",
                "description": "Se amplía la vigencia al 31 de enero",
            },
        )
    )
    published(
        stage(
            client,
            ocid,
            "pago",
            {
                "contract": contract_id,
                "date": "2025-04-01",
                "value_amount": "700000",
                "value_currency": "MXN",
                "payer_name": "Secretaría de Educación",
                "payer_rfc": "SEJ850101AB1",
                "payee_name": "Textiles del Bajío SA de CV",
                "payee_rfc": "TBA010101AB1",
            },
        )
    )

    releases = list(Release.objects.for_ocid(ocid))
    assert [r.tags for r in releases] == [
        ["planning"],
        ["planning"],
        ["tender"],
        ["tenderUpdate"],
        ["award"],
        ["contract"],
        ["contractAmendment"],
        ["implementation"],
    ]
    assert [r.release_id for r in releases] == [f"{ocid}-{n:03d}" for n in range(1, 9)]
    assert {r.source_import.source for r in releases} == {Import.Source.CAPTURE}
    assert all(r.validity != Release.Validity.ERRORS for r in releases)

    record = Record.objects.get(ocid=ocid)
    compiled = record.compiled_release
    assert compiled["planning"]["budget"]["amount"] == {"amount": 1600000.5, "currency": "MXN"}
    assert compiled["tender"]["procurementMethod"] == "open"
    assert compiled["tender"]["items"][0]["classification"]["id"] == "53101602"
    assert compiled["tender"]["clarificationMeetings"][0]["attendees"][1]["name"] == (
        "Confecciones de Occidente"
    )
    assert {d["documentType"] for d in compiled["tender"]["documents"]} == {
        "biddingDocuments",
        "clarifications",
    }
    assert compiled["awards"][0]["suppliers"][0]["id"] == "MX-RFC-TBA010101AB1"
    contract = compiled["contracts"][0]
    assert contract["amendments"][0]["rationale"] == "Ampliación de plazo"
    assert contract["implementation"]["transactions"][0]["value"]["amount"] == 700000
    roles = {p["id"]: set(p["roles"]) for p in compiled["parties"]}
    # The buyer kept its role when it became the payer: roles are merged, not replaced.
    assert roles["MX-RFC-SEJ850101AB1"] == {"buyer", "payer"}
    assert roles["MX-RFC-TBA010101AB1"] == {"supplier", "payee"}
    errors = list(standard.validator().iter_errors(compiled))
    assert not errors, [e.message for e in errors[:3]]
    assert record.stage == "implementation"
    assert record.title == "Uniformes escolares 2025"

    page = client.get(reverse("contracting:capture_process", args=[ocid]))
    assert "contractAmendment" in page.content.decode()


def _assert_nothing_stored(ocid: str, before: int) -> None:
    assert Release.objects.filter(ocid=ocid).count() == before


def test_a_period_ending_before_it_starts_is_a_field_error_and_stores_nothing(
    client, publisher, official
):
    client.force_login(official)
    ocid = start(client, publisher)
    response = stage(client, ocid, "licitacion", {**TENDER, "tender_end": "2025-01-15T18:00"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "La fecha de fin es anterior a la de inicio." in page
    assert 'href="#id_tender_end"' in page  # the error summary links to the field
    _assert_nothing_stored(ocid, 1)


def test_a_negative_amount_is_a_field_error(client, publisher, official):
    client.force_login(official)
    ocid = start(client, publisher)
    response = stage(client, ocid, "adjudicacion", {**AWARD, "value_amount": "-5"})
    assert "El monto no puede ser negativo." in response.content.decode()
    _assert_nothing_stored(ocid, 1)


def test_an_unknown_codelist_value_is_a_field_error(client, publisher, official):
    client.force_login(official)
    ocid = start(client, publisher)
    response = stage(client, ocid, "licitacion", {**TENDER, "method": "subasta"})
    assert response.status_code == 200
    assert 'href="#id_method"' in response.content.decode()
    _assert_nothing_stored(ocid, 1)


def test_an_award_without_supplier_is_refused(client, publisher, official):
    client.force_login(official)
    ocid = start(client, publisher)
    data = {**AWARD, **rows("proveedores", [{"name": "", "rfc": ""}])}
    response = stage(client, ocid, "adjudicacion", data)
    page = response.content.decode()
    assert 'href="#id_proveedores-0-name"' in page
    _assert_nothing_stored(ocid, 1)


def test_a_bad_rfc_is_explained(client, publisher, official):
    client.force_login(official)
    ocid = start(client, publisher)
    data = {**AWARD, **rows("proveedores", [{"name": "Textiles", "rfc": "123"}])}
    response = stage(client, ocid, "adjudicacion", data)
    assert "no es un RFC" in response.content.decode()
    _assert_nothing_stored(ocid, 1)


def test_a_release_the_schema_refuses_is_not_stored_and_the_field_says_why(
    client, publisher, official
):
    """The forms catch what they can; what only the schema sees (here a status no select
    offers) still refuses the release, and the issue lands on the field that built it."""
    client.force_login(official)
    ocid = start(client, publisher)
    state = Record.objects.get(ocid=ocid).compiled_release
    data = QueryDict(mutable=True)
    data.update(AWARD)
    page = capture_forms.StagePage(capture_forms.AwardForm, data, state=state, ocid=ocid)
    assert page.is_valid()
    tag, body, where = page.release_body()
    body["awards"][0]["status"] = "ganada"
    body["awards"][0]["value"]["amount"] = "mucho"
    with pytest.raises(capture.CaptureRefused) as refused:
        capture.publish(actor=official, publisher=publisher, release=capture.build(ocid, tag, body))
    page.refuse(refused.value.issues, where)
    assert "ganada" in " ".join(page.form.errors["status"])
    assert page.form.errors["value_amount"]
    _assert_nothing_stored(ocid, 1)
    assert Import.objects.filter(source=Import.Source.CAPTURE).count() == 1  # the start only


def test_add_another_row_shows_one_more_row_without_publishing(client, publisher, official):
    client.force_login(official)
    ocid = start(client, publisher)
    response = stage(client, ocid, "adjudicacion", {**AWARD, "agregar": "proveedores"})
    page = response.content.decode()
    assert 'name="proveedores-1-name"' in page
    assert 'value="Textiles del Bajío SA de CV"' in page  # what was typed stays
    assert "Revise los datos" not in page
    _assert_nothing_stored(ocid, 1)


def test_a_contract_needs_an_award_first(client, publisher, official):
    client.force_login(official)
    ocid = start(client, publisher)
    response = client.get(reverse("contracting:capture_stage", args=[ocid, "contrato"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("contracting:capture_process", args=[ocid])


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("citizen", 403),
        ("other_official", 403),
        ("official", 200),
        ("staff", 200),
    ],
)
def test_permission_matrix_of_a_process_stage(
    client, publisher, official, other_official, who, status
):
    client.force_login(official)
    ocid = start(client, publisher)
    client.logout()
    users = {
        "citizen": UserFactory(),
        "other_official": other_official,
        "official": official,
        "staff": UserFactory(is_staff=True),
    }
    if who in users:
        client.force_login(users[who])
    url = reverse("contracting:capture_stage", args=[ocid, "licitacion"])
    assert client.get(url).status_code == status
    before = Release.objects.count()
    assert client.post(url, TENDER).status_code == (302 if status == 200 else status)
    assert Release.objects.count() == before + (1 if status == 200 else 0)
    if who == "anonymous":
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_an_official_starts_processes_only_for_their_publisher(
    client, publisher, other_publisher, official
):
    client.force_login(official)
    page = client.get(reverse("contracting:capture")).content.decode()
    assert "Jalisco" in page and "Zapopan" not in page
    response = client.post(
        reverse("contracting:capture"),
        {"publisher": other_publisher.pk, "title": "X", "buyer_name": "Y"},
    )
    assert response.status_code == 200
    assert not Release.objects.exists()


def test_a_citizen_cannot_open_the_capture_page(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("contracting:capture")).status_code == 403


def test_the_capture_list_costs_the_same_queries_for_many_processes(
    client, publisher, official, django_assert_max_num_queries
):
    client.force_login(official)
    start(client, publisher)
    with django_assert_max_num_queries(50) as one:
        client.get(reverse("contracting:capture"))
    few = len(one)  # counted now: every request clears the connection's query log
    for _n in range(3):
        start(client, publisher)
    with django_assert_max_num_queries(few):
        page = client.get(reverse("contracting:capture"))
    assert page.content.decode().count("Adquisición de uniformes escolares") == 4


def test_the_import_report_is_for_officials_of_the_publisher(
    client, publisher, official, other_official
):
    client.force_login(official)
    start(client, publisher)
    import_ = Import.objects.get(source=Import.Source.CAPTURE)
    url = reverse("contracting:capture_import", args=[import_.pk])
    assert "captura en formularios" in client.get(url).content.decode()
    client.force_login(other_official)
    assert client.get(url).status_code == 403
