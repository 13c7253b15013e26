"""The catalog in DCAT, in a DCAT-AP (v2/v3) profile, built with rdflib.

What each field becomes is in docs/federation.md. The catalog is published in pages of 100
datasets described with Hydra, so no response ever holds a graph of the whole catalog; JSON-LD
carries its `@context` inline (from contexts/dcat-ap.jsonld), so no reader has to fetch one.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, SKOS, XSD

from abierto.catalog import federation
from abierto.catalog.models import Dataset, Resource, Theme
from abierto.core.models import Jurisdiction

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DQV = Namespace("http://www.w3.org/ns/dqv#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
OA = Namespace("http://www.w3.org/ns/oa#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
# Our ISO 8601 periodicities -> the EU frequency vocabulary DCAT-AP asks for.
FREQUENCIES = {
    Dataset.Periodicity.CONTINUOUS: "CONT",
    Dataset.Periodicity.DAILY: "DAILY",
    Dataset.Periodicity.WEEKLY: "WEEKLY",
    Dataset.Periodicity.MONTHLY: "MONTHLY",
    Dataset.Periodicity.QUARTERLY: "QUARTERLY",
    Dataset.Periodicity.SEMIANNUAL: "BIANNUAL",
    Dataset.Periodicity.ANNUAL: "ANNUAL",
    Dataset.Periodicity.IRREGULAR: "IRREG",
}
# Our formats -> the EU file-type vocabulary; formats missing here stay plain text.
FILE_TYPES = {
    "CSV": "CSV",
    "TSV": "TSV",
    "TXT": "TXT",
    "JSON": "JSON",
    "GEOJSON": "GEOJSON",
    "XML": "XML",
    "KML": "KML",
    "KMZ": "KMZ",
    "RDF": "RDF_XML",
    "TTL": "RDF_TURTLE",
    "XLSX": "XLSX",
    "XLS": "XLS",
    "ODS": "ODS",
    "ODT": "ODT",
    "DOCX": "DOCX",
    "ZIP": "ZIP",
    "SHP": "SHP",
    "PDF": "PDF",
    "PARQUET": "PARQUET",
    "PNG": "PNG",
    "JPG": "JPEG",
    "JPEG": "JPEG",
}
LANGUAGES = {"es": "SPA", "en": "ENG", "fr": "FRA", "pt": "POR", "de": "DEU"}
PAGE_SIZE = 100
CONTEXT_FILE = Path(__file__).with_name("contexts") / "dcat-ap.jsonld"
MEDIA_TYPE_SHAPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")


@dataclass(frozen=True)
class Serialization:
    rdflib_format: str
    content_type: str


SERIALIZATIONS = {
    "jsonld": Serialization("json-ld", "application/ld+json"),
    "ttl": Serialization("turtle", "text/turtle"),
    "rdf": Serialization("xml", "application/rdf+xml"),
    "xml": Serialization("xml", "application/rdf+xml"),
    "n3": Serialization("n3", "text/n3"),
}


@functools.cache
def jsonld_context() -> dict:
    """The bundled JSON-LD context (prefixes only), read once."""
    return json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))["@context"]


def new_graph() -> Graph:
    graph = Graph(bind_namespaces="core")
    for prefix, namespace in jsonld_context().items():
        graph.bind(prefix, Namespace(namespace), override=True)
    return graph


def serialize(graph: Graph, fmt: str) -> bytes:
    """The graph in `fmt` (a key of SERIALIZATIONS); JSON-LD with the context inline."""
    serialization = SERIALIZATIONS[fmt]
    if serialization.rdflib_format == "json-ld":
        text = graph.serialize(format="json-ld", context=jsonld_context(), auto_compact=True)
        return text.encode("utf-8")
    return graph.serialize(format=serialization.rdflib_format, encoding="utf-8")


def _uri(value: str) -> URIRef:
    # An address typed by hand may hold characters no IRI allows; one such address must not
    # break the whole export (datagouv/data.gouv.fr#1437), so they are percent-encoded.
    return URIRef(iri_to_uri(value.strip()))


def _typed(graph: Graph, node: URIRef, rdf_type: URIRef) -> URIRef:
    # Shared nodes (a licence, a media type) recur on every distribution: type them once.
    if (node, RDF.type, rdf_type) not in graph:
        graph.add((node, RDF.type, rdf_type))
    return node


def _datetime(value: dt.datetime) -> Literal:
    return Literal(timezone.localtime(value).replace(microsecond=0), datatype=XSD.dateTime)


# ---------------------------------------------------------------------------- URIs


def catalog_uri(base: str) -> URIRef:
    return _uri(federation.absolute(base, reverse("catalog:index")))


def dataset_uri(dataset: Dataset, base: str) -> URIRef:
    """`{site}/dataset/{uuid}`: stable when the dataset's name changes."""
    return _uri(f"{base}{reverse('federation:dataset_uri', kwargs={'ref': dataset.uuid})}")


def distribution_uri(resource: Resource, dataset: Dataset, base: str) -> URIRef:
    kwargs = {"ref": dataset.uuid, "resource": resource.uuid}
    return _uri(f"{base}{reverse('federation:resource_uri', kwargs=kwargs)}")


def theme_uri(theme: Theme, base: str) -> URIRef:
    return _uri(federation.absolute(base, theme.get_absolute_url()))


# ---------------------------------------------------------------------------- describing


def _text(graph: Graph, subject, predicate, value: str, lang: str | None = None) -> None:
    if value and value.strip():
        graph.add((subject, predicate, Literal(value.strip(), lang=lang)))


def add_place(graph: Graph, jurisdiction: Jurisdiction, base: str) -> URIRef:
    """An INEGI-coded place as a dct:Location named by this site's URI."""
    place = _uri(federation.place_uri(jurisdiction, base))
    graph.add((place, RDF.type, DCTERMS.Location))
    graph.add((place, SKOS.prefLabel, Literal(jurisdiction.name, lang="es")))
    graph.add((place, LOCN.geographicName, Literal(jurisdiction.name, lang="es")))
    graph.add((place, DCTERMS.identifier, Literal(jurisdiction.inegi_code)))
    graph.add((place, SKOS.notation, Literal(jurisdiction.inegi_code)))
    return place


def add_theme(graph: Graph, theme: Theme, base: str) -> URIRef:
    concept = theme_uri(theme, base)
    graph.add((concept, RDF.type, SKOS.Concept))
    graph.add((concept, SKOS.prefLabel, Literal(theme.title, lang="es")))
    graph.add((concept, SKOS.notation, Literal(theme.name)))
    graph.add((concept, SKOS.inScheme, _uri(federation.themes_scheme_uri(base))))
    return concept


def _add_publisher(graph: Graph, dataset: Dataset, base: str) -> URIRef:
    publisher = dataset.publisher
    agent = _uri(federation.absolute(base, publisher.get_absolute_url()))
    graph.add((agent, RDF.type, FOAF.Agent))
    graph.add((agent, RDF.type, FOAF.Organization))
    graph.add((agent, FOAF.name, Literal(publisher.title)))
    if publisher.email:  # an institutional mailbox, public by design
        graph.add((agent, FOAF.mbox, _uri(f"mailto:{publisher.email}")))
    if publisher.url:
        graph.add((agent, FOAF.homepage, _uri(publisher.url)))
    return agent


def _add_distribution(graph: Graph, resource: Resource, dataset: Dataset, base: str) -> URIRef:
    node = distribution_uri(resource, dataset, base)
    lang = dataset.language or None
    graph.add((node, RDF.type, DCAT.Distribution))
    _text(graph, node, DCTERMS.title, resource.title, lang)
    _text(graph, node, DCTERMS.description, resource.description, lang)
    address = _uri(federation.download_url(resource, base))
    graph.add((node, DCAT.accessURL, address))
    if federation.is_download(resource):
        graph.add((node, DCAT.downloadURL, address))
    media_type = federation.media_type(resource).lower()
    if MEDIA_TYPE_SHAPE.match(media_type):
        graph.add(
            (node, DCAT.mediaType, _typed(graph, URIRef(IANA + media_type), DCTERMS.MediaType))
        )
    fmt = federation.resource_format(resource)
    if fmt in FILE_TYPES:
        file_type = URIRef(f"{EU}file-type/{FILE_TYPES[fmt]}")
        graph.add((node, DCTERMS["format"], _typed(graph, file_type, DCTERMS.MediaTypeOrExtent)))
    elif fmt:
        graph.add((node, DCTERMS["format"], Literal(fmt)))
    if resource.size is not None:
        graph.add((node, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
    if resource.sha256:
        checksum = BNode()
        graph.add((node, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add((checksum, SPDX.checksumValue, Literal(resource.sha256, datatype=XSD.hexBinary)))
    licence = dataset.licence
    if licence.url:
        document = _uri(licence.url)
        graph.add((node, DCTERMS.license, document))
        if (document, RDF.type, DCTERMS.LicenseDocument) not in graph:
            graph.add((document, RDF.type, DCTERMS.LicenseDocument))
            graph.add((document, DCTERMS.title, Literal(licence.title)))
            graph.add((document, DCTERMS.identifier, Literal(licence.key)))
    if resource.conforms_to:
        standard = _uri(resource.conforms_to)
        graph.add((node, DCTERMS.conformsTo, standard))
        graph.add((standard, RDF.type, DCTERMS.Standard))
    graph.add((node, DCTERMS.issued, _datetime(resource.created_at)))
    graph.add((node, DCTERMS.modified, _datetime(resource.last_modified)))
    return node


def add_dataset(graph: Graph, dataset: Dataset, base: str) -> URIRef:
    """Describe `dataset` (read with `with_listing()`) and its distributions in `graph`."""
    node = dataset_uri(dataset, base)
    lang = dataset.language or None
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(dataset.identifier)))
    _text(graph, node, DCTERMS.title, dataset.title, lang)
    _text(graph, node, DCTERMS.description, dataset.description, lang)
    for tag in dataset.tags.all():
        _text(graph, node, DCAT.keyword, tag.name, lang)
    for theme in dataset.themes.all():
        graph.add((node, DCAT.theme, add_theme(graph, theme, base)))
    graph.add((node, DCTERMS.issued, _datetime(federation.issued(dataset))))
    graph.add((node, DCTERMS.modified, _datetime(dataset.modified)))
    graph.add((node, DCTERMS.publisher, _add_publisher(graph, dataset, base)))

    contact = BNode()
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, VCARD.fn, Literal(dataset.contact_name)))
    graph.add((contact, VCARD.hasEmail, _uri(f"mailto:{dataset.contact_email}")))

    landing = _uri(federation.landing_page(dataset, base))
    graph.add((node, DCAT.landingPage, landing))
    graph.add((landing, RDF.type, FOAF.Document))

    periodicity = dataset.accrual_periodicity
    if periodicity in FREQUENCIES:
        frequency = URIRef(f"{EU}frequency/{FREQUENCIES[periodicity]}")
        graph.add((node, DCTERMS.accrualPeriodicity, frequency))
        graph.add((frequency, RDF.type, DCTERMS.Frequency))
        # The ISO 8601 code the guide and data.json use, for readers that want it.
        graph.add((frequency, SKOS.notation, Literal(periodicity)))

    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date)))

    if dataset.spatial is not None:
        graph.add((node, DCTERMS.spatial, add_place(graph, dataset.spatial, base)))
    if dataset.spatial_text.strip():
        place = BNode()
        graph.add((node, DCTERMS.spatial, place))
        graph.add((place, RDF.type, DCTERMS.Location))
        graph.add((place, LOCN.geographicName, Literal(dataset.spatial_text.strip(), lang=lang)))

    language = LANGUAGES.get((dataset.language or "").split("-")[0].lower())
    if language:
        graph.add((node, DCTERMS.language, URIRef(f"{EU}language/{language}")))
        graph.add((URIRef(f"{EU}language/{language}"), RDF.type, DCTERMS.LinguisticSystem))
    elif dataset.language:
        graph.add((node, DCTERMS.language, Literal(dataset.language)))
    graph.add((node, DCTERMS.accessRights, URIRef(f"{EU}access-right/PUBLIC")))

    if dataset.data_dictionary_url:
        graph.add((node, FOAF.page, _uri(dataset.data_dictionary_url)))
    if dataset.version:
        graph.add((node, DCAT.version, Literal(dataset.version)))
        graph.add((node, OWL.versionInfo, Literal(dataset.version)))
    if dataset.quality_notes.strip():
        note = BNode()
        graph.add((node, DQV.hasQualityAnnotation, note))
        graph.add((note, RDF.type, DQV.QualityAnnotation))
        graph.add((note, OA.motivatedBy, DQV.qualityAssessment))
        graph.add((note, OA.bodyValue, Literal(dataset.quality_notes.strip(), lang=lang)))

    for resource in federation.active_resources(dataset):
        graph.add((node, DCAT.distribution, _add_distribution(graph, resource, dataset, base)))
    return node


def dataset_graph(dataset: Dataset, base: str) -> Graph:
    """One dataset alone (the `/dataset/<id>.ttl` document)."""
    graph = new_graph()
    add_dataset(graph, dataset, base)
    return graph


# ---------------------------------------------------------------------------- the catalog


def parse_page(raw: str | None) -> int:
    """The page number asked for (1 when absent); ValueError says what is wrong."""
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(
            _("El parámetro «page» debe ser un número entero mayor o igual a 1; se recibió «%s».")
            % raw
        )
    return int(raw)


def parse_modified_since(raw: str | None) -> dt.datetime | None:
    """An ISO 8601 date or date-time; without an offset it is the site's local time."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    # An unencoded "+" in a query string arrives as a space: "…T10:00:00 06:00".
    text = re.sub(r"(T[0-9:.]+) ([0-9]{2}:?[0-9]{2})$", r"\1+\2", text)
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is not None:
                moment = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(
            _(
                "El parámetro «modified_since» debe ser una fecha ISO 8601, por ejemplo "
                "2024-05-01 o 2024-05-01T10:00:00-06:00; se recibió «%s»."
            )
            % raw
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def catalog_datasets(modified_since: dt.datetime | None = None) -> QuerySet[Dataset]:
    """The public datasets in the catalog's stable order: metadata_modified, then id."""
    datasets = Dataset.objects.public()
    if modified_since is not None:
        datasets = datasets.filter(metadata_modified__gte=modified_since)
    return datasets.order_by("metadata_modified", "id")


@dataclass(frozen=True)
class CatalogPage:
    """Page `number` of a catalog of `total` datasets; `url(n)` is page n's address."""

    number: int
    total: int
    url: Callable[[int], str]
    per_page: int = PAGE_SIZE

    @property
    def last(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def exists(self) -> bool:
        return self.number <= self.last

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


def catalog_summary(datasets: QuerySet[Dataset]) -> tuple[int, dt.datetime | None]:
    """How many datasets and the newest change among them, in one query."""
    summary = datasets.order_by().aggregate(total=Count("id"), latest=Max("metadata_modified"))
    return summary["total"], summary["latest"]


def catalog_graph(
    datasets: Iterable[Dataset], page: CatalogPage, base: str, latest: dt.datetime | None
) -> Graph:
    """One page of the catalog: the dcat:Catalog, its datasets and the Hydra paging."""
    graph = new_graph()
    catalog = catalog_uri(base)
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add(
        (catalog, DCTERMS.title, Literal(_("Catálogo de datos abiertos — %s") % settings.SITE_NAME))
    )
    graph.add(
        (
            catalog,
            DCTERMS.description,
            Literal(
                _("Conjuntos de datos abiertos publicados por las dependencias en %s.")
                % settings.SITE_NAME
            ),
        )
    )
    operator = BNode()
    graph.add((catalog, DCTERMS.publisher, operator))
    graph.add((operator, RDF.type, FOAF.Agent))
    graph.add((operator, FOAF.name, Literal(settings.SITE_NAME)))
    graph.add((catalog, FOAF.homepage, catalog))
    graph.add((catalog, DCTERMS.language, URIRef(f"{EU}language/SPA")))
    graph.add((catalog, DCAT.themeTaxonomy, _uri(federation.themes_scheme_uri(base))))
    if latest is not None:
        graph.add((catalog, DCTERMS.modified, _datetime(latest)))
    for dataset in datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, dataset, base)))

    paging = URIRef(page.url(page.number))
    graph.add((paging, RDF.type, HYDRA.PagedCollection))
    graph.add((paging, HYDRA.totalItems, Literal(page.total, datatype=XSD.integer)))
    graph.add((paging, HYDRA.itemsPerPage, Literal(page.per_page, datatype=XSD.integer)))
    graph.add((paging, HYDRA.firstPage, URIRef(page.url(1))))
    graph.add((paging, HYDRA.lastPage, URIRef(page.url(page.last))))
    if page.number < page.last:
        graph.add((paging, HYDRA.nextPage, URIRef(page.url(page.number + 1))))
    if page.number > 1:
        graph.add((paging, HYDRA.previousPage, URIRef(page.url(page.number - 1))))
    return graph


# ---------------------------------------------------------------------------- vocabularies


def place_graph(jurisdiction: Jurisdiction, base: str) -> Graph:
    """What this site's URI for an INEGI place says: its key, its name, its state."""
    graph = new_graph()
    place = add_place(graph, jurisdiction, base)
    graph.add((place, DCTERMS.type, Literal(jurisdiction.get_kind_display())))
    if jurisdiction.parent is not None:
        graph.add((place, DCTERMS.isPartOf, add_place(graph, jurisdiction.parent, base)))
    return graph


def theme_scheme_graph(themes: Iterable[Theme], base: str) -> Graph:
    """The catalog's themes as a SKOS concept scheme (the catalog's dcat:themeTaxonomy)."""
    graph = new_graph()
    scheme = _uri(federation.themes_scheme_uri(base))
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, DCTERMS.title, Literal(_("Temas del catálogo de datos abiertos"))))
    for theme in themes:
        concept = add_theme(graph, theme, base)
        graph.add((scheme, SKOS.hasTopConcept, concept))
        graph.add((concept, SKOS.topConceptOf, scheme))
        _text(graph, concept, SKOS.definition, theme.description, "es")
    return graph
