"""The capture forms, one per stage of a contracting process, in Spanish and without JavaScript.

Each stage is a main form plus repeatable rows (formsets grown by an «agregar otra fila» submit
button). `StagePage.build()` turns the cleaned data into the stage's release sections, with a
map from OCDS paths back to the fields that produced them, so that an issue the schema check
finds is shown on the field the official typed it in.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from abierto.contracting import capture, validation
from abierto.contracting.models import Publisher

Where = dict[str, tuple]  # OCDS path prefix -> ("main", field) | (rows, index, field)

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]
ITEM_SCHEMES = [
    ("CUCOP", gettext_lazy("Clasificador Único de las Contrataciones Públicas (CUCOP)")),
    *[(c, label) for c, label in capture.codelist_choices("itemClassificationScheme.csv")],
]


def _date(label: str, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"})
    )


def _datetime(label: str, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=gettext_lazy("Fecha y hora (aaaa-mm-ddThh:mm), hora del centro de México."),
    )


def _amount(label: str, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_digits=18,
        decimal_places=2,
        error_messages={"min_value": gettext_lazy("El monto no puede ser negativo.")},
        help_text=gettext_lazy("Sin separador de miles; decimales con punto: 1234.56"),
    )


def _currency(label: str | None = None) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label or gettext_lazy("Moneda"),
        choices=capture.currency_choices,
        initial=capture.DEFAULT_CURRENCY,
    )


def _choice(label: str, choices: Callable | list, *, required: bool = True) -> forms.ChoiceField:
    if not required:
        base = choices

        def choices() -> list:
            return [("", _("— sin dato —")), *(base() if callable(base) else base)]

    return forms.ChoiceField(label=label, choices=choices, required=required)


def clean_rfc(value: str) -> str:
    value = (value or "").strip().upper().replace(" ", "").replace("-", "")
    if value and not capture.RFC.match(value):
        raise forms.ValidationError(
            _(
                "«%(value)s» no es un RFC: 3 letras (persona moral) o 4 (persona física), "
                "6 dígitos de la fecha y 3 caracteres de homoclave, p. ej. ABC010101AB1."
            )
            % {"value": value}
        )
    return value


def check_period(form: forms.Form, start: str, end: str) -> None:
    """A period that ends before it starts: the error goes on the end field."""
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and last < first:
        form.add_error(end, _("La fecha de fin es anterior a la de inicio."))


# ------------------------------------------------------------------------------ rows


class BudgetLineForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("Concepto"), max_length=500)
    amount = _amount(gettext_lazy("Monto"), required=True)
    currency = _currency()
    project_id = forms.CharField(
        label=gettext_lazy("Clave del programa o proyecto"), max_length=100, required=False
    )


class ItemForm(forms.Form):
    description = forms.CharField(label=gettext_lazy("Descripción del bien o servicio"))
    scheme = _choice(gettext_lazy("Clasificador"), ITEM_SCHEMES, required=False)
    classification_id = forms.CharField(
        label=gettext_lazy("Clave en el clasificador"), max_length=100, required=False
    )
    quantity = forms.DecimalField(
        label=gettext_lazy("Cantidad"),
        required=False,
        min_value=Decimal(0),
        error_messages={"min_value": gettext_lazy("La cantidad no puede ser negativa.")},
    )
    unit = forms.CharField(
        label=gettext_lazy("Unidad (pieza, litro, servicio…)"), max_length=100, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("classification_id") and not data.get("scheme"):
            self.add_error("scheme", _("Indique el clasificador de la clave."))
        return data


class DocumentForm(forms.Form):
    document_type = _choice(
        gettext_lazy("Tipo de documento"),
        lambda: capture.codelist_choices("documentType.csv", capture.DOCUMENT_TYPES),
    )
    title = forms.CharField(label=gettext_lazy("Título"), max_length=500)
    url = forms.URLField(
        label=gettext_lazy("Dirección (URL) del documento"),
        max_length=1000,
        assume_scheme="https",
    )


class SupplierForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Razón social o nombre"), max_length=500)
    rfc = forms.CharField(
        label=gettext_lazy("RFC"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Registro Federal de Contribuyentes, p. ej. ABC010101AB1."),
    )

    def clean_rfc(self) -> str:
        return clean_rfc(self.cleaned_data.get("rfc", ""))


def _rows(form: type[forms.Form], *, required: bool) -> type[forms.BaseFormSet]:
    return forms.formset_factory(
        form,
        extra=0 if required else 1,
        min_num=1 if required else 0,
        validate_min=required,
        max_num=100,
        validate_max=True,
    )


ROWS = {
    "lineas": (_rows(BudgetLineForm, required=True), gettext_lazy("Partidas presupuestales")),
    "articulos": (_rows(ItemForm, required=False), gettext_lazy("Bienes y servicios")),
    "documentos": (_rows(DocumentForm, required=False), gettext_lazy("Documentos")),
    "proveedores": (_rows(SupplierForm, required=True), gettext_lazy("Proveedores")),
}


def _documents(state_docs: list, rows: list[tuple[int, dict]], where: Where, path: str) -> list:
    ids = capture.next_ids(state_docs, "documento", len(rows))
    docs = []
    for new_id, (index, row) in zip(ids, rows, strict=True):
        where[f"{path}/{len(docs)}/documentType"] = ("documentos", index, "document_type")
        where[f"{path}/{len(docs)}"] = ("documentos", index, "url")
        docs.append(
            {
                "id": new_id,
                "documentType": row["document_type"],
                "title": row["title"],
                "url": row["url"],
                "datePublished": capture.iso(timezone.now().replace(microsecond=0)),
            }
        )
    return docs


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values: an empty string or null is not information in OCDS."""
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _list(value: Any) -> list:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


# ------------------------------------------------------------------------------ stages


class StageForm(forms.Form):
    """One stage's main form. Subclasses set `rows`, `tag()` and `body()`."""

    key = ""
    title = ""
    rows: tuple[str, ...] = ()

    def __init__(self, *args: Any, state: dict[str, Any], ocid: str, **kwargs: Any) -> None:
        self.state, self.ocid = state, ocid
        super().__init__(*args, **kwargs)

    @classmethod
    def available(cls, state: dict[str, Any]) -> bool:
        return True

    def tag(self) -> str:
        raise NotImplementedError

    def body(self, rows: dict[str, list[tuple[int, dict]]], where: Where) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def tender(self) -> dict[str, Any]:
        tender = self.state.get("tender")
        return tender if isinstance(tender, dict) else {}

    def awards(self) -> list[dict]:
        return _list(self.state.get("awards"))

    def contracts(self) -> list[dict]:
        return _list(self.state.get("contracts"))


class StartForm(forms.Form):
    publisher = forms.ModelChoiceField(Publisher.objects.none(), label=gettext_lazy("Publicador"))
    title = forms.CharField(label=gettext_lazy("Título del proceso"), max_length=500)
    description = forms.CharField(
        label=gettext_lazy("Descripción"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    buyer_name = forms.CharField(
        label=gettext_lazy("Comprador (dependencia o entidad que paga)"), max_length=500
    )
    buyer_rfc = forms.CharField(
        label=gettext_lazy("RFC del comprador"), max_length=20, required=False
    )

    def __init__(self, *args: Any, publishers, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["publisher"].queryset = Publisher.objects.filter(
            pk__in=[p.pk for p in publishers]
        )
        if len(publishers) == 1:
            self.fields["publisher"].initial = publishers[0].pk

    def clean_buyer_rfc(self) -> str:
        return clean_rfc(self.cleaned_data.get("buyer_rfc", ""))

    def body(self, where: Where) -> dict[str, Any]:
        data = self.cleaned_data
        buyer = capture.party({}, data["buyer_name"], "buyer", data["buyer_rfc"])
        where.update(
            {"buyer": ("main", "buyer_name"), "parties": ("main", "buyer_name")}
            | {"tender/title": ("main", "title"), "tender/description": ("main", "description")}
        )
        return {
            "buyer": capture.reference(buyer),
            "parties": [buyer],
            "tender": _compact(
                {
                    "id": "licitacion",
                    "title": data["title"],
                    "description": data["description"],
                    "status": "planning",
                }
            ),
        }


class PlanningForm(StageForm):
    key, title, rows = "planeacion", gettext_lazy("Planeación"), ("lineas",)
    rationale = forms.CharField(
        label=gettext_lazy("Justificación de la contratación"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    budget_description = forms.CharField(
        label=gettext_lazy("Fuente del presupuesto"), max_length=500, required=False
    )
    project = forms.CharField(
        label=gettext_lazy("Programa o proyecto"), max_length=500, required=False
    )

    def tag(self) -> str:
        planning = self.state.get("planning")
        return (
            "planningUpdate"
            if isinstance(planning, dict) and planning.get("budget")
            else "planning"
        )

    def body(self, rows, where):
        data = self.cleaned_data
        lines = rows["lineas"]
        breakdown = []
        for n, (index, line) in enumerate(lines, start=1):
            where[f"planning/budget/budgetBreakdown/{n - 1}/amount"] = ("lineas", index, "amount")
            where[f"planning/budget/budgetBreakdown/{n - 1}"] = ("lineas", index, "description")
            breakdown.append(
                _compact(
                    {
                        "id": str(n),
                        "description": line["description"],
                        "amount": capture.money(line["amount"], line["currency"]),
                        "projectID": line["project_id"],
                    }
                )
            )
        currencies = {line["currency"] for _i, line in lines}
        total = (
            capture.money(sum(line["amount"] for _i, line in lines), currencies.pop())
            if len(currencies) == 1
            else None
        )
        project_ids = [line["project_id"] for _i, line in lines if line["project_id"]]
        where.update(
            {
                "planning/rationale": ("main", "rationale"),
                "planning/budget/description": ("main", "budget_description"),
                "planning/budget/project": ("main", "project"),
                "planning/budget/amount": ("lineas", lines[0][0], "amount"),
            }
        )
        budget = _compact(
            {
                "id": "presupuesto",
                "description": data["budget_description"],
                "amount": total,
                "project": data["project"],
                "projectID": project_ids[0] if len(set(project_ids)) == 1 else "",
                "budgetBreakdown": breakdown,
            }
        )
        return {"planning": _compact({"rationale": data["rationale"], "budget": budget})}


class TenderForm(StageForm):
    key, title, rows = "licitacion", gettext_lazy("Licitación"), ("articulos", "documentos")
    tender_title = forms.CharField(label=gettext_lazy("Título de la licitación"), max_length=500)
    description = forms.CharField(
        label=gettext_lazy("Descripción"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    status = _choice(
        gettext_lazy("Estado de la licitación"),
        lambda: capture.codelist_choices("tenderStatus.csv", capture.TENDER_STATUSES),
    )
    method = _choice(gettext_lazy("Método de contratación"), capture.method_choices)
    method_details = forms.CharField(
        label=gettext_lazy("Procedimiento según la ley (p. ej. «Licitación pública nacional»)"),
        max_length=500,
        required=False,
    )
    method_rationale = forms.CharField(
        label=gettext_lazy("Fundamento del método (obligatorio si no es abierto)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    category = _choice(
        gettext_lazy("Categoría principal"),
        lambda: capture.codelist_choices("procurementCategory.csv", capture.CATEGORIES),
    )
    tender_start = _datetime(gettext_lazy("Inicio del periodo de presentación de propuestas"))
    tender_end = _datetime(gettext_lazy("Fin del periodo de presentación de propuestas"))
    enquiry_start = _datetime(gettext_lazy("Inicio del periodo de preguntas"))
    enquiry_end = _datetime(gettext_lazy("Fin del periodo de preguntas"))
    value_amount = _amount(gettext_lazy("Monto estimado"))
    value_currency = _currency()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tender = self.tender
        value = tender.get("value") if isinstance(tender.get("value"), dict) else {}
        self.initial.setdefault("tender_title", tender.get("title", ""))
        self.initial.setdefault("description", tender.get("description", ""))
        self.initial.setdefault(
            "status", "active" if tender.get("status") in (None, "planning") else tender["status"]
        )
        for field, key in (
            ("method", "procurementMethod"),
            ("method_details", "procurementMethodDetails"),
            ("method_rationale", "procurementMethodRationale"),
            ("category", "mainProcurementCategory"),
        ):
            if tender.get(key):
                self.initial.setdefault(field, tender[key])
        if value.get("amount") is not None:
            self.initial.setdefault("value_amount", value["amount"])
            self.initial.setdefault("value_currency", value.get("currency"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_period(self, "tender_start", "tender_end")
        check_period(self, "enquiry_start", "enquiry_end")
        if data.get("method") in ("limited", "direct") and not data.get("method_rationale"):
            self.add_error(
                "method_rationale",
                _("Explique por qué no se usó un procedimiento abierto (el fundamento legal)."),
            )
        return data

    def tag(self) -> str:
        return "tenderUpdate" if capture.has_tag(self.ocid, "tender") else "tender"

    def body(self, rows, where):
        data = self.cleaned_data
        items = []
        for index, row in rows["articulos"]:
            path = f"tender/items/{len(items)}"
            where[path + "/quantity"] = ("articulos", index, "quantity")
            where[path + "/classification"] = ("articulos", index, "classification_id")
            where[path] = ("articulos", index, "description")
            classification = (
                {"scheme": row["scheme"], "id": row["classification_id"]}
                if row["classification_id"]
                else None
            )
            quantity = row["quantity"]
            items.append(
                _compact(
                    {
                        "id": None,
                        "description": row["description"],
                        "classification": classification,
                        "quantity": float(quantity) if quantity is not None else None,
                        "unit": {"name": row["unit"]} if row["unit"] else None,
                    }
                )
            )
        for item, new_id in zip(
            items,
            capture.next_ids(_list(self.tender.get("items")), "articulo", len(items)),
            strict=True,
        ):
            item["id"] = new_id
        docs = _documents(
            _list(self.tender.get("documents")), rows["documentos"], where, "tender/documents"
        )
        where.update(
            {
                "tender/title": ("main", "tender_title"),
                "tender/description": ("main", "description"),
                "tender/status": ("main", "status"),
                "tender/procurementMethod": ("main", "method"),
                "tender/procurementMethodDetails": ("main", "method_details"),
                "tender/procurementMethodRationale": ("main", "method_rationale"),
                "tender/mainProcurementCategory": ("main", "category"),
                "tender/tenderPeriod": ("main", "tender_end"),
                "tender/enquiryPeriod": ("main", "enquiry_end"),
                "tender/value": ("main", "value_amount"),
            }
        )
        tender = {
            "id": self.tender.get("id") or "licitacion",
            "title": data["tender_title"],
            "description": data["description"],
            "status": data["status"],
            "procurementMethod": data["method"],
            "procurementMethodDetails": data["method_details"],
            "procurementMethodRationale": data["method_rationale"],
            "mainProcurementCategory": data["category"],
            "tenderPeriod": _period(data["tender_start"], data["tender_end"]),
            "enquiryPeriod": _period(data["enquiry_start"], data["enquiry_end"]),
            "value": capture.money(data["value_amount"], data["value_currency"]),
            "items": items,
            "documents": docs,
        }
        return {"tender": _compact(tender)}


def _period(start, end) -> dict[str, str] | None:
    return _compact({"startDate": capture.iso(start), "endDate": capture.iso(end)}) or None


class ClarificationForm(StageForm):
    key, title = "junta", gettext_lazy("Junta de aclaraciones")
    date = _datetime(gettext_lazy("Fecha y hora de la junta"), required=True)
    place = forms.CharField(label=gettext_lazy("Lugar"), max_length=500)
    attendees = forms.CharField(
        label=gettext_lazy("Asistentes (una empresa o dependencia por línea)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    minutes_url = forms.URLField(
        label=gettext_lazy("Acta de la junta (URL del documento)"),
        max_length=1000,
        required=False,
        assume_scheme="https",
    )

    @classmethod
    def available(cls, state):
        return isinstance(state.get("tender"), dict) and "tenderPeriod" in state["tender"]

    def tag(self) -> str:
        return "tenderUpdate"

    def body(self, rows, where):
        data = self.cleaned_data
        meetings = _list(self.tender.get("clarificationMeetings"))
        meeting_id = capture.next_id(meetings, "junta")
        attendees = [line.strip() for line in data["attendees"].splitlines() if line.strip()]
        meeting = _compact(
            {
                "id": meeting_id,
                "date": capture.iso(data["date"]),
                "address": {"streetAddress": data["place"]},
                "attendees": [{"name": name} for name in attendees],
            }
        )
        tender: dict[str, Any] = {"id": self.tender.get("id") or "licitacion"}
        tender["clarificationMeetings"] = [meeting]
        where.update(
            {
                "tender/clarificationMeetings/0/date": ("main", "date"),
                "tender/clarificationMeetings": ("main", "place"),
                "tender/documents": ("main", "minutes_url"),
            }
        )
        if data["minutes_url"]:
            doc_id = capture.next_id(_list(self.tender.get("documents")), "documento")
            tender["documents"] = [
                {
                    "id": doc_id,
                    "documentType": "clarifications",
                    "title": _("Acta de la junta de aclaraciones %(id)s") % {"id": meeting_id},
                    "url": data["minutes_url"],
                    "datePublished": capture.iso(data["date"]),
                }
            ]
        return {"tender": tender}


class AwardForm(StageForm):
    key, title, rows = "adjudicacion", gettext_lazy("Adjudicación"), ("proveedores", "documentos")
    award_title = forms.CharField(label=gettext_lazy("Título"), max_length=500, required=False)
    description = forms.CharField(
        label=gettext_lazy("Descripción"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    date = _date(gettext_lazy("Fecha del fallo o adjudicación"), required=True)
    status = _choice(
        gettext_lazy("Estado"),
        lambda: capture.codelist_choices("awardStatus.csv", capture.AWARD_STATUSES),
    )
    value_amount = _amount(gettext_lazy("Monto adjudicado"), required=True)
    value_currency = _currency()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("status", "active")

    def tag(self) -> str:
        return "award"

    def body(self, rows, where):
        data = self.cleaned_data
        suppliers = []
        for index, row in rows["proveedores"]:
            where[f"parties/{len(suppliers)}"] = ("proveedores", index, "name")
            where[f"awards/0/suppliers/{len(suppliers)}"] = ("proveedores", index, "name")
            suppliers.append(capture.party(self.state, row["name"], "supplier", row["rfc"]))
        award_id = capture.next_id(self.awards(), "adjudicacion")
        docs = _documents([], rows["documentos"], where, "awards/0/documents")
        where.update(
            {
                "awards/0/date": ("main", "date"),
                "awards/0/status": ("main", "status"),
                "awards/0/value": ("main", "value_amount"),
                "awards/0/title": ("main", "award_title"),
                "awards/0/suppliers": ("proveedores", 0, "name"),
            }
        )
        award = {
            "id": award_id,
            "title": data["award_title"],
            "description": data["description"],
            "status": data["status"],
            "date": capture.iso(data["date"]),
            "value": capture.money(data["value_amount"], data["value_currency"]),
            "suppliers": [capture.reference(s) for s in suppliers],
            "documents": docs,
        }
        return {"parties": suppliers, "awards": [_compact(award)]}


def _award_label(award: dict) -> str:
    suppliers = ", ".join(str(s.get("name", "")) for s in _list(award.get("suppliers")))
    value = award.get("value") if isinstance(award.get("value"), dict) else {}
    amount = f"{value.get('amount', '')} {value.get('currency', '')}".strip()
    return " · ".join(
        p for p in (str(award.get("id")), award.get("title") or "", suppliers, amount) if p
    )


class ContractForm(StageForm):
    key, title, rows = "contrato", gettext_lazy("Contrato"), ("documentos",)
    award = forms.ChoiceField(label=gettext_lazy("Adjudicación a la que corresponde"))
    contract_title = forms.CharField(
        label=gettext_lazy("Título o número del contrato"), max_length=500
    )
    description = forms.CharField(
        label=gettext_lazy("Descripción"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    status = _choice(
        gettext_lazy("Estado"),
        lambda: capture.codelist_choices("contractStatus.csv", capture.CONTRACT_STATUSES),
    )
    value_amount = _amount(gettext_lazy("Monto del contrato"), required=True)
    value_currency = _currency()
    start = _date(gettext_lazy("Inicio de la vigencia"))
    end = _date(gettext_lazy("Fin de la vigencia"))
    date_signed = _date(gettext_lazy("Fecha de firma"))

    @classmethod
    def available(cls, state):
        return bool(_list(state.get("awards")))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["award"].choices = [
            (a["id"], _award_label(a)) for a in self.awards() if "id" in a
        ]
        self.initial.setdefault("status", "active")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_period(self, "start", "end")
        return data

    def tag(self) -> str:
        return "contract"

    def body(self, rows, where):
        data = self.cleaned_data
        docs = _documents([], rows["documentos"], where, "contracts/0/documents")
        where.update(
            {
                "contracts/0/awardID": ("main", "award"),
                "contracts/0/status": ("main", "status"),
                "contracts/0/value": ("main", "value_amount"),
                "contracts/0/period": ("main", "end"),
                "contracts/0/dateSigned": ("main", "date_signed"),
                "contracts/0/title": ("main", "contract_title"),
            }
        )
        contract = {
            "id": capture.next_id(self.contracts(), "contrato"),
            "awardID": data["award"],
            "title": data["contract_title"],
            "description": data["description"],
            "status": data["status"],
            "value": capture.money(data["value_amount"], data["value_currency"]),
            "period": _period(data["start"], data["end"]),
            "dateSigned": capture.iso(data["date_signed"]),
            "documents": docs,
        }
        return {"contracts": [_compact(contract)]}


def _contract_label(contract: dict) -> str:
    return " · ".join(p for p in (str(contract.get("id")), contract.get("title") or "") if p)


class AmendmentForm(StageForm):
    key, title = "modificacion", gettext_lazy("Modificación")
    target = forms.ChoiceField(label=gettext_lazy("Qué se modifica"))
    date = _date(gettext_lazy("Fecha de la modificación"), required=True)
    rationale = forms.CharField(
        label=gettext_lazy("Motivo"), widget=forms.Textarea(attrs={"rows": 2})
    )
    description = forms.CharField(
        label=gettext_lazy("Qué cambió"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    @classmethod
    def available(cls, state):
        return isinstance(state.get("tender"), dict) or bool(_list(state.get("contracts")))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = []
        if self.tender:
            choices.append(("licitacion", _("La licitación (convocatoria, bases, fechas)")))
        for contract in self.contracts():
            label = _("El contrato %(contract)s") % {"contract": _contract_label(contract)}
            choices.append((f"contrato:{contract.get('id')}", label))
        self.fields["target"].choices = choices

    def tag(self) -> str:
        return (
            "tenderAmendment"
            if self.cleaned_data["target"] == "licitacion"
            else "contractAmendment"
        )

    def body(self, rows, where):
        data = self.cleaned_data
        amendment = {
            "date": capture.iso(data["date"]),
            "rationale": data["rationale"],
            "description": data["description"],
        }
        if data["target"] == "licitacion":
            amendment["id"] = capture.next_id(_list(self.tender.get("amendments")), "modificacion")
            where.update(
                {"tender/amendments/0/date": ("main", "date"), "tender": ("main", "target")}
            )
            return {"tender": {"id": self.tender.get("id"), "amendments": [_compact(amendment)]}}
        contract_id = data["target"].split(":", 1)[1]
        contract = next(c for c in self.contracts() if str(c.get("id")) == contract_id)
        amendment["id"] = capture.next_id(_list(contract.get("amendments")), "modificacion")
        where.update(
            {"contracts/0/amendments/0/date": ("main", "date"), "contracts": ("main", "target")}
        )
        return {
            "contracts": [
                {
                    "id": contract["id"],
                    "awardID": contract.get("awardID"),
                    "amendments": [_compact(amendment)],
                }
            ]
        }


class TransactionForm(StageForm):
    key, title = "pago", gettext_lazy("Pago (ejecución)")
    contract = forms.ChoiceField(label=gettext_lazy("Contrato"))
    date = _date(gettext_lazy("Fecha del pago"), required=True)
    value_amount = _amount(gettext_lazy("Monto pagado"), required=True)
    value_currency = _currency()
    payer_name = forms.CharField(label=gettext_lazy("Quién paga"), max_length=500)
    payer_rfc = forms.CharField(
        label=gettext_lazy("RFC de quien paga"), max_length=20, required=False
    )
    payee_name = forms.CharField(label=gettext_lazy("Quién recibe el pago"), max_length=500)
    payee_rfc = forms.CharField(
        label=gettext_lazy("RFC de quien recibe"), max_length=20, required=False
    )

    @classmethod
    def available(cls, state):
        return bool(_list(state.get("contracts")))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [
            (c["id"], _contract_label(c)) for c in self.contracts() if "id" in c
        ]
        buyer = self.state.get("buyer") if isinstance(self.state.get("buyer"), dict) else {}
        self.initial.setdefault("payer_name", buyer.get("name", ""))
        for party in _list(self.state.get("parties")):
            if "supplier" in (party.get("roles") or []):
                self.initial.setdefault("payee_name", party.get("name", ""))
                identifier = (
                    party.get("identifier") if isinstance(party.get("identifier"), dict) else {}
                )
                if identifier.get("scheme") == capture.RFC_SCHEME:
                    self.initial.setdefault("payee_rfc", identifier.get("id", ""))
                break

    def clean_payer_rfc(self) -> str:
        return clean_rfc(self.cleaned_data.get("payer_rfc", ""))

    def clean_payee_rfc(self) -> str:
        return clean_rfc(self.cleaned_data.get("payee_rfc", ""))

    def tag(self) -> str:
        return "implementation"

    def body(self, rows, where):
        data = self.cleaned_data
        contract = next(c for c in self.contracts() if str(c.get("id")) == data["contract"])
        implementation = (
            contract.get("implementation")
            if isinstance(contract.get("implementation"), dict)
            else {}
        )
        payer = capture.party(self.state, data["payer_name"], "payer", data["payer_rfc"])
        payee_state = {"parties": [*_list(self.state.get("parties")), payer]}
        payee = capture.party(payee_state, data["payee_name"], "payee", data["payee_rfc"])
        parties = [payee] if payer["id"] == payee["id"] else [payer, payee]
        transaction = {
            "id": capture.next_id(_list(implementation.get("transactions")), "pago"),
            "date": capture.iso(data["date"]),
            "value": capture.money(data["value_amount"], data["value_currency"]),
            "payer": capture.reference(payer),
            "payee": capture.reference(payee),
        }
        where.update(
            {
                "contracts/0/implementation/transactions/0/value": ("main", "value_amount"),
                "contracts/0/implementation/transactions/0/date": ("main", "date"),
                "contracts/0/implementation/transactions/0/payer": ("main", "payer_name"),
                "contracts/0/implementation/transactions/0/payee": ("main", "payee_name"),
                "contracts": ("main", "contract"),
                "parties": ("main", "payee_name"),
            }
        )
        return {
            "parties": parties,
            "contracts": [
                {
                    "id": contract["id"],
                    "awardID": contract.get("awardID"),
                    "implementation": {"transactions": [transaction]},
                }
            ],
        }


STAGES: dict[str, type[StageForm]] = {
    form.key: form
    for form in (
        PlanningForm,
        TenderForm,
        ClarificationForm,
        AwardForm,
        ContractForm,
        AmendmentForm,
        TransactionForm,
    )
}


# ------------------------------------------------------------------------- one page


def add_row(data: QueryDict, prefix: str) -> QueryDict:
    """The submitted data with one more row in the formset `prefix` («agregar otra fila»)."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, "0"))
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, 100))
    return data


class StagePage:
    """A stage's main form and its rows, validated and built together."""

    def __init__(
        self, stage: type[StageForm], data: QueryDict | None, *, state: dict, ocid: str
    ) -> None:
        self.form = stage(data, state=state, ocid=ocid)
        self.formsets = [
            (prefix, ROWS[prefix][1], ROWS[prefix][0](data, prefix=prefix)) for prefix in stage.rows
        ]

    @property
    def all_forms(self) -> list[forms.Form]:
        found = [self.form]
        for _prefix, _label, formset in self.formsets:
            found.extend(formset.forms)
        return found

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        for _prefix, _label, formset in self.formsets:
            valid = formset.is_valid() and valid
        return valid

    def rows(self) -> dict[str, list[tuple[int, dict]]]:
        return {
            prefix: [
                (index, form.cleaned_data)
                for index, form in enumerate(formset.forms)
                # An untouched optional row has no cleaned data: it is not information.
                if form.cleaned_data
            ]
            for prefix, _label, formset in self.formsets
        }

    def release_body(self) -> tuple[str, dict[str, Any], Where]:
        where: Where = {}
        body = self.form.body(self.rows(), where)
        return self.form.tag(), body, where

    def refuse(self, issues: list[validation.Issue], where: Where) -> None:
        """Show each issue of a refused release on the field that produced it."""
        refuse(self.form, dict(self.formsets_by_prefix()), issues, where)

    def formsets_by_prefix(self):
        return [(prefix, formset) for prefix, _label, formset in self.formsets]

    def non_form_errors(self) -> list[tuple[str, list[str]]]:
        return [
            (str(label), list(formset.non_form_errors()))
            for _prefix, label, formset in self.formsets
            if formset.non_form_errors()
        ]


def refuse(form: forms.Form, formsets: dict, issues: list[validation.Issue], where: Where) -> None:
    for issue in issues:
        target = None
        for prefix in sorted(where, key=len, reverse=True):
            if issue.path == prefix or issue.path.startswith(prefix + "/"):
                target = where[prefix]
                break
        message = _("%(message)s (campo OCDS %(path)s)") % {
            "message": issue.message,
            "path": issue.path or "—",
        }
        if target is None:
            form.add_error(None, message)
        elif target[0] == "main":
            form.add_error(target[1], message)
        else:
            rows, index, field = target
            formsets[rows].forms[index].add_error(field, message)
