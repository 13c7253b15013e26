"""The data dictionary form: per column, the type a load must apply, a label and notes."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from abierto.datastore import infer, schema


def _type_choices() -> list[tuple[str, str]]:
    return [("", _("Automático (según los datos)"))] + [
        (kind, infer.TYPE_NAMES[kind]) for kind in schema.FIELD_TYPES
    ]


class ColumnForm(forms.Form):
    type_override = forms.ChoiceField(label=_("Tipo"), required=False, choices=_type_choices)
    label = forms.CharField(label=_("Etiqueta"), required=False, max_length=200)
    notes = forms.CharField(
        label=_("Descripción"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BaseDictionaryFormSet(forms.BaseFormSet):
    def __init__(self, *args, columns: list[dict], **kwargs) -> None:
        self.columns = columns
        initial = []
        for column in columns:
            info = column.get("info") if isinstance(column.get("info"), dict) else {}
            initial.append(
                {
                    "type_override": info.get("type_override", ""),
                    "label": info.get("label", ""),
                    "notes": info.get("notes", ""),
                }
            )
        super().__init__(*args, initial=initial, **kwargs)

    def clean(self) -> None:
        # The columns come from the stored dictionary, never from the form: a form for
        # another number of columns is stale (the file was reloaded meanwhile).
        if self.total_form_count() != len(self.columns):
            raise forms.ValidationError(
                _("Las columnas cambiaron mientras editaba; vuelva a abrir el diccionario.")
            )

    def entries(self) -> list[dict[str, str]]:
        return [
            {"id": column["id"], **form.cleaned_data}
            for column, form in zip(self.columns, self.forms, strict=True)
        ]


DictionaryFormSet = forms.formset_factory(
    ColumnForm, formset=BaseDictionaryFormSet, extra=0, max_num=schema.MAX_COLUMNS
)
