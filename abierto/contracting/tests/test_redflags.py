"""Red flags: each indicator raised and not raised at its threshold, through real imports."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from itertools import count

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from abierto.contracting import redflags, services
from abierto.contracting.demo import load_demo
from abierto.contracting.models import Publisher, Record, RedFlag
from abierto.contracting.tests.conftest import JALISCO, run

PREFIX = "ocds-rf0001"
_files = count()
_releases = count()


@pytest.fixture
def publisher(db) -> Publisher:
    return services.publisher_save(
        actor=None, name="Secretaría de Administración", ocid_prefix=PREFIX
    )


def award(
    id: str,
    amount: float,
    *,
    supplier: str = "S1",
    supplier_name: str | None = None,
    currency: str = "MXN",
    date: str = "2024-03-01T00:00:00Z",
    status: str = "active",
) -> dict:
    return {
        "id": id,
        "amount": amount,
        "currency": currency,
        "supplier": supplier,
        "supplier_name": supplier_name or f"Proveedor {supplier}",
        "date": date,
        "status": status,
    }


def contract(
    award_id: str,
    amount: float,
    *,
    currency: str = "MXN",
    signed: str | None = None,
    amendments: int = 0,
    paid: tuple[tuple[float, str], ...] = (),
) -> dict:
    data = {
        "id": f"C-{award_id}",
        "awardID": award_id,
        "status": "active",
        "value": {"amount": amount, "currency": currency},
    }
    if signed:
        data["dateSigned"] = signed
    if amendments:
        data["amendments"] = [
            {"id": f"A{i}", "date": "2024-05-01T00:00:00Z", "description": "Ampliación"}
            for i in range(amendments)
        ]
    if paid:
        data["implementation"] = {
            "transactions": [
                {"id": f"T{i}", "value": {"amount": value, "currency": cur}}
                for i, (value, cur) in enumerate(paid)
            ]
        }
    return data


def process(
    name: str,
    *,
    method: str = "open",
    buyer: str = "SEC-A",
    rationale: str = "",
    tenderers: int | None = None,
    tenderer_list: int | None = None,
    period: tuple[str, str] | None = None,
    category: str = "goods",
    classification: str = "C-01",
    awards: tuple[dict, ...] = (),
    contracts: tuple[dict, ...] = (),
) -> dict:
    """A release of one whole process (tender, awards and contracts)."""
    parties = {
        buyer: {
            "id": buyer,
            "name": f"Comprador {buyer}",
            "roles": ["buyer"],
            "identifier": {"scheme": "MX-DEP", "id": buyer},
        }
    }
    tender = {
        "id": f"T-{name}",
        "title": f"Compra {name}",
        "status": "complete",
        "procurementMethod": method,
        "mainProcurementCategory": category,
        "items": [
            {
                "id": "1",
                "description": "Artículo",
                "classification": {"scheme": "CUCOP", "id": classification},
            }
        ],
    }
    if rationale:
        tender["procurementMethodRationale"] = rationale
    if tenderers is not None:
        tender["numberOfTenderers"] = tenderers
    if tenderer_list:
        tender["tenderers"] = [
            {"id": f"L{i}", "name": f"Licitante {i}"} for i in range(tenderer_list)
        ]
        for i in range(tenderer_list):
            parties[f"L{i}"] = {"id": f"L{i}", "name": f"Licitante {i}", "roles": ["tenderer"]}
    if period:
        tender["tenderPeriod"] = {"startDate": period[0], "endDate": period[1]}
    release_awards = []
    for a in awards:
        parties.setdefault(
            a["supplier"],
            {
                "id": a["supplier"],
                "name": a["supplier_name"],
                "roles": ["supplier"],
                "identifier": {"scheme": "MX-RFC", "id": a["supplier"]},
            },
        )
        release_awards.append(
            {
                "id": a["id"],
                "status": a["status"],
                "date": a["date"],
                "value": {"amount": a["amount"], "currency": a["currency"]},
                "suppliers": [{"id": a["supplier"], "name": a["supplier_name"]}],
            }
        )
    release = {
        "ocid": f"{PREFIX}-{name}",
        "id": f"{name}-{next(_releases)}",
        "date": "2024-06-01T00:00:00Z",
        "tag": ["tender", "award", "contract"],
        "initiationType": "tender",
        "parties": list(parties.values()),
        "buyer": {"id": buyer, "name": f"Comprador {buyer}"},
        "tender": tender,
    }
    if release_awards:
        release["awards"] = release_awards
    if contracts:
        release["contracts"] = list(contracts)
    return release


def load(publisher: Publisher, tmp_path, *releases: dict):
    """Import the releases as one release package with the app's own import service."""
    path = tmp_path / f"package-{next(_files)}.json"
    package = {
        "uri": "https://example.org/paquete.json",
        "publishedDate": "2024-06-02T00:00:00Z",
        "version": "1.1",
        "publisher": {"name": publisher.name},
        "releases": list(releases),
    }
    path.write_text(json.dumps(package), encoding="utf-8")
    import_ = run(publisher, path)
    assert import_.status == "done", import_.error
    return import_


def flags(name: str) -> dict[str, dict]:
    return dict(
        RedFlag.objects.filter(record__ocid=f"{PREFIX}-{name}").values_list("code", "details")
    )


# Indicators of one process


def test_r003_short_submission_period_below_the_method_minimum(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process("corto", period=("2024-01-01T00:00:00Z", "2024-01-15T00:00:00Z")),
        process("justo", period=("2024-01-01T00:00:00Z", "2024-01-16T00:00:00Z")),
        process(
            "restringido",
            method="limited",
            rationale="Art. 55",
            period=("2024-01-01T00:00:00Z", "2024-01-03T00:00:00Z"),
        ),
    )
    assert flags("corto")["R003"] == {"days": 14, "threshold": 15, "method": "open"}
    assert "R003" not in flags("justo")
    assert "R003" not in flags("restringido")  # no minimum configured for limited


def test_r003_minimum_days_come_from_settings(publisher, tmp_path, settings):
    settings.CONTRACTING_RED_FLAGS = {"R003_MIN_DAYS": {"open": 10, "limited": 5}}
    load(
        publisher,
        tmp_path,
        process("corto", period=("2024-01-01T00:00:00Z", "2024-01-15T00:00:00Z")),
        process(
            "restringido",
            method="limited",
            rationale="Art. 55",
            period=("2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z"),
        ),
    )
    assert "R003" not in flags("corto")
    assert flags("restringido")["R003"]["threshold"] == 5


def test_r010_non_competitive_method_without_published_rationale(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process("directa", method="direct"),
        process("justificada", method="direct", rationale="Artículo 73, fracción I"),
        process("abierta"),
    )
    assert flags("directa")["R010"] == {"method": "direct"}
    assert "R010" not in flags("justificada")
    assert "R010" not in flags("abierta")


def test_r018_single_tenderer_only_in_competitive_methods(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process("uno", tenderers=1),
        process("lista", tenderer_list=1),
        process("dos", tenderers=2),
        process("directa", method="direct", rationale="Art. 73", tenderers=1),
    )
    assert flags("uno")["R018"] == {"tenderers": 1, "method": "open"}
    assert "R018" in flags("lista")
    assert "R018" not in flags("dos")
    assert "R018" not in flags("directa")


def test_r049_direct_award_at_or_just_below_the_threshold(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process("limite", method="direct", rationale="x", awards=(award("a", 1_000_000),)),
        process("debajo", method="direct", rationale="x", awards=(award("a", 900_000),)),
        process("lejos", method="direct", rationale="x", awards=(award("a", 899_999),)),
        process("encima", method="direct", rationale="x", awards=(award("a", 1_000_001),)),
        process(
            "dolares",
            method="direct",
            rationale="x",
            awards=(award("a", 950_000, currency="USD"),),
        ),
        process("abierta", awards=(award("a", 950_000),)),
    )
    assert flags("limite")["R049"] == {
        "amount": "1,000,000.00",
        "currency": "MXN",
        "threshold": "1,000,000.00",
        "margin": "10",
    }
    assert "R049" in flags("debajo")
    assert "R049" not in flags("lejos")
    assert "R049" not in flags("encima")
    assert "R049" not in flags("dolares")  # no threshold for another currency
    assert "R049" not in flags("abierta")


def test_r049_thresholds_per_currency_from_settings(publisher, tmp_path, settings):
    settings.CONTRACTING_RED_FLAGS = {"DIRECT_AWARD_THRESHOLDS": {"USD": 50_000}}
    load(
        publisher,
        tmp_path,
        process(
            "dolares",
            method="direct",
            rationale="x",
            awards=(award("a", 49_000, currency="USD"),),
        ),
        process("pesos", method="direct", rationale="x", awards=(award("a", 950_000),)),
    )
    assert flags("dolares")["R049"]["threshold"] == "50,000.00"
    assert "R049" not in flags("pesos")


def test_r054_direct_award_whose_contract_exceeds_the_threshold(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process(
            "ampliada",
            method="direct",
            rationale="x",
            awards=(award("a", 800_000),),
            contracts=(contract("a", 1_000_000.01, amendments=1),),
        ),
        process(
            "igual",
            method="direct",
            rationale="x",
            awards=(award("a", 800_000),),
            contracts=(contract("a", 1_000_000),),
        ),
    )
    assert flags("ampliada")["R054"]["contract"] == "1,000,000.01"
    assert "R054" not in flags("igual")


def test_r059_contract_far_from_award_value_within_one_currency(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process("lejos", awards=(award("a", 100_000),), contracts=(contract("a", 121_000),)),
        process("borde", awards=(award("a", 100_000),), contracts=(contract("a", 120_000),)),
        process("menor", awards=(award("a", 100_000),), contracts=(contract("a", 79_000),)),
        process(
            "monedas",
            awards=(award("a", 100_000),),
            contracts=(contract("a", 300_000, currency="USD"),),
        ),
    )
    assert flags("lejos")["R059"]["percent"] == "21"
    assert "R059" not in flags("borde")
    assert "R059" in flags("menor")
    assert "R059" not in flags("monedas")


def test_r060_long_time_from_award_to_signature(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process(
            "tarde",
            awards=(award("a", 1000, date="2024-01-01T00:00:00Z"),),
            contracts=(contract("a", 1000, signed="2024-03-02T00:00:00Z"),),
        ),
        process(
            "borde",
            awards=(award("a", 1000, date="2024-01-01T00:00:00Z"),),
            contracts=(contract("a", 1000, signed="2024-03-01T00:00:00Z"),),
        ),
    )
    assert flags("tarde")["R060"] == {"days": 61, "threshold": 60}
    assert "R060" not in flags("borde")


def test_r061_r062_decision_period_too_short_or_too_long(publisher, tmp_path):
    period = ("2024-01-01T00:00:00Z", "2024-01-31T00:00:00Z")
    load(
        publisher,
        tmp_path,
        process("rapida", period=period, awards=(award("a", 1, date="2024-02-01T00:00:00Z"),)),
        process("normal", period=period, awards=(award("a", 1, date="2024-02-02T00:00:00Z"),)),
        process("lenta", period=period, awards=(award("a", 1, date="2024-05-31T00:00:00Z"),)),
        process("borde", period=period, awards=(award("a", 1, date="2024-05-30T00:00:00Z"),)),
    )
    assert flags("rapida")["R061"] == {"days": 1, "threshold": 2}
    assert not {"R061", "R062"} & set(flags("normal"))
    assert flags("lenta")["R062"] == {"days": 121, "threshold": 120}
    assert "R062" not in flags("borde")


def test_r063_award_without_contract_after_the_limit(publisher, tmp_path):
    now = timezone.now()
    old = (now - dt.timedelta(days=61, hours=1)).isoformat()
    recent = (now - dt.timedelta(days=60, hours=1)).isoformat()
    load(
        publisher,
        tmp_path,
        process("sin_contrato", awards=(award("a", 1, date=old),)),
        process("reciente", awards=(award("a", 1, date=recent),)),
        process("con_contrato", awards=(award("a", 1, date=old),), contracts=(contract("a", 1),)),
        process("cancelada", awards=(award("a", 1, date=old, status="cancelled"),)),
    )
    assert flags("sin_contrato")["R063"] == {"days": 61, "threshold": 60}
    assert "R063" not in flags("reciente")
    assert "R063" not in flags("con_contrato")
    assert "R063" not in flags("cancelada")


def test_r064_r069_amendments_and_price_increases(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process(
            "aumento",
            awards=(award("a", 100_000),),
            contracts=(contract("a", 110_000, amendments=2),),
        ),
        process(
            "sin_aumento",
            awards=(award("a", 100_000),),
            contracts=(contract("a", 100_000, amendments=1),),
        ),
        process(
            "sin_modificar",
            awards=(award("a", 100_000),),
            contracts=(contract("a", 110_000),),
        ),
    )
    assert flags("aumento")["R064"] == {"amendments": 2, "threshold": 1}
    assert flags("aumento")["R069"]["percent"] == "10"
    assert "R064" in flags("sin_aumento")
    assert "R069" not in flags("sin_aumento")
    assert not {"R064", "R069"} & set(flags("sin_modificar"))


def test_r068_payments_above_contract_amount_same_currency_only(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process(
            "excede",
            awards=(award("a", 100),),
            contracts=(contract("a", 100, paid=((60, "MXN"), (40.01, "MXN"))),),
        ),
        process(
            "completo",
            awards=(award("a", 100),),
            contracts=(contract("a", 100, paid=((60, "MXN"), (40, "MXN"))),),
        ),
        process(
            "otra_moneda",
            awards=(award("a", 100),),
            contracts=(contract("a", 100, paid=((500, "USD"),)),),
        ),
    )
    assert flags("excede")["R068"] == {
        "paid": "100.01",
        "contract": "100.00",
        "currency": "MXN",
        "threshold": "0",
    }
    assert "R068" not in flags("completo")
    assert "R068" not in flags("otra_moneda")


# Indicators over a buyer or a market (aggregates of the publisher's processes)


def test_r013_high_share_of_non_competitive_processes_of_a_buyer(publisher, tmp_path):
    releases = [process(f"a{i}", buyer="SEC-A", method="direct", rationale="x") for i in range(3)]
    releases += [process(f"a{i}", buyer="SEC-A") for i in range(3, 6)]
    releases += [process(f"b{i}", buyer="SEC-B", method="direct", rationale="x") for i in range(2)]
    releases += [process(f"b{i}", buyer="SEC-B") for i in range(2, 5)]
    load(publisher, tmp_path, *releases)
    assert flags("a0")["R013"]["percent"] == "50"  # 3 of 6: at the threshold
    assert "R013" not in flags("a3")  # the open processes themselves are not flagged
    assert "R013" not in flags("b0")  # 2 of 5


def test_r019_few_tenderers_compared_with_the_buyer_and_classification(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        process("pocos", buyer="SEC-A", tenderers=2),
        *[process(f"a{i}", buyer="SEC-A", tenderers=6) for i in range(3)],
        process("borde", buyer="SEC-B", tenderers=3),
        *[process(f"b{i}", buyer="SEC-B", tenderers=7) for i in range(3)],
        process("otra", buyer="SEC-A", tenderers=1, classification="C-99"),
    )
    details = flags("pocos")["R019"]
    assert details["average"] == "5.0" and details["processes"] == 4
    assert "R019" not in flags("borde")  # 3 = 50 % of an average of 6
    assert "R019" not in flags("otra")  # alone in its classification


def test_r040_r051_buyer_concentrated_on_one_supplier(publisher, tmp_path):
    releases = [
        process(f"x{i}", buyer="SEC-A", awards=(award("a", 100_000, supplier="X"),))
        for i in range(3)
    ]
    releases += [
        process(f"y{i}", buyer="SEC-A", awards=(award("a", 100_000, supplier=f"Y{i}"),))
        for i in range(2)
    ]
    releases += [
        process(f"z{i}", buyer="SEC-B", awards=(award("a", 100_000, supplier=f"Z{i % 3}"),))
        for i in range(5)
    ]
    load(publisher, tmp_path, *releases)
    assert flags("x0")["R040"] == {
        "supplier": "Proveedor X",
        "won": 3,
        "processes": 5,
        "percent": "60",
        "threshold": "50",
    }
    assert "R040" not in flags("y0")
    assert "R040" not in flags("z0")  # 2 of 5 at most
    # SEC-A: 60 %² + 20 %² + 20 %² = 4400; SEC-B: 40 %² + 40 %² + 20 %² = 3600.
    assert flags("y0")["R051"] == {"hhi": 4400, "currency": "MXN", "threshold": 2500}
    assert flags("z0")["R051"]["hhi"] == 3600


def test_r051_threshold_from_settings(publisher, tmp_path, settings):
    settings.CONTRACTING_RED_FLAGS = {"R051_MIN_HHI": 4000}
    load(
        publisher,
        tmp_path,
        *[
            process(f"z{i}", buyer="SEC-B", awards=(award("a", 100_000, supplier=f"Z{i % 3}"),))
            for i in range(5)
        ],
    )
    assert "R051" not in flags("z0")


def test_r050_market_share_is_computed_within_a_currency(publisher, tmp_path):
    releases = [
        process(f"m{i}", buyer=f"SEC-{i}", awards=(award("a", 100, supplier=f"M{i}"),))
        for i in range(4)
    ]
    releases.append(process("grande", buyer="SEC-9", awards=(award("a", 400, supplier="G"),)))
    # A huge amount in dollars must not dilute nor join the peso market.
    releases += [
        process(
            f"d{i}", buyer=f"SEC-{i}", awards=(award("a", 10**6, currency="USD", supplier="G"),)
        )
        for i in range(2)
    ]
    load(publisher, tmp_path, *releases)
    assert flags("grande")["R050"] == {
        "supplier": "Proveedor G",
        "percent": "50",
        "market": "bienes",
        "currency": "MXN",
        "threshold": "30",
    }
    assert "R050" not in flags("m0")  # 12.5 %
    assert "R050" not in flags("d0")  # the dollar market has 2 processes only


def test_r055_repeated_direct_awards_just_below_threshold_to_one_supplier(publisher, tmp_path):
    load(
        publisher,
        tmp_path,
        *[
            process(
                f"r{i}",
                method="direct",
                rationale="x",
                awards=(award("a", 950_000 + i, supplier="R"),),
            )
            for i in range(3)
        ],
        *[
            process(
                f"s{i}",
                method="direct",
                rationale="x",
                awards=(award("a", 950_000, supplier="S"),),
            )
            for i in range(2)
        ],
    )
    assert flags("r2")["R055"] == {"awards": 3, "supplier": "Proveedor R", "threshold": 3}
    assert "R055" not in flags("s0")


def test_r011_direct_awards_in_one_month_that_together_exceed_the_threshold(publisher, tmp_path):
    def direct(name, amount, date, supplier="D"):
        return process(
            name,
            method="direct",
            rationale="x",
            awards=(award("a", amount, supplier=supplier, date=date),),
        )

    load(
        publisher,
        tmp_path,
        direct("d1", 600_000, "2024-03-02T00:00:00Z"),
        direct("d2", 400_000.01, "2024-03-28T00:00:00Z"),
        direct("d3", 600_000, "2024-04-02T00:00:00Z"),  # another month
        direct("e1", 600_000, "2024-03-02T00:00:00Z", supplier="E"),
        direct("e2", 400_000, "2024-03-28T00:00:00Z", supplier="E"),  # exactly the threshold
    )
    assert flags("d1")["R011"] == {
        "awards": 2,
        "supplier": "Proveedor D",
        "month": "2024-03",
        "total": "1,000,000.01",
        "currency": "MXN",
        "threshold": "1,000,000.00",
    }
    assert "R011" in flags("d2")
    assert "R011" not in flags("d3")
    assert "R011" not in flags("e1")


def test_r052_small_first_award_then_much_larger_ones(publisher, tmp_path):
    def awarded(name, amount, date, supplier="F", currency="MXN"):
        return process(
            name,
            awards=(award("a", amount, supplier=supplier, date=date, currency=currency),),
        )

    load(
        publisher,
        tmp_path,
        awarded("primera", 10_000, "2024-01-01T00:00:00Z"),
        awarded("grande", 100_000, "2024-02-01T00:00:00Z"),
        awarded("menor", 99_999, "2024-03-01T00:00:00Z"),
        awarded("dolares", 10**6, "2024-04-01T00:00:00Z", currency="USD"),
    )
    assert flags("grande")["R052"] == {
        "amount": "100,000.00",
        "currency": "MXN",
        "supplier": "Proveedor F",
        "factor": "10.0",
        "first": "10,000.00",
        "first_date": "2024-01-01",
        "threshold": 10,
    }
    assert "R052" not in flags("primera")
    assert "R052" not in flags("menor")
    assert "R052" not in flags("dolares")  # the first award in dollars is itself


# Storage, command and import hook


def test_refresh_replaces_flags_when_thresholds_change(publisher, tmp_path, settings):
    load(publisher, tmp_path, process("uno", tenderers=1))
    assert "R018" in flags("uno")
    settings.CONTRACTING_RED_FLAGS = {"R060_MAX_DAYS": 1}
    load(
        publisher,
        tmp_path,
        process(
            "dos",
            awards=(award("a", 1, date="2024-01-01T00:00:00Z"),),
            contracts=(contract("a", 1, signed="2024-01-03T00:00:00Z"),),
        ),
    )
    assert flags("dos")["R060"]["threshold"] == 1
    assert RedFlag.objects.filter(record__ocid=f"{PREFIX}-uno", code="R018").count() == 1


def test_refresh_of_one_publisher_keeps_the_others_flags(publisher, tmp_path, jalisco):
    load(publisher, tmp_path, process("uno", tenderers=1))
    record = Record.objects.get(ocid=f"{PREFIX}-uno")
    other = Record.objects.create(
        ocid="ocds-xs1qbl-otro",
        publisher=jalisco,
        compiled_release=record.compiled_release,
        updated_at=timezone.now(),
    )
    redflags.refresh(jalisco)
    assert other.red_flags.filter(code="R018").exists()
    RedFlag.objects.filter(record=record).delete()
    counts = redflags.refresh(PREFIX)
    assert counts == {"R018": 1}
    assert other.red_flags.filter(code="R018").exists()


def test_compute_red_flags_command(publisher, tmp_path):
    load(publisher, tmp_path, process("uno", tenderers=1))
    RedFlag.objects.all().delete()
    out = StringIO()
    call_command("compute_red_flags", "--publisher", PREFIX, stdout=out)
    assert "R018: 1" in out.getvalue()
    assert flags("uno")["R018"]
    with pytest.raises(CommandError, match="ocds-nadie"):
        call_command("compute_red_flags", "--publisher", "ocds-nadie")


def test_malformed_fields_never_break_the_computation(publisher, tmp_path):
    bad = process("malo", tenderers=1, awards=(award("a", 5),), contracts=(contract("a", 5),))
    bad["tender"]["tenderPeriod"] = {"startDate": "mañana", "endDate": 7}
    bad["awards"][0]["value"] = {"amount": "mucho", "currency": None}
    bad["contracts"][0]["implementation"] = {"transactions": ["x", {"value": 3}]}
    bad["tender"]["numberOfTenderers"] = True
    load(publisher, tmp_path, bad)
    assert Record.objects.filter(ocid=f"{PREFIX}-malo").exists()
    assert "R003" not in flags("malo")


# The demo: Jalisco's real 2018 data


@pytest.fixture
def demo(db):
    load_demo(JALISCO.parent)


def test_demo_flags_match_the_published_data(demo):
    raised = {}
    for code, ocid in RedFlag.objects.values_list("code", "record__ocid"):
        raised.setdefault(code, set()).add(ocid.removeprefix("ocds-xs1qbl-"))
    # Every Jalisco process is an open tender with at least 2 tenderers and a rationale, and
    # none publishes a tender period: no single-bidder, method or period signal.
    assert not {"R003", "R010", "R011", "R013", "R018", "R049", "R054", "R055"} & set(raised)
    # Contracts signed 85, 156 and 138 days after the award.
    assert raised["R060"] == {
        "SFIN-03-0001-00-2017",
        "SFIN-03-0016-00-2017",
        "SSEG-16-0252-00-2017",
    }
    # SFIN-03-0001: four payments of 11,275,200 MXN against a 9,396,000 MXN contract; the
    # others pay exactly the contract amount (rounded alike) and are not flagged.
    assert raised["R068"] == {"SFIN-03-0001-00-2017"}
    # COFORMEX holds 82 % of the goods awarded in the sample.
    assert raised["R050"] == {"SFIN-03-0001-00-2017"}
    # SEPAF's purchases concentrate on two printers: Herfindahl-Hirschman index 4,240.
    assert raised["R051"] == {
        f"SFIN-03-{n}-00-2017" for n in ("0001", "0007", "0012", "0013", "0016")
    }
    # GENERICOS DE LIMPIEZA went from 71,497.76 to 657,640.95 MXN: 9.2 times, under 10.
    assert "R052" not in raised
    details = RedFlag.objects.get(code="R050").details
    assert details["supplier"] == "COFORMEX, S.A. DE C.V." and details["percent"] == "82.4"


# Pages and JSON


def test_definitions_page_lists_every_indicator_with_counts(client, demo):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("contracting:red_flags"))
    assert len(queries) <= 2  # the counts, and the session's user at most
    assert response.status_code == 200
    html = response.content.decode()
    for code, indicator in redflags.DEFINITIONS.items():
        assert f'id="{code}"' in html
        assert str(indicator.title) in html
    r060 = html.split('id="R060"')[1].split("</tr>")[0]
    assert ">3<" in r060
    assert "no calculable con los datos publicados".lower() in html.lower()
    assert "<caption>" in html


def test_indicator_page_lists_the_processes_with_constant_queries(
    client, publisher, tmp_path, settings
):
    settings.CONTRACTING_PAGE_SIZE = 50
    load(publisher, tmp_path, *[process(f"p{i}", tenderers=1) for i in range(3)])
    url = reverse("contracting:red_flag", args=["R018"])
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    html = response.content.decode()
    assert "3 procesos presentan esta señal" in html
    assert "1 licitante en un proceso con método abierto" in html
    assert f"{PREFIX}-p0" in html
    assert reverse("contracting:process", args=[f"{PREFIX}-p0"]) in html
    load(publisher, tmp_path, *[process(f"q{i}", tenderers=1) for i in range(30)])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "33 procesos presentan esta señal" in response.content.decode()
    assert len(many) == len(few)


def test_indicator_page_paginates(client, publisher, tmp_path, settings):
    settings.CONTRACTING_PAGE_SIZE = 2
    load(publisher, tmp_path, *[process(f"p{i}", tenderers=1) for i in range(3)])
    url = reverse("contracting:red_flag", args=["R018"])
    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert "Página 1 de 2" in first and 'rel="next"' in first
    assert f"{PREFIX}-p2" in second and f"{PREFIX}-p0" not in second


def test_unknown_indicator_is_404_and_uncomputable_one_says_why(client, db):
    assert client.get(reverse("contracting:red_flag", args=["R999"])).status_code == 404
    html = client.get(reverse("contracting:red_flag", args=["R024"])).content.decode()
    assert "extensión bids" in html


def test_pages_are_public_and_read_only(client, db):
    for url in (
        reverse("contracting:red_flags"),
        reverse("contracting:red_flags_json"),
        reverse("contracting:red_flag", args=["R018"]),
    ):
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 405


def test_definitions_json_has_counts_thresholds_and_fields(client, demo, settings):
    settings.CONTRACTING_RED_FLAGS = {"R060_MAX_DAYS": 90}
    data = client.get(reverse("contracting:red_flags_json")).json()
    by_code = {item["code"]: item for item in data["indicators"]}
    assert set(by_code) == set(redflags.DEFINITIONS)
    assert by_code["R060"]["processes"] == 3
    assert by_code["R060"]["thresholds"] == {"R060_MAX_DAYS": 90}
    assert "contracts.dateSigned" in by_code["R060"]["fields"]
    assert by_code["R028"]["computable"] is False and by_code["R028"]["whyNotComputable"]


def test_process_json_carries_the_flags(client, demo):
    url = reverse("contracting:ocid_process", args=["ocds-xs1qbl-SFIN-03-0001-00-2017"])
    data = client.get(url).json()
    by_code = {flag["code"]: flag for flag in data["redFlags"]}
    assert by_code["R060"]["details"] == {"days": 85, "threshold": 60}
    assert by_code["R060"]["reason"] == "firma 85 días después de la adjudicación, umbral 60 días"
    assert by_code["R060"]["title"] == str(redflags.DEFINITIONS["R060"].title)


def test_hostile_supplier_names_are_escaped(client, publisher, tmp_path):
    hostile = '<script>alert("x")</script>'
    load(
        publisher,
        tmp_path,
        *[
            process(
                f"h{i}",
                awards=(award("a", 100, supplier="H", supplier_name=hostile),),
            )
            for i in range(5)
        ],
    )
    html = client.get(reverse("contracting:red_flag", args=["R040"])).content.decode()
    assert hostile not in html
    assert "&lt;script&gt;" in html
    include = render_to_string(
        "contracting/_red_flags.html",
        {"flags": RedFlag.objects.filter(record__ocid=f"{PREFIX}-h0")},
    )
    assert hostile not in include and "&lt;script&gt;" in include


def test_flags_include_explains_or_says_none(db):
    empty = render_to_string("contracting/_red_flags.html", {"flags": []})
    assert "No se calculó ninguna señal de riesgo para este proceso." in empty
    assert reverse("contracting:red_flags") in empty
    flag = RedFlag(code="R003", details={"days": 5, "threshold": 15, "method": "open"})
    html = render_to_string("contracting/_red_flags.html", {"flags": [flag]})
    assert "periodo de 5 días, umbral 15 días (método abierto)" in html
    assert reverse("contracting:red_flag", args=["R003"]) in html
