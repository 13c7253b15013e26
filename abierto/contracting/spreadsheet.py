"""Procurement spreadsheets (CSV or XLSX, one row per contract) turned into OCDS releases.

The shape is that of Mexican transparency exports (CompraNet's «Contratos», state portals):
procedure number, title, buyer, method, supplier and RFC, amount, currency, dates. The columns
are mapped to OCDS fields by their names (Spanish or English, guessed and editable), every row
becomes one release with tags award and contract, and the rows that cannot are refused with
their row, column and reason before anything is imported. Confirmed releases go through the
normal import path (an `Import` with source SPREADSHEET, run by the background worker), so
re-importing the same file only counts duplicates.

Files are read with the datastore's readers: encoding and delimiter sniffed over the whole
file (a cp1252 «Ñ» far down is found), XLSX through python-calamine.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from abierto.contracting import capture
from abierto.contracting.importing import PREFIX
from abierto.contracting.models import Import, Publisher
from abierto.contracting.pages import method_label
from abierto.core.models import User
from abierto.core.storage import local_path
from abierto.datastore.errors import LoadError
from abierto.datastore.readers import open_reader

PREVIEW = 10
SCHEMA_CHECKED = 100
REFUSED_SHOWN = 200
EXTENSIONS = {".csv": "CSV", ".txt": "CSV", ".xlsx": "XLSX"}
ZIP_MAGIC = b"PK\x03\x04"
TOKEN_SALT = "contracting.spreadsheet"  # noqa: S105 (a signing namespace, not a secret)
TOKEN_MAX_AGE = 24 * 3600
STAGING = "contracting/spreadsheets"


def max_bytes() -> int:
    return getattr(settings, "CONTRACTING_SPREADSHEET_MAX_BYTES", 10 * 1024 * 1024)


def max_rows() -> int:
    return getattr(settings, "CONTRACTING_SPREADSHEET_MAX_ROWS", 20_000)


class SpreadsheetError(Exception):
    """The file as a whole cannot be read."""


# ------------------------------------------------------------------------- the fields


@dataclass(frozen=True)
class Target:
    key: str
    label: Any
    # Column names that mean this field, normalised (see `normalise`), most specific first.
    names: tuple[str, ...]
    required: bool = False


TARGETS = (
    Target(
        "ocid",
        gettext_lazy("ocid o número de procedimiento"),
        (
            "ocid",
            "numero procedimiento",
            "num procedimiento",
            "no procedimiento",
            "procedimiento",
            "codigo expediente",
            "expediente",
            "procedure number",
            "procedure id",
        ),
        required=True,
    ),
    Target(
        "supplier_rfc",
        gettext_lazy("RFC del proveedor"),
        ("rfc proveedor", "rfc", "supplier rfc", "supplier id", "tax id"),
    ),
    Target(
        "supplier_name",
        gettext_lazy("Proveedor (razón social)"),
        (
            "proveedor contratista",
            "proveedor",
            "contratista",
            "razon social",
            "nombre proveedor",
            "supplier",
            "supplier name",
        ),
        required=True,
    ),
    Target(
        "contract_id",
        gettext_lazy("Número o código del contrato"),
        ("codigo contrato", "numero contrato", "no contrato", "contract id", "contract number"),
    ),
    Target(
        "contract_title",
        gettext_lazy("Título del contrato"),
        ("titulo contrato", "objeto contrato", "contract title"),
    ),
    Target(
        "title",
        gettext_lazy("Título del procedimiento"),
        ("titulo expediente", "titulo", "nombre procedimiento", "objeto", "concepto", "title"),
    ),
    Target(
        "description",
        gettext_lazy("Descripción"),
        ("descripcion", "descripcion contrato", "description"),
    ),
    Target(
        "buyer",
        gettext_lazy("Comprador (dependencia o entidad)"),
        (
            "dependencia",
            "dependencia entidad",
            "entidad",
            "institucion",
            "unidad compradora",
            "nombre uc",
            "comprador",
            "buyer",
            "buyer name",
        ),
        required=True,
    ),
    Target(
        "method",
        gettext_lazy("Método de contratación"),
        (
            "tipo procedimiento",
            "procedimiento contratacion",
            "metodo contratacion",
            "metodo",
            "procurement method",
            "method",
        ),
    ),
    Target(
        "category",
        gettext_lazy("Categoría (bienes, obra, servicios)"),
        ("tipo contratacion", "categoria", "main procurement category", "category"),
    ),
    Target(
        "amount",
        gettext_lazy("Monto del contrato"),
        ("importe contrato", "monto contrato", "importe", "monto", "valor", "amount", "value"),
        required=True,
    ),
    Target("currency", gettext_lazy("Moneda"), ("moneda", "currency", "divisa")),
    Target(
        "date_signed",
        gettext_lazy("Fecha de firma"),
        ("fecha firma", "fecha celebracion", "fecha suscripcion", "date signed", "signed"),
    ),
    Target(
        "start",
        gettext_lazy("Inicio de la vigencia"),
        ("fecha inicio", "inicio vigencia", "inicio", "start date", "start"),
    ),
    Target(
        "end",
        gettext_lazy("Fin de la vigencia"),
        ("fecha fin", "fecha termino", "fin vigencia", "termino", "fin", "end date", "end"),
    ),
    Target(
        "published",
        gettext_lazy("Fecha de publicación de la convocatoria"),
        ("proc f publicacion", "fecha publicacion", "publicacion", "tender date"),
    ),
    Target(
        "status",
        gettext_lazy("Estado del contrato"),
        ("estatus contrato", "estado contrato", "estatus", "estado", "contract status", "status"),
    ),
)
BY_KEY = {target.key: target for target in TARGETS}
DATE_TARGETS = ("date_signed", "start", "published")
STOPWORDS = {"de", "del", "la", "el", "los", "las", "o", "y", "e", "of", "the"}

# «Invitación a cuando menos tres»: the entity chooses whom to invite, OCDS's `limited` (as
# INAI publishes it); `selective` is for prequalified suppliers.
METHOD_WORDS = (
    ("licitacion", "open"),
    ("invitacion", "limited"),
    ("restringid", "limited"),
    ("selectiv", "selective"),
    ("precalific", "selective"),
    ("adjudicacion directa", "direct"),
    ("directa", "direct"),
    ("limitad", "limited"),
)
CATEGORY_WORDS = (
    ("obra", "works"),
    ("servicio", "services"),
    ("adquisicion", "goods"),
    ("arrendamiento", "goods"),
    ("bien", "goods"),
)
STATUS_WORDS = (
    ("vigente", "active"),
    ("activ", "active"),
    ("termin", "terminated"),
    ("conclu", "terminated"),
    ("finaliz", "terminated"),
    ("expirad", "terminated"),
    ("cancel", "cancelled"),
    ("pendiente", "pending"),
)
CURRENCY_WORDS = (("peso", "MXN"), ("dolar", "USD"), ("euro", "EUR"))


def normalise(text: str) -> str:
    """«Número_de_Procedimiento» → «numero procedimiento»: accents, case, separators and
    small words do not matter when matching column names."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    return " ".join(w for w in words if w not in STOPWORDS)


def guess(headers: list[str]) -> dict[int, str]:
    """Column index → target key, from the column names; each target at most once."""
    found: dict[int, str] = {}
    taken: set[str] = set()
    names = [normalise(h) for h in headers]
    # Exact names first, so «RFC» is the RFC even if another column mentions «proveedor».
    for exact in (True, False):
        for target in TARGETS:
            if target.key in taken:
                continue
            for index, name in enumerate(names):
                if index in found or not name:
                    continue
                hit = (
                    name in target.names
                    if exact
                    else any(re.search(rf"\b{re.escape(n)}\b", name) for n in target.names)
                )
                if hit:
                    found[index] = target.key
                    taken.add(target.key)
                    break
    return found


# ----------------------------------------------------------------------- upload, staging


class UploadForm(forms.Form):
    publisher = forms.ModelChoiceField(Publisher.objects.none(), label=gettext_lazy("Publicador"))
    file = forms.FileField(
        label=gettext_lazy("Hoja de cálculo (CSV o XLSX)"),
        help_text=gettext_lazy(
            "Una fila por contrato, con una fila de encabezados. CSV en UTF-8 o Windows-1252, "
            "separado por comas, punto y coma o tabuladores."
        ),
    )

    def __init__(self, *args: Any, publishers, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["publisher"].queryset = Publisher.objects.filter(
            pk__in=[p.pk for p in publishers]
        )
        if len(publishers) == 1:
            self.fields["publisher"].initial = publishers[0].pk

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        suffix = PurePosixPath(upload.name).suffix.lower()
        if suffix not in EXTENSIONS:
            raise forms.ValidationError(
                _("«%(name)s» no es CSV ni XLSX. Guarde la hoja como .xlsx o .csv.")
                % {"name": upload.name}
            )
        if upload.size > max_bytes():
            raise forms.ValidationError(
                _("El archivo pesa %(size)s; el límite es %(max)s.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(max_bytes())}
            )
        upload.seek(0)
        head = upload.read(4096)
        upload.seek(0)
        if not head:
            raise forms.ValidationError(_("El archivo está vacío."))
        if EXTENSIONS[suffix] == "XLSX" and not head.startswith(ZIP_MAGIC):
            raise forms.ValidationError(
                _(
                    "«%(name)s» se llama .xlsx pero no es un libro de Excel (un .xlsx es un "
                    "archivo ZIP). Ábralo en su hoja de cálculo y guárdelo como «Libro de "
                    "Excel (.xlsx)» o como CSV."
                )
                % {"name": upload.name}
            )
        if EXTENSIONS[suffix] == "CSV" and head.startswith(ZIP_MAGIC):
            raise forms.ValidationError(
                _("«%(name)s» se llama .csv pero es un archivo ZIP (¿un .xlsx renombrado?).")
                % {"name": upload.name}
            )
        return upload


@dataclass
class _Stored:
    """A staged file as `core.storage.local_path` expects it (name, storage, path)."""

    name: str
    storage: Any = default_storage

    @property
    def path(self) -> str:
        return self.storage.path(self.name)


@dataclass
class Staged:
    """An uploaded spreadsheet waiting for its mapping to be confirmed."""

    name: str
    original_name: str
    publisher: Publisher
    user_id: int

    @property
    def format(self) -> str:
        return EXTENSIONS[PurePosixPath(self.name).suffix.lower()]

    @property
    def token(self) -> str:
        return signing.dumps(
            {"n": self.name, "o": self.original_name, "p": self.publisher.pk, "u": self.user_id},
            salt=TOKEN_SALT,
        )

    @classmethod
    def from_token(cls, token: str, user: User) -> Staged | None:
        """The staged file of a signed token, only for the user who uploaded it."""
        try:
            data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        except signing.BadSignature:
            return None
        publisher = Publisher.objects.filter(pk=data.get("p")).first()
        if publisher is None or data.get("u") != user.pk or not default_storage.exists(data["n"]):
            return None
        return cls(data["n"], data["o"], publisher, user.pk)

    def table(self) -> Table:
        return read_table(_Stored(self.name), self.format)

    def discard(self) -> None:
        default_storage.delete(self.name)


def remove_expired() -> int:
    """Delete staged files whose preview token has expired (never confirmed)."""
    try:
        _dirs, names = default_storage.listdir(STAGING)
    except FileNotFoundError:
        return 0
    limit = timezone.now() - dt.timedelta(seconds=TOKEN_MAX_AGE)
    removed = 0
    for name in names:
        path = f"{STAGING}/{name}"
        if default_storage.get_modified_time(path) < limit:
            default_storage.delete(path)
            removed += 1
    return removed


def stage_upload(upload: UploadedFile, publisher: Publisher, user: User) -> Staged:
    # Abandoned previews would pile up otherwise; each upload sweeps the expired ones.
    remove_expired()
    suffix = PurePosixPath(upload.name).suffix.lower()
    name = default_storage.save(f"{STAGING}/{secrets.token_hex(12)}{suffix}", upload)
    return Staged(name, PurePosixPath(upload.name).name[:200], publisher, user.pk)


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    notes: list[str] = field(default_factory=list)


def read_table(stored: Any, fmt: str) -> Table:
    """The header and every row of a staged file; whole-file problems as SpreadsheetError."""
    with local_path(stored) as path:
        try:
            reader = open_reader(Path(path), fmt)
            if not reader.has_header:
                raise SpreadsheetError(
                    _(
                        "La primera fila tiene datos, no nombres de columnas: agregue una fila "
                        "de encabezados (p. ej. «Número de procedimiento», «Proveedor», «Importe»)."
                    )
                )
            rows: list[tuple[int, list[str]]] = []
            for batch in reader.batches(1000):
                rows.extend(zip(batch.numbers, batch.rows, strict=True))
                if len(rows) > max_rows():
                    raise SpreadsheetError(
                        _("El archivo tiene más de %(max)s filas; divídalo en varios archivos.")
                        % {"max": f"{max_rows():,}"}
                    )
        except LoadError as exc:
            raise SpreadsheetError(str(exc)) from None
    if not rows:
        raise SpreadsheetError(_("El archivo solo tiene encabezados, ninguna fila de datos."))
    headers = [h.strip() or _("columna %(n)s") % {"n": i + 1} for i, h in enumerate(reader.headers)]
    return Table(headers, rows, list(reader.notes))


# --------------------------------------------------------------------------- mapping


class MappingForm(forms.Form):
    """One select per column of the file: the OCDS field it fills, or none."""

    def __init__(self, data=None, *, headers: list[str], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.headers = headers
        guessed = guess(headers)
        choices = [("", _("— no importar —"))] + [(t.key, t.label) for t in TARGETS]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=guessed.get(index, "")
            )
        if data is None:
            # The first preview uses the guess, as if the official had submitted it.
            self.data = {f"col_{i}": key for i, key in guessed.items()}
            self.is_bound = True

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{i}"] for i in range(len(self.headers))]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        used: dict[str, int] = {}
        for index in range(len(self.headers)):
            key = data.get(f"col_{index}")
            if not key:
                continue
            if key in used:
                self.add_error(
                    f"col_{index}",
                    _("«%(field)s» ya es la columna «%(other)s».")
                    % {"field": BY_KEY[key].label, "other": self.headers[used[key]]},
                )
            else:
                used[key] = index
        missing = [str(t.label) for t in TARGETS if t.required and t.key not in used]
        if missing:
            raise forms.ValidationError(
                _("Falta indicar qué columna tiene: %(fields)s.") % {"fields": ", ".join(missing)}
            )
        if not any(key in used for key in DATE_TARGETS):
            raise forms.ValidationError(
                _(
                    "Indique al menos una columna de fecha (firma, inicio de vigencia o "
                    "publicación)."
                )
            )
        return data

    def mapping(self) -> dict[str, int]:
        return {
            self.cleaned_data[f"col_{i}"]: i
            for i in range(len(self.headers))
            if self.cleaned_data.get(f"col_{i}")
        }


# ----------------------------------------------------------------------------- values


class Refused(Exception):
    def __init__(self, key: str, reason: str) -> None:
        super().__init__(reason)
        self.key, self.reason = key, reason


def decimal_comma(cells: list[str]) -> bool:
    """Does the column write decimals with a comma (1.234,56)? Decided on the whole column,
    since «1.234» alone could be either."""
    comma = sum(bool(re.search(r",\d{1,2}$", c.strip())) for c in cells)
    point = sum(bool(re.search(r"\.\d{1,2}$", c.strip())) for c in cells)
    thousands_point = sum(bool(re.search(r"\d\.\d{3}(\.\d{3})*(,|$)", c.strip())) for c in cells)
    return comma > point or (comma == point == 0 and thousands_point > 0)


def parse_amount(text: str, *, comma: bool) -> Decimal:
    cleaned = re.sub(r"[\s\u00a0$]|MXN|MN|M\.N\.", "", text.strip(), flags=re.IGNORECASE)
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    # With a decimal comma the points group thousands, and the other way round.
    cleaned = cleaned.replace(".", "").replace(",", ".") if comma else cleaned.replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        raise Refused("amount", _("«%(value)s» no es un monto.") % {"value": text})
    value = Decimal(cleaned)
    if negative or value < 0:
        raise Refused("amount", _("monto negativo: %(value)s") % {"value": text})
    return value


_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def parse_date(text: str, key: str) -> dt.datetime:
    """Dates as Mexican exports write them (día/mes/año) or ISO; local time unless given."""
    value = text.strip()
    parts = None
    if match := _DMY.fullmatch(value):
        day, month, year, *clock = match.groups()
        parts = (year, month, day, *clock)
    elif match := _YMD.fullmatch(value):
        parts = match.groups()
    try:
        if parts is not None:
            numbers = [int(p) if p else 0 for p in parts]
            return timezone.make_aware(dt.datetime(*numbers))  # noqa: DTZ001 (made aware)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Refused(
            key, _("«%(value)s» no es una fecha (use dd/mm/aaaa o aaaa-mm-dd).") % {"value": text}
        ) from None
    return parsed if parsed.tzinfo else timezone.make_aware(parsed)


def _code(text: str, key: str, words: tuple, codes: frozenset[str], what: str) -> str:
    if text in codes:
        return text
    name = normalise(text)
    for word, code in words:
        if word in name:
            return code
    raise Refused(
        key,
        _("%(what)s no reconocido: «%(value)s» (se aceptan %(codes)s o su nombre en español).")
        % {"what": what, "value": text, "codes": ", ".join(sorted(codes))},
    )


# ---------------------------------------------------------------------------- convert


@dataclass
class Refusal:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class Result:
    releases: list[dict[str, Any]]
    rows: list[int]
    refused: list[Refusal]


def _ocid(value: str, publisher: Publisher) -> str:
    return value if PREFIX.match(value) else f"{publisher.ocid_prefix}-{value}"


def convert(table: Table, mapping: dict[str, int], publisher: Publisher) -> Result:
    """Every row as a release, or as a refusal saying which column is wrong and why."""
    from abierto.contracting import standard

    comma = "amount" in mapping and decimal_comma(
        [cells[mapping["amount"]] for _n, cells in table.rows]
    )
    methods, categories = (
        standard.codelist("method.csv"),
        standard.codelist("procurementCategory.csv"),
    )
    statuses, currencies = (
        standard.codelist("contractStatus.csv"),
        standard.codelist("currency.csv"),
    )
    result = Result([], [], [])
    seen: dict[tuple[str, str], int] = {}
    for number, cells in table.rows:

        def get(key: str, cells: list[str] = cells) -> str:
            return cells[mapping[key]].strip() if key in mapping else ""

        try:
            release = _row_release(
                get, number, publisher, comma, methods, categories, statuses, currencies
            )
            key = (release["ocid"], release["id"])
            if key in seen:
                raise Refused(
                    "contract_id" if "contract_id" in mapping else "ocid",
                    _("el mismo contrato ya está en la fila %(row)s") % {"row": seen[key]},
                )
            # The schema check costs ~3 ms a release: the first ones are checked here (the
            # preview), every one again by the import, which keeps and marks what fails.
            found = capture.errors(release) if len(result.releases) < SCHEMA_CHECKED else []
            if found:
                raise Refused("", "; ".join(f"{i.path}: {i.message}" for i in found[:3]))
        except Refused as exc:
            if exc.key == "date":
                exc.key = next(k for k in DATE_TARGETS if k in mapping)
            column = table.headers[mapping[exc.key]] if exc.key in mapping else "—"
            value = get(exc.key) if exc.key in mapping else ""
            result.refused.append(Refusal(number, column, value[:200], exc.reason))
            continue
        seen[key] = number
        result.releases.append(release)
        result.rows.append(number)
    return result


def _row_release(get, number, publisher, comma, methods, categories, statuses, currencies):
    procedure = get("ocid")
    if not procedure:
        raise Refused("ocid", _("falta el número de procedimiento"))
    supplier_name = get("supplier_name")
    if not supplier_name:
        raise Refused("supplier_name", _("falta el proveedor"))
    buyer_name = get("buyer")
    if not buyer_name:
        raise Refused("buyer", _("falta el comprador"))
    if not get("amount"):
        raise Refused("amount", _("falta el monto"))
    amount = parse_amount(get("amount"), comma=comma)
    rfc = get("supplier_rfc").upper().replace(" ", "").replace("-", "")
    if rfc and not capture.RFC.match(rfc):
        raise Refused("supplier_rfc", _("«%(value)s» no es un RFC válido") % {"value": rfc})
    currency = capture.DEFAULT_CURRENCY
    if get("currency"):
        raw = get("currency").upper()
        currency = (
            raw
            if raw in currencies
            else _code(get("currency"), "currency", CURRENCY_WORDS, currencies, _("moneda"))
        )
    dates = {
        key: parse_date(get(key), key)
        for key in ("date_signed", "start", "end", "published")
        if get(key)
    }
    if not any(key in dates for key in DATE_TARGETS):
        raise Refused(
            "date", _("falta la fecha (de firma, de inicio de vigencia o de publicación)")
        )
    if "start" in dates and "end" in dates and dates["end"] < dates["start"]:
        raise Refused("end", _("la vigencia termina antes de empezar"))
    method = get("method") and _code(get("method"), "method", METHOD_WORDS, methods, _("método"))
    category = get("category") and _code(
        get("category"), "category", CATEGORY_WORDS, categories, _("categoría")
    )
    status = (
        _code(get("status"), "status", STATUS_WORDS, statuses, _("estado"))
        if get("status")
        else "active"
    )
    ocid = _ocid(procedure, publisher)
    contract_key = slugify(get("contract_id"))[:100] or f"fila-{number}"
    buyer = capture.party({}, buyer_name, "buyer")
    supplier = capture.party({}, supplier_name, "supplier", rfc)
    if supplier["id"] == buyer["id"]:
        raise Refused("supplier_name", _("el proveedor es el mismo comprador"))
    value = capture.money(amount, currency)
    signed = dates.get("date_signed")
    release_date = signed or dates.get("start") or dates["published"]
    tender = {
        "id": procedure,
        "title": get("title"),
        "procurementMethod": method,
        "procurementMethodDetails": get("method") if method and get("method") != method else "",
        "mainProcurementCategory": category,
        "tenderPeriod": {"startDate": dates["published"].isoformat()}
        if "published" in dates
        else None,
    }
    period = {
        "startDate": dates["start"].isoformat() if "start" in dates else None,
        "endDate": dates["end"].isoformat() if "end" in dates else None,
    }
    title = get("contract_title") or get("title")
    award = {
        "id": contract_key,
        "title": title,
        "status": "active",
        "date": (signed or release_date).isoformat(),
        "value": value,
        "suppliers": [capture.reference(supplier)],
    }
    contract = {
        "id": contract_key,
        "awardID": contract_key,
        "title": title,
        "description": get("description"),
        "status": status,
        "value": value,
        "period": _compact(period) or None,
        "dateSigned": signed.isoformat() if signed else None,
    }
    return {
        "ocid": ocid,
        "id": f"{ocid}-{contract_key}",
        "date": release_date.isoformat(),
        "tag": ["award", "contract"],
        "initiationType": "tender",
        "buyer": capture.reference(buyer),
        "parties": [buyer, supplier],
        "tender": _compact(tender),
        "awards": [_compact(award)],
        "contracts": [_compact(contract)],
    }


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def preview_rows(result: Result) -> list[dict[str, Any]]:
    """The first releases with what a table of them shows."""
    rows = []
    for number, release in zip(result.rows[:PREVIEW], result.releases[:PREVIEW], strict=True):
        award = release["awards"][0]
        rows.append(
            {
                "row": number,
                "release": release,
                "supplier": award["suppliers"][0]["name"],
                "method": method_label(release["tender"].get("procurementMethod", "")),
                "amount": award["value"]["amount"],
                "currency": award["value"]["currency"],
            }
        )
    return rows


# ----------------------------------------------------------------------------- import


def start_import(*, actor: User, staged: Staged, result: Result) -> Import:
    """Queue the import of the converted releases (the normal background import)."""
    from abierto.contracting.tasks import run_import

    import_ = capture.import_create(
        actor=actor,
        publisher=staged.publisher,
        source=Import.Source.SPREADSHEET,
        content=capture.package(result.releases, staged.publisher),
        name=f"hoja-{slugify(PurePosixPath(staged.original_name).stem)[:60] or 'datos'}.json",
    )
    staged.discard()
    run_import.enqueue(import_.pk)
    return import_
