"""Releases → records with ocdsmerge and the local 1.1.5 schema's merge rules."""

from __future__ import annotations

import warnings
from typing import Any

from django.utils import timezone

from abierto.contracting import parties, standard, validation
from abierto.contracting.models import Publisher, Record, Release


def releases_to_merge(ocid: str) -> list[dict[str, Any]]:
    """The releases a record is compiled from.

    A publisher that only sends compiled releases (e.g. the APF) gives us those; as soon as
    real releases of the process exist, they alone are merged.
    """
    rows = list(Release.objects.for_ocid(ocid).values_list("data", "tags"))
    proper = [data for data, tags in rows if "compiled" not in (tags or [])]
    return proper or [data for data, _ in rows]


def compile_releases(releases: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The compiled release and the merger's warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = standard.merger().create_compiled_release(releases)
    return compiled, [str(w.message) for w in caught]


def versioned_release(ocid: str) -> dict[str, Any]:
    """The versioned release of a process, built on demand (never stored: 20× the size)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return standard.merger().create_versioned_release(releases_to_merge(ocid))


def _summary(compiled: dict[str, Any]) -> dict[str, Any]:
    tender = compiled.get("tender") if isinstance(compiled.get("tender"), dict) else {}
    buyer = compiled.get("buyer") if isinstance(compiled.get("buyer"), dict) else {}
    buyer_name = buyer.get("name") or ""
    if not buyer_name:
        for party in compiled.get("parties") or []:
            if isinstance(party, dict) and "buyer" in (party.get("roles") or []):
                buyer_name = party.get("name") or ""
                break
    # The money of a process: its contracts, else its awards, else the tender estimate.
    amount, currency = None, ""
    for stage in ("contracts", "awards"):
        values = [
            item.get("value")
            for item in compiled.get(stage) or []
            if isinstance(item, dict) and isinstance(item.get("value"), dict)
        ]
        amounts = [parties.money(v.get("amount")) for v in values]
        currencies = {v.get("currency") for v in values}
        if values and None not in amounts and len(currencies) == 1:
            amount, currency = sum(amounts), str(next(iter(currencies)) or "")
            break
    if amount is None and isinstance(tender.get("value"), dict):
        amount = parties.money(tender["value"].get("amount"))
        currency = str(tender["value"].get("currency") or "") if amount is not None else ""
    year = None
    for candidate in (
        (tender.get("tenderPeriod") or {}).get("startDate")
        if isinstance(tender.get("tenderPeriod"), dict)
        else None,
        compiled.get("date"),
    ):
        if isinstance(candidate, str) and candidate[:4].isdigit():
            year = int(candidate[:4])
            break
    return {
        "buyer_name": str(buyer_name)[:500],
        "title": str(tender.get("title") or ""),
        "procurement_method": str(tender.get("procurementMethod") or "")[:40],
        "amount": amount,
        "currency": currency[:3],
        "year": year,
        "stage": parties.stage_of(compiled),
        "status": str(tender.get("status") or "")[:40],
    }


def compile_record(ocid: str, *, publisher: Publisher) -> Record:
    """Compile one process from its stored releases and save its record."""
    releases = releases_to_merge(ocid)
    error = ""
    try:
        compiled, merge_warnings = compile_releases(releases)
    except Exception as exc:  # noqa: BLE001 (bad publisher data must not stop an import)
        compiled, merge_warnings, error = {}, [], f"{type(exc).__name__}: {exc}"
    issues = [issue.as_dict() for issue in validation.process_issues(compiled)]
    issues += [
        {"type": "merge_warning", "severity": validation.WARNING, "path": "", "message": m}
        for m in merge_warnings[:10]
    ]
    values = {
        "publisher": publisher,
        "compiled_release": compiled,
        "release_count": len(releases),
        "compile_error": error,
        "issues": issues,
        "updated_at": timezone.now(),
        **_summary(compiled),
    }
    record, _ = Record.objects.update_or_create(ocid=ocid, defaults=values)
    return record


def compile_records(ocids: list[str], *, publisher: Publisher) -> list[Record]:
    """Compile a batch of processes and rebuild their party index in two queries for all."""
    records = [compile_record(ocid, publisher=publisher) for ocid in ocids]
    parties.rebuild(records)
    return records
