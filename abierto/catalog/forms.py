"""Forms of the catalog: a publisher's dataset and resource, and the search page's options.

The forms only read and check what a person typed; services.py validates the guide's rules
again and saves. A service's errors come back next to the field they name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from abierto.catalog import files
from abierto.catalog.models import (
    DEFAULT_LICENCE,
    NAME_VALIDATOR,
    Dataset,
    Licence,
    Publisher,
    Resource,
    Theme,
)
from abierto.core.models import Jurisdiction

MAX_TAGS = 50
MAX_DICTIONARY_COLUMNS = 500


def apply_service_errors(
    form: forms.Form, error: ValidationError, renames: dict[str, str] | None = None
) -> None:
    """Put a service's validation errors next to the form's fields (others at the top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        name = (renames or {}).get(name, name)
        target = name if name in form.fields and name != NON_FIELD_ERRORS else None
        if target is None and name != NON_FIELD_ERRORS:
            messages = [f"{name}: {message}" for message in messages]
        form.add_error(target, messages)


class DateInput(forms.DateInput):
    """A native date picker; the value is ISO 8601, as the guide asks for dates."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def split_tags(text: str) -> list[str]:
    """Comma-separated keywords, trimmed, blank ones dropped, duplicates kept once."""
    seen: list[str] = []
    for raw in text.split(","):
        tag = " ".join(raw.split())
        if tag and tag not in seen:
            seen.append(tag)
    return seen


class DatasetForm(forms.Form):
    """A dataset's metadata, with the fields of the Mexican implementation guide."""

    name = forms.CharField(
        label=gettext_lazy("Clave (para la dirección web)"),
        max_length=100,
        validators=[NAME_VALIDATOR],
        help_text=gettext_lazy(
            "Forma parte de la dirección permanente del conjunto y no podrá cambiarse: "
            "minúsculas sin acentos, números, «-» o «_»; por ejemplo «escuelas-2018»."
        ),
    )
    title = forms.CharField(label=gettext_lazy("Título"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Descripción"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        help_text=gettext_lazy(
            "Qué contiene, de dónde provienen los datos y cómo usarlos. Puede usar Markdown."
        ),
    )
    identifier = forms.CharField(
        label=gettext_lazy("Identificador"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "Clave ASCII permanente del conjunto (Guía de Implementación). Si la deja en "
            "blanco se usa la clave de la dirección web."
        ),
    )
    tags = forms.CharField(
        label=gettext_lazy("Palabras clave"),
        required=False,
        max_length=5000,
        help_text=gettext_lazy("Separadas por comas; por ejemplo: escuelas, educación básica."),
    )
    themes = forms.ModelMultipleChoiceField(
        label=pgettext_lazy("catálogo de datos", "Temas"),
        queryset=Theme.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    licence = forms.ModelChoiceField(
        label=pgettext_lazy("catálogo de datos", "Licencia"),
        queryset=Licence.objects.all(),
        to_field_name="key",
        empty_label=None,
    )
    accrual_periodicity = forms.ChoiceField(
        label=gettext_lazy("Periodicidad de actualización"),
        choices=[("", gettext_lazy("Elija la periodicidad")), *Dataset.Periodicity.choices],
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Punto de contacto"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "Área responsable de los datos. Si lo deja en blanco se usa el nombre de la "
            "dependencia."
        ),
    )
    contact_email = forms.EmailField(
        label=gettext_lazy("Buzón de contacto"),
        required=False,
        help_text=gettext_lazy(
            "Un buzón institucional, que se publica; nunca el correo personal de alguien. "
            "Si lo deja en blanco se usa el de la dependencia."
        ),
    )
    landing_page = forms.URLField(
        label=gettext_lazy("Página de inicio"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("Página donde la dependencia explica estos datos (https://…)."),
    )
    temporal_start = forms.DateField(
        label=gettext_lazy("Cobertura temporal: desde"), required=False, widget=DateInput()
    )
    temporal_end = forms.DateField(
        label=gettext_lazy("Cobertura temporal: hasta"), required=False, widget=DateInput()
    )
    spatial = forms.ModelChoiceField(
        label=gettext_lazy("Cobertura geográfica"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=gettext_lazy("Sin especificar"),
        help_text=gettext_lazy("Entidad o municipio, con su clave del Marco Geoestadístico."),
    )
    spatial_text = forms.CharField(
        label=gettext_lazy("Cobertura geográfica (descripción)"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Por ejemplo: «Zona Metropolitana de Guadalajara»."),
    )
    data_dictionary_url = forms.URLField(
        label=gettext_lazy("Diccionario de datos"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy(
            "Dirección del diccionario de datos (de preferencia un CSV) que describe cada columna."
        ),
    )
    quality_notes = forms.CharField(
        label=gettext_lazy("Notas de calidad"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=10000,
        required=False,
    )
    version = forms.CharField(label=gettext_lazy("Versión"), max_length=100, required=False)
    modified = forms.DateField(
        label=gettext_lazy("Fecha de actualización de los datos"),
        required=False,
        widget=DateInput(),
        help_text=gettext_lazy(
            "Cuándo cambiaron los datos por última vez. Al cargar un recurso se actualiza sola."
        ),
    )
    state = forms.ChoiceField(
        label=gettext_lazy("Estado de publicación"),
        choices=[
            (Dataset.State.ACTIVE, gettext_lazy("Publicado")),
            (Dataset.State.DRAFT, gettext_lazy("Borrador (solo lo ve la dependencia)")),
        ],
        initial=Dataset.State.ACTIVE,
    )
    private = forms.BooleanField(
        label=gettext_lazy("Privado"),
        required=False,
        help_text=gettext_lazy(
            "Solo lo ven los integrantes de la dependencia; no aparece en el catálogo público."
        ),
    )

    def __init__(
        self, *args: Any, publisher: Publisher, dataset: Dataset | None = None, **kwargs: Any
    ) -> None:
        if dataset is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(dataset)
        super().__init__(*args, **kwargs)
        self.publisher = publisher
        self.dataset = dataset
        if dataset is not None:
            # The name is the dataset's permanent address: it never changes once published.
            del self.fields["name"]
        else:
            self.fields["licence"].initial = DEFAULT_LICENCE
        state = publisher.jurisdiction
        if state.parent_id:
            state = state.parent
        # The states, and the municipalities of the publisher's own state.
        self.fields["spatial"].queryset = Jurisdiction.objects.filter(
            Q(kind=Jurisdiction.Kind.STATE) | Q(parent=state)
        ).order_by("inegi_code")
        self.fields["spatial"].label_from_instance = lambda j: f"{j.name} ({j.inegi_code})"

    @staticmethod
    def initial_for(dataset: Dataset) -> dict[str, Any]:
        return {
            "title": dataset.title,
            "description": dataset.description,
            "identifier": dataset.identifier,
            "tags": ", ".join(tag.name for tag in dataset.tags.all()),
            "themes": list(dataset.themes.all()),
            "licence": dataset.licence.key,
            "accrual_periodicity": dataset.accrual_periodicity,
            "contact_name": dataset.contact_name,
            "contact_email": dataset.contact_email,
            "landing_page": dataset.landing_page,
            "temporal_start": dataset.temporal_start,
            "temporal_end": dataset.temporal_end,
            "spatial": dataset.spatial_id,
            "spatial_text": dataset.spatial_text,
            "data_dictionary_url": dataset.data_dictionary_url,
            "quality_notes": dataset.quality_notes,
            "version": dataset.version,
            "modified": timezone.localtime(dataset.modified).date() if dataset.modified else None,
            "state": dataset.state,
            "private": dataset.private,
        }

    def clean_tags(self) -> list[str]:
        tags = split_tags(self.cleaned_data["tags"])
        if len(tags) > MAX_TAGS:
            raise ValidationError(
                _("Indique como máximo %(max)s palabras clave.") % {"max": MAX_TAGS}
            )
        for tag in tags:
            if len(tag) > 100:
                raise ValidationError(
                    _("La palabra clave «%(tag)s…» pasa de 100 caracteres.") % {"tag": tag[:30]}
                )
        return tags

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("temporal_start"), cleaned.get("temporal_end")
        if start and end and end < start:
            self.add_error(
                "temporal_end", _("La cobertura temporal no puede terminar antes de empezar.")
            )
        modified = cleaned.get("modified")
        if modified and modified > timezone.localdate():
            self.add_error("modified", _("La fecha de actualización no puede estar en el futuro."))
        return cleaned

    def service_values(self) -> dict[str, Any]:
        """The cleaned data as the keyword arguments of services.dataset_save."""
        data = dict(self.cleaned_data)
        values: dict[str, Any] = {
            key: data[key]
            for key in (
                "title",
                "description",
                "identifier",
                "licence",
                "accrual_periodicity",
                "contact_name",
                "contact_email",
                "landing_page",
                "temporal_start",
                "temporal_end",
                "spatial",
                "spatial_text",
                "data_dictionary_url",
                "quality_notes",
                "version",
                "state",
                "private",
            )
        }
        values["tags"] = data["tags"]
        values["themes"] = list(data["themes"])
        if self.dataset is None:
            values["name"] = data["name"]
            values["publisher"] = self.publisher
        elif not values["identifier"]:
            values["identifier"] = self.dataset.identifier
        if not values["contact_name"]:
            values["contact_name"] = self.publisher.title
        if not values["contact_email"]:
            values["contact_email"] = self.publisher.email
        modified = data.get("modified")
        current = self.dataset.modified if self.dataset is not None else None
        if modified and (current is None or timezone.localtime(current).date() != modified):
            # A date was typed: noon local time keeps it on that day in every time zone of Mexico.
            values["modified"] = timezone.make_aware(dt.datetime.combine(modified, dt.time(12, 0)))
        return values


def parse_dictionary(text: str) -> list[dict[str, Any]]:
    """«columna: descripción» per line as CKAN's data dictionary (`fields` with `info`)."""
    fields: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        column, sep, notes = line.partition(":")
        column = column.strip()
        if not sep or not column:
            raise ValidationError(_("Línea %(n)s: escriba «columna: descripción».") % {"n": number})
        fields.append({"id": column[:200], "info": {"notes": notes.strip()[:2000]}})
    if len(fields) > MAX_DICTIONARY_COLUMNS:
        raise ValidationError(
            _("El diccionario admite hasta %(max)s columnas.") % {"max": MAX_DICTIONARY_COLUMNS}
        )
    return fields


def dictionary_text(fields: list[dict[str, Any]]) -> str:
    lines = []
    for item in fields or []:
        if isinstance(item, dict) and item.get("id"):
            info = item.get("info") if isinstance(item.get("info"), dict) else {}
            lines.append(f"{item['id']}: {info.get('notes') or info.get('label') or ''}".rstrip())
    return "\n".join(lines)


class ResourceForm(forms.Form):
    """A resource: an uploaded file or a link, with its title and description."""

    title = forms.CharField(label=gettext_lazy("Título"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Descripción"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        required=False,
    )
    upload = forms.FileField(
        label=gettext_lazy("Archivo"),
        required=False,
        help_text=gettext_lazy("Cargue un archivo, o bien indique un enlace abajo."),
    )
    url = forms.URLField(
        label=gettext_lazy("Enlace"),
        max_length=1000,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("Dirección del archivo en otro sitio (https://…), si no lo carga."),
    )
    format = forms.CharField(
        label=gettext_lazy("Formato"),
        max_length=40,
        required=False,
        help_text=gettext_lazy(
            "Por ejemplo CSV o XLSX. Si lo deja en blanco se deduce del archivo."
        ),
    )
    conforms_to = forms.URLField(
        label=gettext_lazy("Norma o esquema que sigue"),
        max_length=500,
        required=False,
        assume_scheme="https",
    )
    data_dictionary = forms.CharField(
        label=gettext_lazy("Diccionario de datos"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=200000,
        help_text=gettext_lazy("Una columna por línea: «columna: qué contiene y en qué unidad»."),
    )

    def __init__(self, *args: Any, resource: Resource | None = None, **kwargs: Any) -> None:
        if resource is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": resource.title,
                "description": resource.description,
                "url": resource.url,
                "format": resource.format,
                "conforms_to": resource.conforms_to,
                "data_dictionary": dictionary_text(resource.data_dictionary),
            }
        super().__init__(*args, **kwargs)
        self.resource = resource
        self.fields["upload"].widget.attrs["accept"] = ",".join(
            f".{fmt.lower()}" for fmt in sorted(files.FORMATS)
        )
        if resource is not None:
            self.fields["upload"].help_text = _(
                "Cargue un archivo para reemplazar el actual; déjelo vacío para conservarlo."
            )

    def clean_format(self) -> str:
        return self.cleaned_data["format"].strip().upper()

    def clean_data_dictionary(self) -> list[dict[str, Any]]:
        return parse_dictionary(self.cleaned_data["data_dictionary"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload, url = cleaned.get("upload"), cleaned.get("url")
        if upload and url:
            raise ValidationError(
                _("Cargue un archivo o indique un enlace, no ambos."), code="file_and_link"
            )
        # Editing an uploaded file may keep it; anything else needs a file or a link.
        if not upload and not url and (self.resource is None or not self.resource.is_upload):
            self.add_error("upload", _("Cargue un archivo o indique un enlace."))
        return cleaned

    def service_values(self) -> dict[str, Any]:
        """The cleaned data as the keyword arguments of services.resource_save."""
        data = self.cleaned_data
        values = {
            "title": data["title"],
            "description": data["description"],
            "conforms_to": data["conforms_to"],
            "data_dictionary": data["data_dictionary"],
        }
        if data["format"]:
            values["format"] = data["format"]
        if data["url"]:
            values["url"] = data["url"]
            if not data["format"]:
                # A new link's format comes from its address, not from the file it replaces.
                values["format"] = files.format_from_name(data["url"])
        if data["upload"] and not data["format"]:
            values["format"] = ""
        if values.get("format"):
            values["media_type"] = files.media_type_of(values["format"])
        return values


SORTS = {
    "": gettext_lazy("Relevancia"),
    "metadata_modified desc": gettext_lazy("Actualizados recientemente"),
    "title_string asc": gettext_lazy("Título (A-Z)"),
    "title_string desc": gettext_lazy("Título (Z-A)"),
    "metadata_created desc": gettext_lazy("Publicados recientemente"),
}
