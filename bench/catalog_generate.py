"""Generate a national-scale open data catalog for the catalog benchmarks.

1,000 publishers (agencies of the 32 states), 30 themes, 3,000 tags and 100,000 datasets with
3 resources each (300,000 resources): Spanish titles and descriptions built from the
vocabulary of state open data portals (with accents, so that accent-insensitive search has
work to do), 2-5 tags and 1-2 themes per dataset, formats CSV/JSON/XLSX/GeoJSON, modification
dates spread over five years. Seeded: the same arguments give the same catalog. The search
index is built at the end by the platform's own `reindex_catalog` command.

    .venv/bin/python bench/catalog_generate.py [--database-url URL] [--reset] [--datasets N]

The database is --database-url, else $DATABASE_URL, else var/bench/catalog.sqlite3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402
from bench.generate import STATES  # noqa: E402

DEFAULT_DATABASE_URL = f"sqlite:///{common.PROJECT_DIR / 'var' / 'bench' / 'catalog.sqlite3'}"
BATCH = 5_000
REFERENCE = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)

AGENCIES = [
    "Secretaría de Educación",
    "Secretaría de Salud",
    "Secretaría de Seguridad",
    "Secretaría de Hacienda",
    "Secretaría de Infraestructura y Obra Pública",
    "Secretaría de Desarrollo Económico",
    "Secretaría de Medio Ambiente",
    "Secretaría de Movilidad",
    "Secretaría de Turismo",
    "Secretaría de Cultura",
    "Secretaría de Agricultura y Desarrollo Rural",
    "Secretaría del Trabajo",
    "Instituto de Información Estadística y Geográfica",
    "Instituto de Transparencia",
    "Comisión Estatal del Agua",
    "Fiscalía del Estado",
    "Contraloría del Estado",
    "Instituto de Pensiones",
    "Sistema DIF",
    "Instituto de la Mujer",
    "Instituto de la Juventud",
    "Consejo de Ciencia y Tecnología",
    "Protección Civil",
    "Instituto de Vivienda",
    "Secretaría de Planeación y Participación Ciudadana",
    "Secretaría de Desarrollo Social",
    "Instituto Electoral",
    "Congreso del Estado",
    "Poder Judicial",
    "Comisión de Derechos Humanos",
    "Universidad Estatal",
]
THEMES = [
    "Educación",
    "Salud",
    "Economía",
    "Seguridad pública",
    "Infraestructura",
    "Conectividad",
    "Indicadores económicos",
    "Atlas de caminos y carreteras",
    "Medio ambiente",
    "Agua",
    "Movilidad",
    "Turismo",
    "Cultura",
    "Desarrollo social",
    "Finanzas públicas",
    "Transparencia",
    "Gobierno",
    "Población",
    "Vivienda",
    "Empleo",
    "Agricultura",
    "Energía",
    "Protección civil",
    "Justicia",
    "Género",
    "Juventud",
    "Ciencia y tecnología",
    "Geografía",
    "Contrataciones",
    "Participación ciudadana",
]
SUBJECTS = [
    "Matrícula escolar",
    "Escuelas de educación básica",
    "Camas hospitalarias",
    "Consultas médicas",
    "Vacunación",
    "Incidencia delictiva",
    "Accidentes de tránsito",
    "Presupuesto de egresos",
    "Ingresos públicos",
    "Obras públicas en ejecución",
    "Red carretera",
    "Puntos de acceso a internet",
    "Unidades económicas",
    "Empleo formal",
    "Calidad del aire",
    "Consumo de agua potable",
    "Rutas de transporte público",
    "Visitantes a museos",
    "Producción agrícola",
    "Padrón de proveedores",
    "Contratos adjudicados",
    "Solicitudes de información",
    "Apoyos de programas sociales",
    "Estaciones de monitoreo",
    "Población por localidad",
    "Viviendas particulares",
    "Refugios temporales",
    "Denuncias ciudadanas",
    "Becas otorgadas",
    "Nómina del personal",
]
QUALIFIERS = [
    "por municipio",
    "por localidad",
    "por sexo y edad",
    "por mes",
    "por dependencia",
    "por región",
    "georreferenciadas",
    "histórico",
]
WORDS = [
    "información",
    "pública",
    "registros",
    "anuales",
    "municipios",
    "región",
    "estatal",
    "población",
    "atención",
    "servicios",
    "indicadores",
    "análisis",
    "seguimiento",
    "gestión",
    "evaluación",
    "programa",
    "reporte",
    "mensual",
    "trimestral",
    "ubicación",
    "geográfica",
    "clave",
    "INEGI",
    "catálogo",
    "actualización",
    "periódica",
    "fuente",
    "administrativa",
    "calidad",
    "cobertura",
    "localidades",
    "niñas",
    "niños",
    "jóvenes",
    "mujeres",
    "hombres",
    "hospitales",
    "escuelas",
    "carreteras",
    "inversión",
    "presupuesto",
    "contratos",
    "proveedores",
    "licitación",
]
FORMATS = [
    ("CSV", "text/csv", "csv"),
    ("JSON", "application/json", "json"),
    ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("GEOJSON", "application/geo+json", "geojson"),
]
PERIODICITIES = ["R/P1M", "R/P3M", "R/P1Y", "irregular", "R/P1W"]
LICENCES = ["libre-uso-mx"] * 8 + ["cc-by-4.0", "odc-odbl"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: $DATABASE_URL, else its SQLite file")
    parser.add_argument("--reset", action="store_true", help="start from an empty database")
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--publishers", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args(argv)


def database_url(given: str | None) -> str:
    import os

    return given or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = database_url(args.database_url)
    print(f"Database: {common.describe(url)}")
    if common.is_postgres(url):
        common.ensure_postgres_database(url, recreate=args.reset)
    elif args.reset:
        common.remove_sqlite_database(url)
    common.setup_django(url)

    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Migrated in {time.perf_counter() - started:.1f} s")

    from abierto.catalog.models import Dataset

    if Dataset.objects.exists():
        print("The catalog is already there; use --reset to generate it again.", file=sys.stderr)
        return 1
    started = time.perf_counter()
    counts = CatalogGenerator(random.Random(args.seed), args.datasets, args.publishers).run()
    print(f"Generated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    call_command("reindex_catalog", verbosity=0)
    print(f"Search index built in {time.perf_counter() - started:.1f} s")
    from django.db import connection

    with connection.cursor() as cursor:
        # Fresh statistics, and on PostgreSQL a visibility map, so that index-only scans are
        # possible, as autovacuum would leave a real database.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        print(f"  {name:<{width}}  {count:>9,}")
    return 0


def _bulk(model, objects: list) -> list:
    created = []
    for start in range(0, len(objects), BATCH):
        created.extend(model.objects.bulk_create(objects[start : start + BATCH]))
    return created


class CatalogGenerator:
    def __init__(self, rng: random.Random, datasets: int, publishers: int) -> None:
        self.rng = rng
        self.datasets = datasets
        self.publishers = publishers
        self.counts: Counter[str] = Counter()

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def run(self) -> dict[str, int]:
        from django.db import transaction

        with transaction.atomic():
            jurisdictions = self.jurisdictions()
            publishers = self.make_publishers(jurisdictions)
            themes = self.make_themes()
            tags = self.make_tags()
            self.make_datasets(publishers, themes, tags, jurisdictions)
        return dict(self.counts)

    def jurisdictions(self) -> list:
        from django.utils.text import slugify

        from abierto.core.models import Jurisdiction

        existing = {j.inegi_code: j for j in Jurisdiction.objects.all()}
        missing = [
            Jurisdiction(
                inegi_code=code, name=name, slug=slugify(name), kind=Jurisdiction.Kind.STATE
            )
            for code, name in STATES
            if code not in existing
        ]
        _bulk(Jurisdiction, missing)
        return list(Jurisdiction.objects.filter(inegi_code__in=[c for c, _ in STATES]))

    def make_publishers(self, jurisdictions: list) -> list:
        from django.utils.text import slugify

        from abierto.catalog.models import Publisher

        publishers = []
        for index in range(self.publishers):
            state = jurisdictions[index % len(jurisdictions)]
            agency = AGENCIES[(index // len(jurisdictions)) % len(AGENCIES)]
            round_ = index // (len(jurisdictions) * len(AGENCIES))
            title = f"{agency} de {state.name}" + (f" ({round_ + 1})" if round_ else "")
            publishers.append(
                Publisher(
                    uuid=self.uuid(),
                    name=slugify(title)[:100],
                    title=title,
                    description=f"Datos abiertos de la {agency} de {state.name}.",
                    jurisdiction=state,
                    email=f"datos@{slugify(agency)[:20]}.{state.slug}.gob.example",
                )
            )
        self.counts["publishers"] = len(publishers)
        return _bulk(Publisher, publishers)

    def make_themes(self) -> list:
        from django.utils.text import slugify

        from abierto.catalog.models import Theme

        themes = [Theme(uuid=self.uuid(), name=slugify(t), title=t) for t in THEMES]
        self.counts["themes"] = len(themes)
        return _bulk(Theme, themes)

    def make_tags(self) -> list:
        from abierto.catalog.models import Tag

        names = set()
        for subject in SUBJECTS:
            names.update(word.lower() for word in subject.split() if len(word) > 3)
        while len(names) < 3_000:
            names.add(" ".join(self.rng.sample(WORDS, self.rng.choice((2, 3)))))
        tags = [Tag(uuid=self.uuid(), name=name) for name in sorted(names)]
        self.counts["tags"] = len(tags)
        return _bulk(Tag, tags)

    def make_datasets(self, publishers: list, themes: list, tags: list, jurisdictions) -> None:
        from abierto.catalog.models import Dataset, Licence, Resource

        licences = {licence.key: licence for licence in Licence.objects.all()}
        rng = self.rng
        span = 5 * 365 * 24 * 3600
        for start in range(0, self.datasets, BATCH):
            datasets = []
            for index in range(start, min(start + BATCH, self.datasets)):
                publisher = publishers[rng.randrange(len(publishers))]
                subject = rng.choice(SUBJECTS)
                qualifier = rng.choice(QUALIFIERS)
                year = rng.randint(2015, 2026)
                modified = REFERENCE - dt.timedelta(seconds=rng.randrange(span))
                title = f"{subject} {qualifier}, {publisher.jurisdiction.name} {year}"
                description = (
                    f"{subject} {qualifier} en {publisher.jurisdiction.name} durante {year}. "
                    + " ".join(rng.choices(WORDS, k=40))
                    + "."
                )
                datasets.append(
                    Dataset(
                        uuid=self.uuid(),
                        name=f"conjunto-{index:06d}",
                        identifier=f"mx-{publisher.jurisdiction.inegi_code}-{index:06d}",
                        title=title,
                        description=description,
                        publisher=publisher,
                        licence=licences[rng.choice(LICENCES)],
                        contact_name=publisher.title,
                        contact_email=publisher.email,
                        accrual_periodicity=rng.choice(PERIODICITIES),
                        temporal_start=dt.date(year, 1, 1),
                        temporal_end=dt.date(year, 12, 31),
                        spatial=publisher.jurisdiction,
                        issued=modified - dt.timedelta(days=rng.randint(0, 400)),
                        modified=modified,
                        metadata_modified=modified,
                        private=rng.random() < 0.01,
                    )
                )
            datasets = _bulk(Dataset, datasets)
            self.counts["datasets"] += len(datasets)
            theme_links, tag_links, resources = [], [], []
            for dataset in datasets:
                for theme in rng.sample(themes, rng.randint(1, 2)):
                    theme_links.append(Dataset.themes.through(dataset=dataset, theme=theme))
                for tag in rng.sample(tags, rng.randint(2, 5)):
                    tag_links.append(Dataset.tags.through(dataset=dataset, tag=tag))
                for position, (fmt, media_type, ext) in enumerate(rng.sample(FORMATS, 3)):
                    resources.append(
                        Resource(
                            uuid=self.uuid(),
                            dataset=dataset,
                            position=position,
                            title=f"{dataset.title} ({fmt})",
                            url=f"https://datos.example.gob.mx/{dataset.name}/datos.{ext}",
                            format=fmt,
                            media_type=media_type,
                            size=rng.randint(2_000, 50_000_000),
                            last_modified=dataset.modified,
                        )
                    )
            _bulk(Dataset.themes.through, theme_links)
            _bulk(Dataset.tags.through, tag_links)
            _bulk(Resource, resources)
            self.counts["dataset themes"] += len(theme_links)
            self.counts["dataset tags"] += len(tag_links)
            self.counts["resources"] += len(resources)
            print(f"  {self.counts['datasets']:,} datasets", flush=True)


if __name__ == "__main__":
    sys.exit(main())
