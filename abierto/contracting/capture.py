"""Publishing OCDS without writing JSON: releases built from forms or spreadsheet rows.

A captured stage becomes one new immutable release of its process, built on the process's
compiled state (the party roles and the ids of its awards, contracts, items and documents) and
checked against the local 1.1.5 schema, the closed codelists and the date and amount rules
*before* anything is stored: a release that would be invalid is refused with its issues. A
valid one goes through the same import path as an upload (an `Import` with source CAPTURE or
SPREADSHEET), so de-duplication, compilation, red flags, bulk files and the report all apply.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from abierto.contracting import services, standard, validation
from abierto.contracting.models import Import, Publisher, Record, Release
from abierto.contracting.pages import METHODS, STATUSES
from abierto.core import audit
from abierto.core.models import User

RFC = re.compile(r"^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$")
RFC_SCHEME = "MX-RFC"
DEFAULT_CURRENCY = "MXN"
# Currencies Mexican publishers use most, first in the select; the rest follow by code.
FIRST_CURRENCIES = ("MXN", "USD", "EUR")

# Spanish labels of the codelists the forms offer (the CSVs are in English).
CATEGORIES = {
    "goods": _("bienes (adquisiciones)"),
    "works": _("obra pública"),
    "services": _("servicios"),
}
AWARD_STATUSES = {
    "pending": _("pendiente"),
    "active": _("activa"),
    "cancelled": _("cancelada"),
    "unsuccessful": _("desierta"),
}
CONTRACT_STATUSES = {
    "pending": _("pendiente de firma"),
    "active": _("vigente"),
    "cancelled": _("cancelado antes de firmarse"),
    "terminated": _("terminado"),
}
DOCUMENT_TYPES = {
    "plannedProcurementNotice": _("aviso de contratación planeada"),
    "tenderNotice": _("convocatoria"),
    "awardNotice": _("aviso de adjudicación"),
    "contractNotice": _("aviso de contrato"),
    "completionCertificate": _("acta de entrega-recepción"),
    "procurementPlan": _("programa anual de adquisiciones"),
    "biddingDocuments": _("bases de la licitación"),
    "technicalSpecifications": _("especificaciones técnicas"),
    "evaluationCriteria": _("criterios de evaluación"),
    "evaluationReports": _("dictamen de evaluación"),
    "contractDraft": _("modelo de contrato"),
    "contractSigned": _("contrato firmado"),
    "contractArrangements": _("acuerdos del contrato"),
    "contractSchedule": _("anexos del contrato"),
    "physicalProgressReport": _("informe de avance físico"),
    "financialProgressReport": _("informe de avance financiero"),
    "finalAudit": _("auditoría final"),
    "hearingNotice": _("aviso de audiencia pública"),
    "marketStudies": _("investigación de mercado"),
    "eligibilityCriteria": _("criterios de elegibilidad"),
    "clarifications": _("junta de aclaraciones (acta)"),
    "shortlistedFirms": _("empresas preseleccionadas"),
    "environmentalImpact": _("impacto ambiental"),
    "assetAndLiabilityAssessment": _("evaluación de activos y pasivos"),
    "riskProvisions": _("previsiones de riesgo"),
    "winningBid": _("propuesta ganadora"),
    "complaints": _("inconformidades"),
    "contractAnnexe": _("anexo del contrato"),
    "contractGuarantees": _("garantías del contrato"),
    "subContract": _("subcontrato"),
    "needsAssessment": _("análisis de necesidades"),
    "feasibilityStudy": _("estudio de factibilidad"),
    "projectPlan": _("plan del proyecto"),
    "billOfQuantity": _("catálogo de conceptos"),
    "bidders": _("información de licitantes"),
    "conflictOfInterest": _("conflicto de interés"),
    "debarments": _("inhabilitaciones"),
    "illustration": _("ilustraciones"),
    "submissionDocuments": _("documentos de la propuesta"),
    "contractSummary": _("resumen del contrato"),
    "cancellationDetails": _("motivos de cancelación"),
}


class CaptureRefused(Exception):
    """The release would be invalid: nothing was stored. `issues` say what and where."""

    def __init__(self, issues: list[validation.Issue]) -> None:
        super().__init__("; ".join(f"{i.path}: {i.message}" for i in issues))
        self.issues = issues


# ----------------------------------------------------------------------------- codelists


@cache
def _codelist_rows(filename: str) -> tuple[tuple[str, str], ...]:
    with (standard.SCHEMA_DIR / "codelists" / filename).open(encoding="utf-8", newline="") as fh:
        return tuple((row["Code"], row["Title"]) for row in csv.DictReader(fh))


def codelist_choices(filename: str, labels: dict[str, Any] | None = None) -> list[tuple]:
    """(code, label) of a codelist CSV: the Spanish label where the app has one, else the
    standard's English title, always with the code so publishers recognise it."""
    labels = labels or {}
    return [
        (code, f"{labels[code]} ({code})" if code in labels else f"{title} ({code})")
        for code, title in _codelist_rows(filename)
    ]


def method_choices() -> list[tuple]:
    return codelist_choices("method.csv", METHODS)


def currency_choices() -> list[tuple]:
    rows = dict(_codelist_rows("currency.csv"))
    first = [(code, f"{code} — {rows[code]}") for code in FIRST_CURRENCIES]
    rest = [(c, f"{c} — {t}") for c, t in sorted(rows.items()) if c not in FIRST_CURRENCIES]
    return first + rest


TENDER_STATUSES = {k: STATUSES[k] for k in ("planning", "planned", "active", "cancelled")}
TENDER_STATUSES.update({k: STATUSES[k] for k in ("unsuccessful", "complete", "withdrawn")})


# ------------------------------------------------------------------------- values, parties


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """A form's date or date-time as an OCDS date-time (dates at midnight, local time)."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.isoformat()


def money(amount: Decimal | None, currency: str | None) -> dict[str, Any] | None:
    if amount is None:
        return None
    # JSON numbers: an integer stays an integer, cents stay exact to two places.
    number: int | float = int(amount) if amount == amount.to_integral() else float(amount)
    return {"amount": number, "currency": currency or DEFAULT_CURRENCY}


def party_id(name: str, rfc: str = "") -> str:
    """A stable id: the RFC when there is one, so the same company is one party everywhere."""
    if rfc:
        return f"{RFC_SCHEME}-{rfc.upper()}"
    return "abierto-" + (slugify(name)[:80] or "organizacion")


def party(state: dict[str, Any], name: str, role: str, rfc: str = "") -> dict[str, Any]:
    """A party entry for a new release. `roles` is replaced whole on merge, so it carries the
    roles the organisation already has in the process plus the new one."""
    pid = party_id(name, rfc)
    roles: list[str] = []
    for existing in state.get("parties") or []:
        if isinstance(existing, dict) and existing.get("id") == pid:
            roles = [r for r in existing.get("roles") or [] if isinstance(r, str)]
    if role not in roles:
        roles.append(role)
    entry: dict[str, Any] = {"id": pid, "name": name, "roles": roles}
    if rfc:
        entry["identifier"] = {"scheme": RFC_SCHEME, "id": rfc.upper(), "legalName": name}
    return entry


def reference(entry: dict[str, Any]) -> dict[str, str]:
    return {"id": entry["id"], "name": entry["name"]}


def next_id(existing: Iterable[Any], prefix: str) -> str:
    """The next free `prefix-N` among the ids of an array of the compiled release."""
    used = {str(item.get("id")) for item in existing if isinstance(item, dict)}
    n = len(used) + 1
    while f"{prefix}-{n}" in used:
        n += 1
    return f"{prefix}-{n}"


def next_ids(existing: Iterable[Any], prefix: str, count: int) -> list[str]:
    existing = list(existing)
    ids = []
    for _n in range(count):
        new = next_id(existing, prefix)
        ids.append(new)
        existing.append({"id": new})
    return ids


# ------------------------------------------------------------------------ process state


def new_ocid(publisher: Publisher) -> str:
    """A fresh ocid with the publisher's prefix (never one already used)."""
    year = timezone.localdate().year
    while True:
        ocid = f"{publisher.ocid_prefix}-{year}-{secrets.token_hex(4).upper()}"
        if not Release.objects.filter(ocid=ocid).exists():
            return ocid


def state(ocid: str) -> dict[str, Any]:
    """The compiled release of a process, {} before its first release."""
    record = Record.objects.filter(ocid=ocid).only("compiled_release").first()
    return dict(record.compiled_release) if record else {}


def has_tag(ocid: str, tag: str) -> bool:
    return any(
        tag in (tags or [])
        for tags in Release.objects.filter(ocid=ocid).values_list("tags", flat=True)
    )


def release_id(ocid: str) -> str:
    """ocid + sequence: the releases of a process numbered in the order they were captured."""
    n = Release.objects.filter(ocid=ocid).count() + 1
    while Release.objects.filter(ocid=ocid, release_id=f"{ocid}-{n:03d}").exists():
        n += 1
    return f"{ocid}-{n:03d}"


def build(ocid: str, tag: str, body: dict[str, Any], *, date: dt.datetime | None = None) -> dict:
    """A whole release: identification, one tag, and the stage's sections."""
    return {
        "ocid": ocid,
        "id": release_id(ocid),
        "date": (date or timezone.now()).replace(microsecond=0).isoformat(),
        "tag": [tag],
        "initiationType": "tender",
        **body,
    }


def errors(release: dict[str, Any]) -> list[validation.Issue]:
    """What would make the release invalid: schema, closed codelists, dates and amounts.
    Warnings (extension fields, open codelists) do not refuse a release."""
    now = timezone.now()
    return [
        issue
        for issue in validation.release_issues(release, now=now)
        if issue.severity == validation.ERROR
    ]


def package(releases: list[dict[str, Any]], publisher: Publisher) -> bytes:
    data = {
        "uri": f"urn:abierto:captura:{publisher.ocid_prefix}",
        "version": standard.VERSION,
        "publishedDate": timezone.now().replace(microsecond=0).isoformat(),
        "publisher": {"name": publisher.name},
        "releases": releases,
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


@transaction.atomic
def import_create(
    *, actor: User | None, publisher: Publisher, source: str, content: bytes, name: str
) -> Import:
    """Record an import whose file is a release package made here (capture, spreadsheet)."""
    import_ = Import(publisher=publisher, source=source)
    import_.file.save(name, ContentFile(content), save=False)
    import_.save()
    audit.record(
        actor=actor, verb="import_create", obj=import_, before=None, after=audit.snapshot(import_)
    )
    return import_


def publish(*, actor: User | None, publisher: Publisher, release: dict[str, Any]) -> Import:
    """Check one captured release and, if valid, import it now; refuse it otherwise."""
    found = errors(release)
    if found:
        raise CaptureRefused(found)
    import_ = import_create(
        actor=actor,
        publisher=publisher,
        source=Import.Source.CAPTURE,
        content=package([release], publisher),
        name=f"captura-{slugify(release['id'])}.json",
    )
    # One release: imported in the request, so the official sees the process at once.
    return services.import_run(import_id=import_.pk, flags_now=False)
