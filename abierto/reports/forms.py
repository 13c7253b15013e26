"""Forms of the reports app."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AnnualReportRequestForm(forms.Form):
    """The year whose annual report STL staff ask to build."""

    year = forms.IntegerField(
        label=_("Año del informe"),
        min_value=1990,
        max_value=2100,
        error_messages={
            "required": _("Indique el año del informe (por ejemplo, 2017)."),
            "invalid": _("El año del informe debe ser un número de cuatro cifras, p. ej. 2017."),
            "min_value": _("El año del informe debe ser %(limit_value)s o posterior."),
            "max_value": _("El año del informe debe ser %(limit_value)s o anterior."),
        },
    )
