"""Write a synthetic public-spending CSV for the datastore benchmark (bench/datastore_run.py).

Clearly synthetic: folios, suppliers and RFCs are made up (suppliers are «Proveedor sintético
N …»), every amount and date is drawn from a seeded generator, so the same arguments give the
same bytes. 12 columns, about 247 bytes a row (1,000,000 rows: about 247 MB):

| column | CSV form | type (as the loader should infer it) |
|---|---|---|
| folio | `JAL-2024-0000001` | text |
| fecha | `31/12/2024` (dd/mm/yyyy, as Mexican portals publish) | date |
| ejercicio | `2024` | int |
| dependencia | `Secretaría de Salud` | text |
| unidad_responsable | `Adquisiciones` | text |
| municipio | `Tlaquepaque`, `Ocotlán`… (Jalisco's 125) | text |
| partida | `21101` (COG spending code) | int |
| concepto | Spanish words with accents, some with commas (quoted) | text |
| proveedor | `Proveedor sintético 1234 SA de CV` | text |
| rfc | `PSI123456AB1` | text |
| monto | `12345.67` (dot decimal, no thousands separator) | numeric |
| tipo_contratacion | `Adjudicación directa`… | text |

Amounts use a dot decimal and no thousands separator so that every loader compared reads the
same bytes: PostgreSQL's COPY reads `12345.67` into numeric and `31/12/2024` into date (with
`DateStyle = 'ISO, DMY'`); Spanish-formatted amounts (`12.345,67`) would need a text column
and a second pass for COPY, which is not the comparison the issue asks for.

    .venv/bin/python bench/datastore_generate.py [--rows 1000000] [--seed 2026] [--out FILE]

Without --out the file is var/bench/gasto_<rows>.csv; it is written streaming (constant
memory) and skipped when it already exists with the same rows and seed (--force rewrites).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

OUT_DIR = common.PROJECT_DIR / "var" / "bench"
DEFAULT_SEED = 2026
# (name, type): the types Abierto's loader is expected to infer; the peers make the same.
COLUMNS = [
    ("folio", "text"),
    ("fecha", "date"),
    ("ejercicio", "int"),
    ("dependencia", "text"),
    ("unidad_responsable", "text"),
    ("municipio", "text"),
    ("partida", "int"),
    ("concepto", "text"),
    ("proveedor", "text"),
    ("rfc", "text"),
    ("monto", "numeric"),
    ("tipo_contratacion", "text"),
]
TEXT_COLUMNS = [name for name, kind in COLUMNS if kind == "text"]

DEPENDENCIAS = [
    "Secretaría de Educación",
    "Secretaría de Salud",
    "Secretaría de Seguridad",
    "Secretaría de la Hacienda Pública",
    "Secretaría de Infraestructura y Obra Pública",
    "Secretaría de Desarrollo Económico",
    "Secretaría de Medio Ambiente y Desarrollo Territorial",
    "Secretaría del Transporte",
    "Secretaría de Turismo",
    "Secretaría de Cultura",
    "Secretaría de Agricultura y Desarrollo Rural",
    "Secretaría del Sistema de Asistencia Social",
    "Comisión Estatal del Agua",
    "Fiscalía del Estado",
    "Contraloría del Estado",
    "Instituto de Pensiones del Estado",
    "Sistema DIF Jalisco",
    "Instituto Jalisciense de las Mujeres",
    "Universidad de Guadalajara",
    "Coordinación General Estratégica de Gestión del Territorio",
]
UNIDADES = [
    "Administración",
    "Recursos Materiales",
    "Adquisiciones",
    "Servicios Generales",
    "Planeación",
    "Informática",
    "Área Jurídica",
    "Comunicación Social",
]
# Jalisco's municipalities (a selection, weighted towards the metropolitan area).
MUNICIPIOS = (
    ["Guadalajara"] * 8
    + ["Zapopan"] * 6
    + ["San Pedro Tlaquepaque"] * 4
    + ["Tonalá"] * 3
    + ["Tlajomulco de Zúñiga"] * 3
    + ["El Salto", "Puerto Vallarta", "Lagos de Moreno", "Tepatitlán de Morelos"] * 2
    + [
        "Ocotlán",
        "Zapotlán el Grande",
        "Chapala",
        "Autlán de Navarro",
        "Ameca",
        "Arandas",
        "La Barca",
        "Tequila",
        "Tala",
        "Jocotepec",
        "Sayula",
        "Tamazula de Gordiano",
        "Cihuatlán",
        "Encarnación de Díaz",
        "Colotlán",
        "Mascota",
        "Mezquitic",
        "Huejúcar",
        "Teocaltiche",
        "San Juan de los Lagos",
    ]
)
# (partida, words that go with it)
PARTIDAS = [
    (21101, ["papelería", "artículos de oficina", "tóner", "carpetas", "lápices"]),
    (21401, ["equipo de cómputo", "consumibles informáticos", "memorias USB", "teclados"]),
    (22104, ["alimentación de personal", "despensas", "café", "agua purificada"]),
    (24601, ["material eléctrico", "luminarias", "cableado", "contactos"]),
    (25301, ["medicamentos", "vacunas", "antibióticos", "material de curación"]),
    (26103, ["combustible", "gasolina", "diésel", "lubricantes"]),
    (29601, ["refacciones", "neumáticos", "acumuladores", "frenos"]),
    (31101, ["energía eléctrica", "alumbrado público", "subestación"]),
    (33901, ["servicios profesionales", "consultoría", "auditoría", "capacitación"]),
    (35101, ["mantenimiento de inmuebles", "impermeabilización", "pintura", "plomería"]),
    (35501, ["mantenimiento vehicular", "afinación", "hojalatería"]),
    (36101, ["difusión", "campaña de comunicación", "impresión de carteles"]),
    (37501, ["viáticos", "hospedaje", "pasajes aéreos"]),
    (51501, ["computadoras portátiles", "servidores", "impresoras"]),
    (61201, ["obra pública", "pavimentación", "rehabilitación de escuelas", "drenaje"]),
]
ADJETIVOS = [
    "para la oficina central",
    "del programa de atención ciudadana",
    "para el ejercicio fiscal",
    "de las unidades regionales",
    "para la campaña de vacunación",
    "del área de atención al público",
    "para el almacén general",
    "de la región Altos Norte",
    "de la región Ciénega",
    "para el próximo trimestre",
]
TIPOS = [
    "Adjudicación directa",
    "Adjudicación directa",
    "Adjudicación directa",
    "Invitación a cuando menos tres",
    "Licitación pública",
]
PROVEEDORES = 5_000
FIRST_DAY = dt.date(2022, 1, 1)
DAYS = (dt.date(2025, 12, 31) - FIRST_DAY).days + 1


def default_path(rows: int) -> Path:
    return OUT_DIR / f"gasto_{rows}.csv"


def _rfc(rng: random.Random, n: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return (
        f"PS{letters[n % 23]}{n % 100:02d}{(n // 100) % 12 + 1:02d}{n % 28 + 1:02d}"
        f"{letters[(n * 7) % 23]}{letters[(n * 11) % 23]}{n % 10}"
    )


def generate(path: Path, rows: int, seed: int = DEFAULT_SEED) -> dict:
    """Write the CSV (streaming) and a small `.json` beside it describing it; return that."""
    rng = random.Random(seed)
    suppliers = []
    for n in range(1, PROVEEDORES + 1):
        suffix = "SA de CV" if n % 3 else "S de RL"
        suppliers.append((f"Proveedor sintético {n:04d} {suffix}", _rfc(rng, n)))
    days = [FIRST_DAY + dt.timedelta(days=d) for d in range(DAYS)]
    dates = [(d.strftime("%d/%m/%Y"), d.year) for d in days]
    # Pre-joined concept phrases: cheap to draw, varied enough to search (30 per partida).
    concepts = []
    for partida, words in PARTIDAS:
        phrases = []
        for _ in range(30):
            first, second = rng.sample(words, 2)
            phrase = f"{first.capitalize()} y {second} {rng.choice(ADJETIVOS)}"
            if rng.random() < 0.2:
                phrase = f"{phrase}, conforme al contrato marco"
            phrases.append(phrase)
        concepts.append((str(partida), phrases))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    started = time.perf_counter()
    choice, randrange, random_ = rng.choice, rng.randrange, rng.random
    with partial.open("w", newline="", encoding="utf-8", buffering=1 << 20) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([name for name, _ in COLUMNS])
        batch = []
        for i in range(1, rows + 1):
            fecha, year = dates[randrange(DAYS)]
            partida, phrases = choice(concepts)
            supplier, rfc = suppliers[randrange(PROVEEDORES)]
            # Long-tailed amounts: most purchases small, a few large contracts.
            amount = round(100 + 2_000_000 * random_() ** 4, 2)
            batch.append(
                (
                    f"JAL-{year}-{i:07d}",
                    fecha,
                    year,
                    choice(DEPENDENCIAS),
                    choice(UNIDADES),
                    choice(MUNICIPIOS),
                    partida,
                    choice(phrases),
                    supplier,
                    rfc,
                    f"{amount:.2f}",
                    choice(TIPOS),
                )
            )
            if len(batch) == 10_000:
                writer.writerows(batch)
                batch.clear()
        writer.writerows(batch)
    partial.replace(path)
    info = {
        "rows": rows,
        "seed": seed,
        "bytes": path.stat().st_size,
        "columns": [{"id": name, "type": kind} for name, kind in COLUMNS],
        "seconds": round(time.perf_counter() - started, 2),
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=2))
    return info


def ensure(rows: int, seed: int = DEFAULT_SEED, path: Path | None = None, force=False) -> dict:
    """The file for `rows` rows, generated unless it is already there as asked."""
    path = path or default_path(rows)
    meta = path.with_suffix(".json")
    if not force and path.exists() and meta.exists():
        info = json.loads(meta.read_text())
        same = (info.get("rows"), info.get("seed"), info.get("bytes"))
        if same == (rows, seed, path.stat().st_size):
            return info
    return generate(path, rows, seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, help="default: var/bench/gasto_<rows>.csv")
    parser.add_argument("--force", action="store_true", help="rewrite an existing file")
    args = parser.parse_args(argv)
    path = args.out or default_path(args.rows)
    info = ensure(args.rows, args.seed, path, force=args.force)
    print(
        f"{path}: {info['rows']:,} rows, {info['bytes'] / 1e6:,.1f} MB"
        + (f", written in {info['seconds']} s" if "seconds" in info else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
