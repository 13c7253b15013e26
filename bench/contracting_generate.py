"""Generate OCDS 1.1 release packages at state or national scale, for the contracting benchmark.

One big release package (`{"uri": …, "releases": [ … ]}`) written release by release, so memory
stays flat whatever the size: state scale (100,000 releases, the buyers of one state) or
national scale (1,000,000, buyers of the 32 states and federal agencies). Seeded: the same
arguments give the same bytes.

Each contracting process gets the releases of the stages it reaches — planning (budget),
tender (items, tenderers, documents), sometimes a tender amendment, award, contract and
implementation releases (payments) — with dates moving forward over the years 2019-2025.
Processes are interleaved the way a chronological feed is (a window of open processes, one
release at a time), so a process's releases are spread over the file. Parties carry RFC
identifiers (scheme MX-RFC); amounts are in MXN with some USD; a few suppliers win much of
their buyers' business (so the market red flags have something to find).

    .venv/bin/python bench/contracting_generate.py --releases 100000
    .venv/bin/python bench/contracting_generate.py --scale national     # 1,000,000 releases
    .venv/bin/python bench/contracting_generate.py --releases 10000 --check 200  # + validate
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

OUT_DIR = common.PROJECT_DIR / "var" / "bench" / "ocds"
PREFIX = "ocds-mxbnch"
SCALES = {"state": 100_000, "national": 1_000_000}
# Open processes whose releases are interleaved in the feed.
WINDOW = 64
TZ = dt.timezone(dt.timedelta(hours=-6))
FIRST_DAY = dt.datetime(2019, 1, 7, 9, 0, tzinfo=TZ)
LAST_START_DAYS = 6 * 365  # processes start in 2019-2024 and end by 2025-2026

STATES = [
    ("Aguascalientes", "AGS"), ("Baja California", "BC"), ("Baja California Sur", "BCS"),
    ("Campeche", "CAM"), ("Coahuila", "COA"), ("Colima", "COL"), ("Chiapas", "CHS"),
    ("Chihuahua", "CHH"), ("Ciudad de México", "CDMX"), ("Durango", "DGO"),
    ("Guanajuato", "GTO"), ("Guerrero", "GRO"), ("Hidalgo", "HGO"), ("Jalisco", "JAL"),
    ("Estado de México", "MEX"), ("Michoacán", "MICH"), ("Morelos", "MOR"), ("Nayarit", "NAY"),
    ("Nuevo León", "NL"), ("Oaxaca", "OAX"), ("Puebla", "PUE"), ("Querétaro", "QRO"),
    ("Quintana Roo", "QROO"), ("San Luis Potosí", "SLP"), ("Sinaloa", "SIN"), ("Sonora", "SON"),
    ("Tabasco", "TAB"), ("Tamaulipas", "TAMPS"), ("Tlaxcala", "TLAX"), ("Veracruz", "VER"),
    ("Yucatán", "YUC"), ("Zacatecas", "ZAC"),
]  # fmt: skip
AGENCIES = [
    "Secretaría de Administración", "Secretaría de Salud", "Secretaría de Educación",
    "Secretaría de Infraestructura y Obra Pública", "Secretaría de Seguridad",
    "Secretaría de la Hacienda Pública", "Secretaría de Cultura", "Secretaría de Turismo",
    "Secretaría de Desarrollo Económico", "Secretaría de Medio Ambiente",
    "Secretaría de Agricultura y Desarrollo Rural", "Secretaría de Transporte",
    "Fiscalía del Estado", "Sistema DIF", "Instituto de Pensiones del Estado",
    "Comisión Estatal del Agua", "Servicios de Salud", "Universidad Tecnológica",
    "Instituto de la Infraestructura Física Educativa", "Consejo Estatal de Ciencia y Tecnología",
]  # fmt: skip
FEDERAL = [
    "Instituto Mexicano del Seguro Social", "Comisión Federal de Electricidad",
    "Secretaría de Comunicaciones y Transportes", "Secretaría de Salud (federal)",
    "Instituto de Seguridad y Servicios Sociales de los Trabajadores del Estado",
    "Comisión Nacional del Agua", "Secretaría de la Defensa Nacional", "Petróleos Mexicanos",
    "Aeropuerto Internacional de la Ciudad de México", "Secretaría de Educación Pública",
]  # fmt: skip
SUPPLIER_WORDS = [
    "Distribuidora", "Comercializadora", "Constructora", "Servicios", "Grupo", "Suministros",
    "Tecnologías", "Soluciones", "Consultores", "Laboratorios", "Medicamentos", "Papelería",
    "Materiales", "Ingeniería", "Proveedora", "Farmacéutica", "Limpieza", "Transportes",
]  # fmt: skip
SUPPLIER_PLACES = [
    "del Bajío", "de Occidente", "del Norte", "del Pacífico", "Integral", "Mexicana",
    "Tapatía", "del Centro", "Regional", "Industrial", "Nacional", "del Sureste", "Azteca",
]  # fmt: skip
FORMS = ["S.A. de C.V.", "S. de R.L. de C.V.", "S.A.P.I. de C.V.", "S.C."]
GIVEN = ["José", "María", "Juan", "Guadalupe", "Luis", "Ana", "Jorge", "Rosa", "Miguel", "Elena"]
FAMILY = ["García", "Hernández", "López", "Martínez", "González", "Pérez", "Rodríguez", "Sánchez"]
# (category, UNSPSC id, description, unit)
ITEMS = [
    ("goods", "42131600", "Guantes de exploración de látex", "Caja"),
    ("goods", "51101500", "Antibióticos (amoxicilina 500 mg)", "Caja"),
    ("goods", "44121600", "Papel bond tamaño carta", "Paquete"),
    ("goods", "43211500", "Computadoras de escritorio", "Pieza"),
    ("goods", "25101500", "Vehículos de pasajeros", "Pieza"),
    ("goods", "47131800", "Soluciones de limpieza", "Litro"),
    ("goods", "15101500", "Gasolina y diésel", "Litro"),
    ("goods", "50192900", "Despensas alimentarias", "Pieza"),
    ("goods", "53102700", "Uniformes", "Pieza"),
    ("services", "81112000", "Servicios de datos en línea", "Servicio"),
    ("services", "76111500", "Servicio de limpieza de edificios", "Mes"),
    ("services", "92121500", "Servicios de vigilancia", "Mes"),
    ("services", "80101500", "Consultoría de gestión", "Servicio"),
    ("services", "78111800", "Arrendamiento de vehículos", "Mes"),
    ("works", "72141100", "Pavimentación de calles", "Obra"),
    ("works", "72121400", "Construcción de centro de salud", "Obra"),
    ("works", "72101500", "Mantenimiento de escuelas", "Obra"),
    ("works", "72141500", "Obras de drenaje y agua potable", "Obra"),
]
METHODS = [("open", 0.45), ("selective", 0.2), ("limited", 0.1), ("direct", 0.25)]
METHOD_DETAILS = {
    "open": "Licitación Pública",
    "selective": "Invitación a cuando menos tres personas",
    "limited": "Concurso por invitación restringida",
    "direct": "Adjudicación directa",
}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
HOMOCLAVE = LETTERS + "0123456789"


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _rfc(rng: random.Random, letters: int) -> str:
    """An RFC of the right shape: 3 letters (company) or 4 (person), YYMMDD, a homoclave."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(20_000))
    head = "".join(rng.choice(LETTERS) for _ in range(letters))
    return f"{head}{born:%y%m%d}{''.join(rng.choice(HOMOCLAVE) for _ in range(3))}"


class World:
    """Buyers and suppliers, drawn once from the seed."""

    def __init__(self, rng: random.Random, scale: str) -> None:
        self.rng = rng
        states = [("Jalisco", "JAL")] if scale == "state" else STATES
        self.buyers = []
        for state, code in states:
            for agency in AGENCIES:
                name = f"{agency} del Gobierno del Estado de {state}"
                self.buyers.append(self._org(name, "Guadalajara" if code == "JAL" else state, 3))
        if scale == "national":
            for name in FEDERAL:
                self.buyers.append(self._org(name, "Ciudad de México", 3))
        count = 4_000 if scale == "state" else 40_000
        self.suppliers = []
        seen = set()
        while len(self.suppliers) < count:
            if rng.random() < 0.15:  # a person with business activity
                name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)} {rng.choice(FAMILY)}"
                letters = 4
            else:
                name = (
                    f"{rng.choice(SUPPLIER_WORDS)} {rng.choice(SUPPLIER_WORDS)} "
                    f"{rng.choice(SUPPLIER_PLACES)}"
                )
                letters = 3
            name = f"{name} {len(self.suppliers) + 1}" if name in seen else name
            seen.add(name)
            if letters == 3:
                name = f"{name}, {rng.choice(FORMS)}"
            state = rng.choice(states)[0]
            self.suppliers.append(self._org(name, state, letters))
        # A few suppliers win much of the business (Zipf-like weights).
        self.cum_weights = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(count)))
        # Each buyer has its own favourites, which wins concentration flags.
        self.favourites = {buyer["id"]: rng.sample(range(count), 3) for buyer in self.buyers}

    def _org(self, name: str, locality: str, letters: int) -> dict:
        rfc = _rfc(self.rng, letters)
        return {
            "id": f"MX-RFC-{rfc}",
            "name": name,
            "identifier": {"scheme": "MX-RFC", "id": rfc, "legalName": name},
            "address": {
                "streetAddress": f"Av. Hidalgo {self.rng.randrange(1, 3000)}",
                "locality": locality,
                "postalCode": f"{self.rng.randrange(1000, 99999):05d}",
                "countryName": "México",
            },
        }

    def supplier(self, buyer_id: str) -> dict:
        if self.rng.random() < 0.3:
            return self.suppliers[self.rng.choice(self.favourites[buyer_id])]
        return self.rng.choices(self.suppliers, cum_weights=self.cum_weights)[0]


def _ref(org: dict) -> dict:
    return {"id": org["id"], "name": org["name"]}


def _party(org: dict, roles: list[str]) -> dict:
    return {**org, "roles": roles}


def _value(amount: float, currency: str) -> dict:
    return {"amount": round(amount, 2), "currency": currency}


def process(world: World, rng: random.Random, number: int) -> list[dict]:
    """All the releases of one contracting process, in order."""
    start = FIRST_DAY + dt.timedelta(
        days=rng.randrange(LAST_START_DAYS), minutes=rng.randrange(600)
    )
    year = start.year
    ocid = f"{PREFIX}-{year}-{number:07d}"
    buyer = rng.choice(world.buyers)
    method = rng.choices([m for m, _ in METHODS], weights=[w for _, w in METHODS])[0]
    category, code, description, unit = rng.choice(ITEMS)
    currency = "USD" if rng.random() < 0.05 else "MXN"
    scale = {"goods": 400_000, "services": 900_000, "works": 4_000_000}[category]
    estimate = rng.lognormvariate(0, 1.1) * scale / (18 if currency == "USD" else 1)
    quantity = rng.randrange(1, 500)
    title = f"{description} para {buyer['name'].split(' del ')[0]}"
    base = {"ocid": ocid, "initiationType": "tender", "language": "es"}
    buyer_party = _party(buyer, ["buyer", "procuringEntity"])
    releases: list[dict] = []
    day = start

    def release(tag: str, moment: dt.datetime, parties: list[dict], **fields) -> None:
        releases.append(
            {
                **base,
                "id": f"{ocid}-{tag}-{len(releases) + 1}",
                "date": _iso(moment),
                "tag": [tag],
                "parties": parties,
                "buyer": _ref(buyer),
                **fields,
            }
        )

    if rng.random() < 0.7:
        release(
            "planning",
            day,
            [buyer_party],
            planning={
                "rationale": f"Programa anual de adquisiciones {year}",
                "budget": {
                    "id": f"PP-{year}-{rng.randrange(1000, 9999)}",
                    "description": f"Partida {rng.randrange(2000, 6000)}",
                    "amount": _value(estimate * rng.uniform(1.0, 1.2), currency),
                    "projectID": f"{year}-{code}",
                },
            },
        )
        day += dt.timedelta(days=rng.randrange(10, 90))
    if rng.random() < 0.05 and releases:
        return releases  # planned, never tendered
    competitive = method in ("open", "selective")
    period_days = rng.choice([5, 10, 12, 15, 20, 25, 30]) if competitive else rng.randrange(1, 8)
    tender_end = day + dt.timedelta(days=period_days)
    bidders = (
        [world.supplier(buyer["id"]) for _ in range(rng.choice([1, 2, 3, 3, 4, 5, 6]))]
        if competitive
        else [world.supplier(buyer["id"])]
    )
    bidders = list({b["id"]: b for b in bidders}.values())
    tender = {
        "id": f"{ocid}-T",
        "title": title,
        "description": f"Adquisición de {description.lower()} ({quantity} {unit.lower()})",
        "status": "active",
        "procuringEntity": _ref(buyer),
        "items": [
            {
                "id": "1",
                "description": description,
                "classification": {"scheme": "UNSPSC", "id": code, "description": description},
                "quantity": quantity,
                "unit": {"name": unit, "value": _value(estimate / quantity, currency)},
            }
        ],
        "value": _value(estimate, currency),
        "procurementMethod": method,
        "procurementMethodDetails": METHOD_DETAILS[method],
        "mainProcurementCategory": category,
        "tenderPeriod": {"startDate": _iso(day), "endDate": _iso(tender_end)},
        "numberOfTenderers": len(bidders),
        "tenderers": [_ref(b) for b in bidders],
        "documents": [
            {
                "id": f"{ocid}-convocatoria",
                "documentType": "tenderNotice",
                "title": "Convocatoria",
                "url": f"https://compras.example.gob.mx/documentos/{ocid}/convocatoria.pdf",
                "datePublished": _iso(day),
                "format": "application/pdf",
                "language": "es",
            }
        ],
    }
    if not competitive and rng.random() < 0.7:
        tender["procurementMethodRationale"] = "Artículo 73 de la Ley de Compras Gubernamentales"
    tender_parties = [buyer_party, *(_party(b, ["tenderer"]) for b in bidders)]
    release("tender", day, tender_parties, tender=tender)
    if rng.random() < 0.2:
        tender_end += dt.timedelta(days=rng.randrange(3, 15))
        amended = {
            "id": tender["id"],
            "tenderPeriod": {"startDate": _iso(day), "endDate": _iso(tender_end)},
            "amendments": [
                {
                    "id": "1",
                    "date": _iso(day + dt.timedelta(days=2)),
                    "rationale": "Se amplía el plazo por la junta de aclaraciones",
                }
            ],
        }
        release("tenderAmendment", day + dt.timedelta(days=2), [buyer_party], tender=amended)
    if rng.random() < 0.12:
        return releases  # deserted or still in tender
    winner = rng.choice(bidders)
    award_day = tender_end + dt.timedelta(days=rng.choice([1, 3, 7, 15, 30, 60, 150]))
    awarded = estimate * rng.uniform(0.8, 1.05)
    award = {
        "id": f"{ocid}-A1",
        "title": title,
        "status": "active",
        "date": _iso(award_day),
        "value": _value(awarded, currency),
        "suppliers": [_ref(winner)],
    }
    supplier_party = _party(winner, ["tenderer", "supplier"])
    release(
        "award",
        award_day,
        [buyer_party, supplier_party],
        tender={"id": tender["id"], "status": "complete"},
        awards=[award],
    )
    if rng.random() < 0.15:
        return releases  # awarded, contract not published
    signed = award_day + dt.timedelta(days=rng.choice([2, 5, 10, 20, 45, 90]))
    end = signed + dt.timedelta(days=rng.randrange(30, 365))
    contract_value = awarded * (1 if rng.random() < 0.85 else rng.uniform(1.05, 1.4))
    contract = {
        "id": f"{ocid}-C1",
        "awardID": award["id"],
        "title": title,
        "status": "active",
        "period": {"startDate": _iso(signed), "endDate": _iso(end)},
        "value": _value(contract_value, currency),
        "dateSigned": _iso(signed),
    }
    if rng.random() < 0.1:
        contract["amendments"] = [
            {
                "id": "1",
                "date": _iso(signed + dt.timedelta(days=20)),
                "rationale": "Convenio modificatorio de monto",
            }
        ]
    release("contract", signed, [buyer_party, supplier_party], contracts=[contract])
    if rng.random() < 0.4:
        return releases
    paid = 0.0
    transactions = []
    for n in range(rng.randrange(1, 4)):
        day = signed + dt.timedelta(days=30 * (n + 1))
        amount = contract_value * rng.uniform(0.2, 0.5)
        paid += amount
        transactions.append(
            {
                "id": f"{ocid}-P{n + 1}",
                "source": "https://finanzas.example.gob.mx/pagos",
                "date": _iso(day),
                "value": _value(amount, currency),
                "payer": _ref(buyer),
                "payee": _ref(winner),
            }
        )
        release(
            "implementation",
            day,
            [
                _party(buyer, ["buyer", "procuringEntity", "payer"]),
                _party(winner, ["tenderer", "supplier", "payee"]),
            ],
            contracts=[
                {
                    "id": contract["id"],
                    "awardID": award["id"],
                    "implementation": {"transactions": list(transactions)},
                }
            ],
        )
    return releases


def releases(total: int, scale: str, seed: int) -> Iterator[dict]:
    """`total` releases, processes interleaved through a window of open ones."""
    rng = random.Random(seed)
    world = World(rng, scale)
    window: list[list[dict]] = []
    made = number = 0
    while made < total:
        while len(window) < WINDOW:
            number += 1
            window.append(process(world, rng, number))
        index = rng.randrange(len(window))
        pending = window[index]
        yield pending.pop(0)
        made += 1
        if not pending:
            window[index] = window[-1]
            window.pop()


def write(path: Path, total: int, scale: str, seed: int) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    started = time.perf_counter()
    ocids = set()
    count = 0
    with tmp.open("w", encoding="utf-8") as out:
        header = {
            "uri": f"https://contrataciones.example.gob.mx/bench/{path.name}",
            "version": "1.1",
            "publishedDate": "2026-11-01T00:00:00-06:00",
            "publisher": {
                "name": "Benchmark de Abierto",
                "scheme": "MX-RFC",
                "uid": "ABI010101AB1",
            },
            "license": "https://creativecommons.org/licenses/by/4.0/",
            "publicationPolicy": "https://contrataciones.example.gob.mx/politica",
        }
        out.write(json.dumps(header, ensure_ascii=False)[:-1] + ',"releases":[\n')
        for release in releases(total, scale, seed):
            if count:
                out.write(",\n")
            out.write(json.dumps(release, ensure_ascii=False, separators=(",", ":")))
            ocids.add(release["ocid"])
            count += 1
        out.write("\n]}\n")
    tmp.replace(path)
    info = {
        "path": str(path),
        "releases": count,
        "processes": len(ocids),
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
        "seed": seed,
        "scale": scale,
    }
    path.with_suffix(".info.json").write_text(json.dumps(info, indent=2))
    return info


def check(path: Path, sample: int) -> int:
    """Validate the first `sample` releases with the platform's own checks; count errors."""
    import ijson

    common.setup_django(common.database_url(None))
    from abierto.contracting import validation

    now = dt.datetime.now(dt.UTC)
    bad = 0
    with path.open("rb") as fh:
        for n, release in enumerate(ijson.items(fh, "releases.item", use_float=True)):
            if n >= sample:
                break
            issues = [
                i for i in validation.release_issues(release, now=now) if i.severity != "info"
            ]
            if issues:
                bad += 1
                if bad <= 5:
                    print(release["id"], [(i.type, i.path, i.message) for i in issues[:5]])
    print(f"checked {min(n, sample)} releases: {bad} with errors or warnings")
    return bad


def default_path(total: int) -> Path:
    return OUT_DIR / f"releases_{total}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="state")
    parser.add_argument("--releases", type=int, help="default: 100,000 (state), 1,000,000")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--out", type=Path, help="default: var/bench/ocds/releases_N.json")
    parser.add_argument("--check", type=int, default=0, help="validate the first N releases")
    args = parser.parse_args(argv)
    total = args.releases or SCALES[args.scale]
    path = args.out or default_path(total)
    info = write(path, total, args.scale, args.seed)
    print(
        f"{info['releases']:,} releases of {info['processes']:,} processes, "
        f"{info['bytes'] / 1e6:.1f} MB in {info['seconds']} s: {path}"
    )
    if args.check:
        return 1 if check(path, args.check) else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
