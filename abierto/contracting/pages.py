"""Public pages of open contracting, in Spanish: process search, process, suppliers, buyers.

Every list reads the denormalised columns of `Record` and the party index `RecordParty`, never
the compiled releases (only the process page opens its one compiled release), so a page costs
the same handful of queries however many rows it shows. Money is never added up across
currencies: every total is kept per currency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from abierto.contracting import charts, searching
from abierto.contracting.models import Record, RecordParty, Release, Stage
from abierto.core import exports
from abierto.core.pagecache import public_page

Role = RecordParty.Role
PAGE_SIZE = 25
TOP_BUYERS = 10
# Codelists procurementMethod (closed) and tenderStatus (open), in Spanish.
METHODS = {
    "open": gettext_lazy("abierto (licitación pública)"),
    "selective": gettext_lazy("selectivo (invitación restringida)"),
    "limited": gettext_lazy("limitado (adjudicación directa)"),
    "direct": gettext_lazy("directo"),
}
# Short names for chart labels, which have little room.
METHOD_SHORT = {
    "open": gettext_lazy("abierto"),
    "selective": gettext_lazy("selectivo"),
    "limited": gettext_lazy("limitado"),
    "direct": gettext_lazy("directo"),
}
STATUSES = {
    "planning": gettext_lazy("en planeación"),
    "planned": gettext_lazy("planeado"),
    "active": gettext_lazy("activo"),
    "cancelled": gettext_lazy("cancelado"),
    "unsuccessful": gettext_lazy("desierto"),
    "complete": gettext_lazy("concluido"),
    "withdrawn": gettext_lazy("retirado"),
}
STAGES = dict(Stage.choices)
SORTS = {
    "-fecha": gettext_lazy("más recientes primero"),
    "fecha": gettext_lazy("más antiguos primero"),
    "-monto": gettext_lazy("mayor monto primero"),
    "monto": gettext_lazy("menor monto primero"),
}
# Columns a list of processes needs; never the compiled release.
ROW_FIELDS = (
    "ocid",
    "title",
    "buyer_name",
    "procurement_method",
    "amount",
    "currency",
    "year",
    "stage",
    "status",
)


def method_label(code: str) -> str:
    return str(METHODS.get(code, code or _("sin dato")))


def method_short(code: str) -> str:
    return str(METHOD_SHORT.get(code, code[:18] or _("sin dato")))


# ----------------------------------------------------------------------------- money


@dataclass
class Money:
    amount: Decimal | None
    currency: str

    def __str__(self) -> str:
        return charts.money_text(self.amount, self.currency or _("sin moneda"))


def per_currency(rows: list[tuple[str, Decimal | None]]) -> list[Money]:
    """Totals per currency (largest first), never one sum across currencies."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in rows:
        if amount is not None:
            totals[currency or ""] += amount
    return [Money(a, c) for c, a in sorted(totals.items(), key=lambda kv: -kv[1])]


def _share(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (100 * part / whole).quantize(Decimal("0.1"))


# ----------------------------------------------------------------------------- search


class SearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Buscar"), required=False, max_length=200)
    comprador = forms.CharField(label=gettext_lazy("Comprador"), required=False, max_length=255)
    proveedor = forms.CharField(label=gettext_lazy("Proveedor"), required=False, max_length=255)
    metodo = forms.ChoiceField(
        label=gettext_lazy("Método de contratación"),
        required=False,
        choices=[("", gettext_lazy("Todos"))] + list(METHODS.items()),
    )
    etapa = forms.ChoiceField(
        label=gettext_lazy("Etapa"),
        required=False,
        choices=[("", gettext_lazy("Todas"))] + list(STAGES.items()),
    )
    estado = forms.ChoiceField(
        label=gettext_lazy("Estado de la licitación"),
        required=False,
        choices=[("", gettext_lazy("Todos"))] + list(STATUSES.items()),
    )
    anio = forms.IntegerField(
        label=gettext_lazy("Año"), required=False, min_value=1900, max_value=2999
    )
    moneda = forms.RegexField(
        label=gettext_lazy("Moneda"),
        required=False,
        regex=r"^[A-Za-z]{3}$",
        error_messages={"invalid": gettext_lazy("Escriba un código de tres letras, como MXN.")},
    )
    monto_min = forms.DecimalField(
        label=gettext_lazy("Monto mínimo"), required=False, max_digits=19, decimal_places=2
    )
    monto_max = forms.DecimalField(
        label=gettext_lazy("Monto máximo"), required=False, max_digits=19, decimal_places=2
    )
    orden = forms.ChoiceField(
        label=gettext_lazy("Ordenar por"), required=False, choices=list(SORTS.items())
    )
    pagina = forms.IntegerField(label=gettext_lazy("Página"), required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("monto_min"), data.get("monto_max")
        if low is not None and high is not None and low > high:
            raise ValidationError(_("El monto mínimo es mayor que el monto máximo."))
        if data.get("moneda"):
            data["moneda"] = data["moneda"].upper()
        return data


def _party_exists(role: str, **lookups: Any) -> Exists:
    return Exists(RecordParty.objects.filter(record=OuterRef("pk"), role=role, **lookups))


def search_records(data: dict[str, Any]) -> QuerySet[Record]:
    """The records matching the search form's cleaned data (not ordered)."""
    qs = Record.objects.all()
    if text := (data.get("q") or "").strip():
        qs = qs.filter(pk__in=searching.matching(text))
    if buyer := data.get("comprador"):
        qs = qs.filter(_party_exists(Role.BUYER, key=buyer))
    if supplier := (data.get("proveedor") or "").strip():
        qs = qs.filter(
            Exists(
                RecordParty.objects.filter(
                    Q(key=supplier) | Q(name__icontains=supplier),
                    record=OuterRef("pk"),
                    role=Role.SUPPLIER,
                )
            )
        )
    for name, column in (
        ("metodo", "procurement_method"),
        ("etapa", "stage"),
        ("estado", "status"),
        ("anio", "year"),
        ("moneda", "currency"),
    ):
        if data.get(name) not in (None, ""):
            qs = qs.filter(**{column: data[name]})
    if data.get("monto_min") is not None:
        qs = qs.filter(amount__gte=data["monto_min"])
    if data.get("monto_max") is not None:
        qs = qs.filter(amount__lte=data["monto_max"])
    return qs


def _ordered(qs: QuerySet[Record], sort: str) -> QuerySet[Record]:
    if sort in ("monto", "-monto"):
        amount = F("amount").desc(nulls_last=True) if sort == "-monto" else F("amount").asc()
        return qs.order_by(amount, "ocid")
    # The date of the newest release: ISO 8601 text sorts in time order.
    return qs.order_by("date" if sort == "fecha" else "-date", "ocid")


def _named(rows: list[Record]) -> list[Record]:
    for row in rows:
        row.method_name = method_label(row.procurement_method)
    return rows


def _with_suppliers(qs: QuerySet[Record]) -> QuerySet[Record]:
    return qs.only(*ROW_FIELDS).prefetch_related(
        Prefetch(
            "party_roles",
            queryset=RecordParty.objects.filter(role=Role.SUPPLIER).only(
                "record_id", "key", "name"
            ),
            to_attr="suppliers",
        )
    )


@dataclass
class FacetItem:
    value: Any
    label: str
    count: int
    selected: bool = False
    url: str = ""


def _facet_urls(request: HttpRequest, facets: list[Facet]) -> None:
    """Each item's link: the same search with this value chosen (or unchosen), page one."""
    for facet in facets:
        for item in facet.items:
            params = request.GET.copy()
            for name in ("pagina", "format", facet.param):
                params.pop(name, None)
            if not item.selected:
                params[facet.param] = str(item.value)
            item.url = "?" + params.urlencode()


@dataclass
class Facet:
    param: str
    title: str
    items: list[FacetItem] = field(default_factory=list)


def _grouped(qs: QuerySet[Record], *columns: str) -> list[dict[Any, dict[str, Any]]]:
    """Count and totals per currency of each column's values: one dict per column, all from
    one query (grouped by every column at once, then regrouped here: a few hundred groups at
    most), because each query reads the matching records again, and with `q` that is the
    costly part: a text match over every process's search line."""
    groups: list[dict[Any, dict[str, Any]]] = [{} for _column in columns]
    rows = qs.order_by().values(*columns, "currency").annotate(n=Count("pk"), total=Sum("amount"))
    for row in rows:
        for column, by_value in zip(columns, groups, strict=True):
            group = by_value.setdefault(row[column], {"count": 0, "money": {}})
            group["count"] += row["n"]
            if row["total"] is not None:
                money = group["money"]
                money[row["currency"]] = money.get(row["currency"], 0) + row["total"]
    for by_value in groups:
        for group in by_value.values():
            group["money"] = list(group["money"].items())
    return groups


def _charts(groups: dict[Any, dict[str, Any]], label, title: str) -> list[dict[str, Any]]:
    """One chart per currency (at most three) of the groups' totals."""
    by_currency: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for value, group in groups.items():
        for currency, total in group["money"]:
            if total is not None and currency:
                by_currency[currency].append((label(value), total))
    ranked = sorted(by_currency.items(), key=lambda kv: -sum(a for _l, a in kv[1]))[:3]
    result = []
    for currency, items in ranked:
        items.sort(key=lambda item: item[0])
        chart_title = f"{title} ({currency})"
        description = "; ".join(f"{lbl}: {charts.money_text(a, currency)}" for lbl, a in items)
        result.append(
            {
                "currency": currency,
                "title": chart_title,
                "svg": charts.amount_bars(
                    items, currency=currency, title=chart_title, description=description
                ),
                "rows": [(lbl, charts.money_text(a, currency)) for lbl, a in items],
            }
        )
    return result


def _year_label(year: int | None) -> str:
    return str(year) if year else _("sin año")


def _stage_label(stage: str) -> str:
    return str(STAGES.get(stage, _("sin datos")))


def _record_columns(request: HttpRequest) -> list[exports.Column]:
    def url(record: Record) -> str:
        return request.build_absolute_uri(reverse("contracting:process", args=[record.ocid]))

    return [
        exports.Column("ocid", lambda r: r.ocid),
        exports.Column("titulo", lambda r: r.title),
        exports.Column("comprador", lambda r: r.buyer_name),
        exports.Column("metodo", lambda r: r.procurement_method),
        exports.Column("etapa", lambda r: r.stage),
        exports.Column("estado", lambda r: r.status),
        exports.Column("anio", lambda r: r.year),
        exports.Column("monto", lambda r: r.amount),
        exports.Column("moneda", lambda r: r.currency),
        exports.Column("proveedores", lambda r: [p.name for p in r.suppliers]),
        exports.Column("url", url),
    ]


@require_GET
@public_page
def search(request: HttpRequest) -> HttpResponse:
    """Search of contracting processes with facets, charts, pages and CSV/JSON download."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "invalid": True, "sorts": SORTS}
        return render(request, "contracting/search.html", context, status=400)
    data = form.cleaned_data
    sort = data.get("orden") or "-fecha"
    qs = search_records(data)
    fmt = exports.requested_format(request)
    if fmt:
        rows = _with_suppliers(_ordered(qs, sort)).iterator(chunk_size=500)
        return exports.export_response(
            fmt, rows=rows, columns=_record_columns(request), filename="procesos-de-contratacion"
        )
    filtering = any(
        data.get(name) not in (None, "") for name in form.fields if name not in ("orden", "pagina")
    )
    by_method, by_year, by_stage = _grouped(qs, "procurement_method", "year", "stage")
    buyer_rows = RecordParty.objects.filter(role=Role.BUYER)
    if filtering:
        # Unfiltered, every buyer row counts: checking each against the list of all records
        # cost half of that page.
        buyer_rows = buyer_rows.filter(record__in=qs.order_by().values("pk"))
    buyers = list(
        buyer_rows.values("key")
        .annotate(n=Count("record"), name=Min("name"))
        .order_by("-n", "key")[:TOP_BUYERS]
    )
    total = sum(group["count"] for group in by_stage.values())
    page = data.get("pagina") or 1
    last_page = max(1, -(-total // PAGE_SIZE))
    rows = _named(
        list(_with_suppliers(_ordered(qs, sort))[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    )
    facets = [
        Facet(
            "metodo",
            _("Método de contratación"),
            [
                FacetItem(m, method_label(m), g["count"], data.get("metodo") == m)
                for m, g in sorted(by_method.items(), key=lambda kv: -kv[1]["count"])
                if m
            ],
        ),
        Facet(
            "anio",
            _("Año"),
            [
                FacetItem(y, str(y), g["count"], data.get("anio") == y)
                for y, g in sorted(by_year.items(), key=lambda kv: -(kv[0] or 0))
                if y
            ],
        ),
        Facet(
            "etapa",
            _("Etapa"),
            [
                FacetItem(s, _stage_label(s), by_stage[s]["count"], data.get("etapa") == s)
                for s in STAGES
                if s in by_stage
            ],
        ),
        Facet(
            "comprador",
            _("Comprador (los %(n)s con más procesos)") % {"n": TOP_BUYERS},
            [
                FacetItem(b["key"], b["name"], b["n"], data.get("comprador") == b["key"])
                for b in buyers
            ],
        ),
    ]
    _facet_urls(request, facets)
    context = {
        "form": form,
        "sorts": SORTS,
        "sort": sort,
        "facets": facets,
        "rows": rows,
        "total": total,
        "page": page,
        "last_page": last_page,
        "first_shown": (page - 1) * PAGE_SIZE + 1,
        "last_shown": (page - 1) * PAGE_SIZE + len(rows),
        "beyond_last": bool(total) and page > last_page,
        "totals": per_currency([money for g in by_method.values() for money in g["money"]]),
        "method_charts": _charts(by_method, method_short, _("Monto por método de contratación")),
        "year_charts": _charts(by_year, _year_label, _("Monto por año")),
        "filtering": filtering,
    }
    return render(request, "contracting/search.html", context)


# ----------------------------------------------------------------------------- process


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _when(value: Any):
    """A datetime for the template's date filter, or the text as published."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    return parsed or value


def _money(value: Any) -> Money | None:
    value = _dict(value)
    if value.get("amount") in (None, ""):
        return None
    try:
        amount = Decimal(str(value["amount"]))
    except (ArithmeticError, ValueError):
        return None
    return Money(amount, str(value.get("currency") or ""))


def _period(value: Any) -> dict[str, Any] | None:
    value = _dict(value)
    start, end = _when(value.get("startDate")), _when(value.get("endDate"))
    return {"start": start, "end": end} if start or end else None


def _documents(value: Any) -> list[dict[str, Any]]:
    docs = []
    for doc in map(_dict, _list(value)):
        url = str(doc.get("url") or "")
        docs.append(
            {
                "title": str(doc.get("title") or doc.get("id") or _("Documento")),
                "type": str(doc.get("documentType") or ""),
                # Only web links: a javascript: or data: URL from the data must never be a link.
                "url": url if url.lower().startswith(("http://", "https://")) else "",
                "date": _when(doc.get("datePublished")),
                "format": str(doc.get("format") or ""),
            }
        )
    return docs


def _names(refs: Any) -> list[str]:
    return [str(_dict(r).get("name") or _dict(r).get("id") or "") for r in _list(refs)]


def timeline(compiled: dict[str, Any]) -> list[dict[str, Any]]:
    """The stages present in a compiled release, in order, with what a reader needs of each."""
    stages = []
    planning = _dict(compiled.get("planning"))
    if planning:
        budget = _dict(planning.get("budget"))
        stages.append(
            {
                "stage": Stage.PLANNING,
                "label": STAGES[Stage.PLANNING],
                "budget": _money(budget.get("amount")),
                "budget_description": str(budget.get("description") or budget.get("project") or ""),
                "rationale": str(planning.get("rationale") or ""),
                "documents": _documents(planning.get("documents")),
            }
        )
    tender = _dict(compiled.get("tender"))
    if any(k != "id" for k in tender):
        items = [
            {
                "description": str(_dict(i).get("description") or ""),
                "quantity": _dict(i).get("quantity"),
                "unit": str(_dict(_dict(i).get("unit")).get("name") or ""),
            }
            for i in _list(tender.get("items"))
        ]
        stages.append(
            {
                "stage": Stage.TENDER,
                "label": STAGES[Stage.TENDER],
                "status": STATUSES.get(tender.get("status"), tender.get("status") or ""),
                "method": method_label(str(tender.get("procurementMethod") or "")),
                "method_details": str(tender.get("procurementMethodDetails") or ""),
                "value": _money(tender.get("value")),
                "period": _period(tender.get("tenderPeriod")),
                "enquiry_period": _period(tender.get("enquiryPeriod")),
                "award_period": _period(tender.get("awardPeriod")),
                "items": items,
                "tenderers": _names(tender.get("tenderers")),
                "documents": _documents(tender.get("documents")),
            }
        )
    awards = [
        {
            "id": str(a.get("id") or ""),
            "title": str(a.get("title") or ""),
            "status": str(a.get("status") or ""),
            "date": _when(a.get("date")),
            "value": _money(a.get("value")),
            "suppliers": _names(a.get("suppliers")),
            "documents": _documents(a.get("documents")),
        }
        for a in map(_dict, _list(compiled.get("awards")))
    ]
    if awards:
        stages.append({"stage": Stage.AWARD, "label": STAGES[Stage.AWARD], "awards": awards})
    contracts = []
    for c in map(_dict, _list(compiled.get("contracts"))):
        implementation = _dict(c.get("implementation"))
        contracts.append(
            {
                "id": str(c.get("id") or ""),
                "title": str(c.get("title") or ""),
                "status": str(c.get("status") or ""),
                "signed": _when(c.get("dateSigned")),
                "period": _period(c.get("period")),
                "value": _money(c.get("value")),
                "documents": _documents(c.get("documents")),
                "amendments": [
                    {
                        "date": _when(_dict(a).get("date")),
                        "rationale": str(_dict(a).get("rationale") or ""),
                        "description": str(_dict(a).get("description") or ""),
                    }
                    for a in _list(c.get("amendments"))
                ],
                "transactions": [
                    {
                        "date": _when(_dict(t).get("date")),
                        "value": _money(_dict(t).get("value") or _dict(t).get("amount")),
                        "payer": str(_dict(_dict(t).get("payer")).get("name") or ""),
                        "payee": str(_dict(_dict(t).get("payee")).get("name") or ""),
                    }
                    for t in _list(implementation.get("transactions"))
                ],
                "implementation_documents": _documents(implementation.get("documents")),
            }
        )
    if contracts:
        stages.append(
            {"stage": Stage.CONTRACT, "label": STAGES[Stage.CONTRACT], "contracts": contracts}
        )
    return stages


def _red_flags_template() -> bool:
    """Whether the red flags include exists (it belongs to the red flags module)."""
    try:
        get_template("contracting/_red_flags.html")
    except TemplateDoesNotExist:
        return False
    return True


@require_GET
@public_page
def process(request: HttpRequest, ocid: str) -> HttpResponse:
    """One contracting process: its stages, documents, parties, data quality and red flags."""
    record = get_object_or_404(Record.objects.select_related("publisher"), ocid=ocid)
    releases = list(
        Release.objects.for_ocid(ocid).only(
            "pk", "release_id", "date", "tags", "validity", "issues"
        )
    )
    roles = defaultdict(list)
    for party in record.party_roles.all():
        roles[party.role].append(party)
    compiled = record.compiled_release or {}
    context = {
        "record": record,
        "description": str(_dict(compiled.get("tender")).get("description") or ""),
        "method": method_label(record.procurement_method),
        "status": STATUSES.get(record.status, record.status),
        "amount": Money(record.amount, record.currency) if record.amount is not None else None,
        "timeline": timeline(compiled),
        "roles": [
            {"role": role, "label": label, "parties": roles.get(role, [])}
            for role, label in Role.choices
            if roles.get(role)
        ],
        "buyers": roles.get(Role.BUYER, []),
        "releases": releases,
        "release_issues": sum(len(r.issues or []) for r in releases),
        "flags": list(record.red_flags.all()),
        "red_flags_template": _red_flags_template(),
    }
    return render(request, "contracting/process.html", context)


# ----------------------------------------------------------------------------- parties


class PartyListForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Nombre"), required=False, max_length=200)
    pagina = forms.IntegerField(label=gettext_lazy("Página"), required=False, min_value=1)


def _totals_by_key(rows) -> dict[str, list[Money]]:
    grouped: dict[str, list[tuple[str, Decimal | None]]] = defaultdict(list)
    for row in rows:
        currency = row["currency"] if "currency" in row else row["record__currency"]
        grouped[row["key"]].append((currency, row["total"]))
    return {key: per_currency(money) for key, money in grouped.items()}


def _party_list(request: HttpRequest, *, role: str, template: str, filename: str) -> HttpResponse:
    form = PartyListForm(request.GET)
    if not form.is_valid():
        return render(request, template, {"form": form, "invalid": True}, status=400)
    base = RecordParty.objects.filter(role=role)
    if text := (form.cleaned_data.get("q") or "").strip():
        base = base.filter(name__icontains=text)
    keys = (
        base.values("key")
        .annotate(name=Min("name"), processes=Count("record", distinct=True))
        .order_by("-processes", "key")
    )

    def totals(selected_keys) -> dict[str, list[Money]]:
        if role == Role.SUPPLIER:
            money = base.filter(key__in=selected_keys).values("key", "currency")
            money = money.annotate(total=Sum("amount"))
        else:
            money = base.filter(key__in=selected_keys).values("key", "record__currency")
            money = money.annotate(total=Sum("record__amount"))
        return _totals_by_key(money.order_by())

    fmt = exports.requested_format(request)
    if fmt:
        rows = list(keys)
        money = totals([row["key"] for row in rows])
        columns = [
            exports.Column("clave", lambda r: r["key"]),
            exports.Column("nombre", lambda r: r["name"]),
            exports.Column("procesos", lambda r: r["processes"]),
            exports.Column("montos", lambda r: [str(m) for m in money.get(r["key"], [])]),
        ]
        return exports.export_response(fmt, rows=rows, columns=columns, filename=filename)
    total = keys.count()
    page = form.cleaned_data.get("pagina") or 1
    rows = list(keys[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    money = totals([row["key"] for row in rows])
    for row in rows:
        row["money"] = money.get(row["key"], [])
    context = {
        "form": form,
        "rows": rows,
        "total": total,
        "page": page,
        "last_page": max(1, -(-total // PAGE_SIZE)),
        "beyond_last": bool(total) and page > max(1, -(-total // PAGE_SIZE)),
    }
    return render(request, template, context)


@require_GET
@public_page
def suppliers(request: HttpRequest) -> HttpResponse:
    """Suppliers with the processes they won and their awarded amounts per currency."""
    return _party_list(
        request, role=Role.SUPPLIER, template="contracting/suppliers.html", filename="proveedores"
    )


@require_GET
@public_page
def buyers(request: HttpRequest) -> HttpResponse:
    """Buyers with their processes and the processes' amounts per currency."""
    return _party_list(
        request, role=Role.BUYER, template="contracting/buyers.html", filename="compradores"
    )


def _page_number(request: HttpRequest) -> int:
    form = PartyListForm({"pagina": request.GET.get("pagina") or None})
    return (form.cleaned_data.get("pagina") or 1) if form.is_valid() else 0


def _flagged(records: QuerySet[Record]) -> list[Record]:
    return list(
        records.filter(red_flags__isnull=False)
        .distinct()
        .only(*ROW_FIELDS)
        .prefetch_related("red_flags")
        .order_by("ocid")[:100]
    )


@require_GET
@public_page
def supplier(request: HttpRequest, key: str) -> HttpResponse:
    """A supplier: processes won, totals per currency, its buyers and its share of each."""
    page = _page_number(request)
    if not page:
        return render(request, "contracting/bad_page.html", status=400)
    won = RecordParty.objects.filter(role=Role.SUPPLIER, key=key)
    rows = list(
        won.select_related("record")
        .only("name", "identifier", "amount", "currency", *(f"record__{f}" for f in ROW_FIELDS))
        .order_by("-record__year", "record__ocid")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    )
    summary = won.aggregate(processes=Count("record", distinct=True), name=Min("name"))
    tendered = RecordParty.objects.filter(role=Role.TENDERER, key=key).count()
    if not summary["processes"] and not tendered:
        raise Http404
    totals = per_currency(list(won.order_by().values_list("currency").annotate(Sum("amount"))))
    # Its sales per buyer and currency, and each buyer's whole awarded amount, for the share.
    sold = list(
        won.filter(record__party_roles__role=Role.BUYER)
        .values("currency", buyer_key=F("record__party_roles__key"))
        .annotate(
            n=Count("record", distinct=True),
            total=Sum("amount"),
            buyer=Min("record__party_roles__name"),
        )
        .order_by()
    )
    buyer_keys = {row["buyer_key"] for row in sold}
    awarded = {
        (row["buyer_key"], row["currency"]): row["total"]
        for row in RecordParty.objects.filter(
            role=Role.SUPPLIER,
            record__party_roles__role=Role.BUYER,
            record__party_roles__key__in=buyer_keys,
        )
        .values("currency", buyer_key=F("record__party_roles__key"))
        .annotate(total=Sum("amount"))
        .order_by()
    }
    by_buyer = sorted(
        (
            {
                "key": row["buyer_key"],
                "name": row["buyer"],
                "processes": row["n"],
                "money": Money(row["total"], row["currency"]) if row["total"] is not None else None,
                "buyer_total": Money(
                    awarded.get((row["buyer_key"], row["currency"])), row["currency"]
                ),
                "share": _share(row["total"], awarded.get((row["buyer_key"], row["currency"]))),
            }
            for row in sold
        ),
        key=lambda item: (-(item["share"] or 0), item["key"]),
    )
    total = summary["processes"]
    context = {
        "key": key,
        "name": rows[0].name if rows else summary["name"],
        "identifier": rows[0].identifier if rows else "",
        "rows": rows,
        "total": total,
        "tendered": tendered,
        "totals": totals,
        "by_buyer": by_buyer,
        "flagged": _flagged(
            Record.objects.filter(party_roles__role=Role.SUPPLIER, party_roles__key=key)
        ),
        "page": page,
        "last_page": max(1, -(-total // PAGE_SIZE)),
    }
    return render(request, "contracting/supplier.html", context)


@require_GET
@public_page
def buyer(request: HttpRequest, key: str) -> HttpResponse:
    """A buyer: its processes, amounts by method and by year, top suppliers and their shares."""
    page = _page_number(request)
    if not page:
        return render(request, "contracting/bad_page.html", status=400)
    names = RecordParty.objects.filter(role=Role.BUYER, key=key).aggregate(
        name=Min("name"), processes=Count("record", distinct=True)
    )
    if not names["processes"]:
        raise Http404
    records = Record.objects.filter(_party_exists(Role.BUYER, key=key))
    by_method, by_year = _grouped(records, "procurement_method", "year")
    rows = _named(
        list(
            _with_suppliers(_ordered(records, "-fecha"))[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        )
    )
    in_buyer = RecordParty.objects.filter(
        role=Role.SUPPLIER, record__party_roles__role=Role.BUYER, record__party_roles__key=key
    )
    awarded = {
        row["currency"]: row["total"]
        for row in in_buyer.values("currency").annotate(total=Sum("amount")).order_by()
    }
    top = [
        {
            "key": row["key"],
            "name": row["name"],
            "processes": row["n"],
            "money": Money(row["total"], row["currency"]),
            "share": _share(row["total"], awarded.get(row["currency"])),
        }
        for row in in_buyer.exclude(amount=None)
        .values("key", "currency")
        .annotate(total=Sum("amount"), name=Min("name"), n=Count("record", distinct=True))
        .order_by("-total", "key")[:10]
    ]
    total = names["processes"]
    context = {
        "key": key,
        "name": names["name"],
        "total": total,
        "rows": rows,
        "totals": per_currency([m for g in by_method.values() for m in g["money"]]),
        "awarded": per_currency(list(awarded.items())),
        "by_method": [
            {"label": method_label(m), "count": g["count"], "money": per_currency(g["money"])}
            for m, g in sorted(by_method.items(), key=lambda kv: -kv[1]["count"])
        ],
        "by_year": [
            {"label": _year_label(y), "count": g["count"], "money": per_currency(g["money"])}
            for y, g in sorted(by_year.items(), key=lambda kv: -(kv[0] or 0))
        ],
        "method_charts": _charts(by_method, method_short, _("Monto por método de contratación")),
        "year_charts": _charts(by_year, _year_label, _("Monto por año")),
        "top": top,
        "flagged": _flagged(records),
        "page": page,
        "last_page": max(1, -(-total // PAGE_SIZE)),
    }
    return render(request, "contracting/buyer.html", context)
