"""OCDS 1.0 → 1.1 upgrade of one release (the documented changes our publishers need).

In 1.1 organisations are listed once in `parties`, with roles, and referenced elsewhere by
`{id, name}`: `buyer`, `tender.procuringEntity`, `tender.tenderers`, `awards[].suppliers`,
`contracts[].implementation.transactions[].providerOrganization/receiverOrganization`
(renamed payer/payee). A 1.0 `amendment` object becomes the 1.1 `amendments` list.
"""

from __future__ import annotations

import copy
from typing import Any


def _party_id(organization: dict[str, Any]) -> str:
    identifier = organization.get("identifier") or {}
    if isinstance(identifier, dict) and identifier.get("id") not in (None, ""):
        scheme = identifier.get("scheme") or ""
        return f"{scheme}-{identifier['id']}" if scheme else str(identifier["id"])
    return str(organization.get("name") or "")


class _Parties:
    def __init__(self, release: dict[str, Any]) -> None:
        existing = release.get("parties")
        self.parties: list[dict[str, Any]] = existing if isinstance(existing, list) else []
        self.by_id = {p.get("id"): p for p in self.parties if isinstance(p, dict)}

    def reference(self, organization: Any, role: str) -> Any:
        """Add (or merge) the organisation into parties with `role`; return its reference."""
        if not isinstance(organization, dict):
            return organization
        if "id" in organization and set(organization) <= {"id", "name"}:
            party = self.by_id.get(organization["id"])
            if party is not None:
                self._add_role(party, role)
            return organization
        party_id = _party_id(organization)
        party = self.by_id.get(party_id)
        if party is None:
            party = {"id": party_id, **organization, "roles": []}
            self.by_id[party_id] = party
            self.parties.append(party)
        self._add_role(party, role)
        reference = {"id": party_id}
        if organization.get("name"):
            reference["name"] = organization["name"]
        return reference

    @staticmethod
    def _add_role(party: dict[str, Any], role: str) -> None:
        roles = party.setdefault("roles", [])
        if role not in roles:
            roles.append(role)


def _organization(identifier: Any) -> Any:
    # 1.0 transactions name their organisations by an Identifier, not an Organization.
    if isinstance(identifier, dict) and "identifier" not in identifier and "scheme" in identifier:
        return {"identifier": identifier, "name": identifier.get("legalName") or ""}
    return identifier


def _amendment(obj: dict[str, Any]) -> None:
    amendment = obj.pop("amendment", None)
    if isinstance(amendment, dict) and "amendments" not in obj:
        obj["amendments"] = [{"id": "1", **amendment}] if "id" not in amendment else [amendment]


def _unreferenced(organization: Any) -> bool:
    return isinstance(organization, dict) and "id" not in organization


def looks_like_1_0(release: dict[str, Any]) -> bool:
    """Organisations written in place (no `id` to a party): the 1.0 shape."""
    tender = release.get("tender") if isinstance(release.get("tender"), dict) else {}
    organizations = [release.get("buyer"), tender.get("procuringEntity")]
    organizations += tender.get("tenderers") or []
    for award in release.get("awards") or []:
        if isinstance(award, dict):
            organizations += award.get("suppliers") or []
    return any(_unreferenced(o) for o in organizations)


def upgrade_release(release: dict[str, Any]) -> dict[str, Any]:
    """A 1.1 copy of a 1.0 release; a release already in 1.1 shape is returned equal."""
    release = copy.deepcopy(release)
    parties = _Parties(release)
    if "buyer" in release:
        release["buyer"] = parties.reference(release["buyer"], "buyer")
    tender = release.get("tender")
    if isinstance(tender, dict):
        if "procuringEntity" in tender:
            tender["procuringEntity"] = parties.reference(
                tender["procuringEntity"], "procuringEntity"
            )
        if isinstance(tender.get("tenderers"), list):
            tender["tenderers"] = [parties.reference(o, "tenderer") for o in tender["tenderers"]]
        _amendment(tender)
    for award in release.get("awards") or []:
        if not isinstance(award, dict):
            continue
        if isinstance(award.get("suppliers"), list):
            award["suppliers"] = [parties.reference(o, "supplier") for o in award["suppliers"]]
        _amendment(award)
    for contract in release.get("contracts") or []:
        if not isinstance(contract, dict):
            continue
        _amendment(contract)
        implementation = contract.get("implementation")
        if not isinstance(implementation, dict):
            continue
        for transaction in implementation.get("transactions") or []:
            if not isinstance(transaction, dict):
                continue
            for old, new in (("providerOrganization", "payer"), ("receiverOrganization", "payee")):
                if old in transaction:
                    transaction[new] = parties.reference(_organization(transaction.pop(old)), new)
            if "amount" in transaction and "value" not in transaction:
                transaction["value"] = transaction.pop("amount")
    if parties.parties:
        release["parties"] = parties.parties
    return release
