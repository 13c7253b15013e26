"""Forms of the reporting workflow: an implementer's progress report and a verification."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from abierto.core.uploads import check_upload
from abierto.plans.models import Commitment, Milestone, ProgressUpdate, Verification

MAX_EVIDENCE_LINKS = 20


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = data if isinstance(data, list | tuple) else [data]
        uploads = [upload for upload in uploads if upload]
        if not uploads and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(upload, initial) for upload in uploads]


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's validation errors next to the form's fields (others at the top)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields else None
        if field == NON_FIELD_ERRORS:
            target = None
        form.add_error(target, messages)


class ProgressReportForm(forms.Form):
    """An implementer's progress on one milestone of a commitment, with its evidence."""

    milestone = forms.ModelChoiceField(
        label=gettext_lazy("Meta"),
        queryset=Milestone.objects.none(),
        empty_label=gettext_lazy("Elija la meta"),
    )
    percent = forms.IntegerField(
        label=gettext_lazy("Avance (%)"),
        min_value=0,
        max_value=100,
        help_text=gettext_lazy("Porcentaje de la meta cumplido hasta hoy, de 0 a 100."),
    )
    narrative = forms.CharField(
        label=gettext_lazy("Descripción del avance"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20000,
        help_text=gettext_lazy(
            "Qué se hizo y qué falta. Puede usar Markdown (listas, enlaces, énfasis)."
        ),
    )
    evidence = MultipleFileField(
        label=gettext_lazy("Archivos de evidencia"),
        required=False,
        help_text=gettext_lazy("Puede elegir varios archivos."),
    )
    evidence_links = forms.CharField(
        label=gettext_lazy("Enlaces de evidencia"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Un enlace por línea (https://…)."),
    )
    corrects = forms.ModelChoiceField(
        label=gettext_lazy("Corrige un reporte anterior"),
        queryset=ProgressUpdate.objects.none(),
        required=False,
        empty_label=gettext_lazy("No, es un reporte nuevo"),
        help_text=gettext_lazy(
            "Los reportes no se editan: una corrección es un reporte nuevo de la misma meta."
        ),
    )

    def __init__(self, *args: Any, commitment: Commitment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commitment = commitment
        self.fields["milestone"].queryset = commitment.milestones.exclude(
            status=Milestone.Status.CANCELLED
        )
        self.fields["corrects"].queryset = ProgressUpdate.objects.filter(
            milestone__commitment=commitment
        ).select_related("milestone__commitment")
        self.fields["corrects"].label_from_instance = self._update_label
        allowed = sorted(settings.DOCUMENT_ALLOWED_TYPES)
        self.fields["evidence"].widget.attrs["accept"] = ",".join(f".{ext}" for ext in allowed)
        self.fields["evidence"].help_text = _(
            "Puede elegir varios archivos. Tipos permitidos: %(types)s; hasta %(max)s MB cada uno."
        ) % {
            "types": ", ".join(allowed),
            "max": round(settings.DOCUMENT_MAX_BYTES / 1024 / 1024, 1),
        }

    @staticmethod
    def _update_label(update: ProgressUpdate) -> str:
        when = formats.date_format(timezone.localtime(update.reported_at), "SHORT_DATE_FORMAT")
        return _("%(when)s · meta %(milestone)s · %(percent)s %%") % {
            "when": when,
            "milestone": update.milestone.position,
            "percent": update.percent,
        }

    def clean_evidence(self) -> list[UploadedFile]:
        uploads = self.cleaned_data["evidence"]
        messages: list[str] = []
        for upload in uploads:
            try:
                check_upload(upload, field="evidence")
            except ValidationError as error:
                messages.extend(error.message_dict["evidence"])
        if messages:
            raise ValidationError(messages)
        return uploads

    def clean_evidence_links(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["evidence_links"].splitlines()]
        links = [line for line in lines if line]
        if len(links) > MAX_EVIDENCE_LINKS:
            raise ValidationError(
                _("Indique como máximo %(max)s enlaces.") % {"max": MAX_EVIDENCE_LINKS}
            )
        validate = URLValidator(schemes=["http", "https"])
        for link in links:
            try:
                validate(link)
            except ValidationError:
                raise ValidationError(
                    _("«%(link)s» no es un enlace válido (debe empezar con https://).")
                    % {"link": link[:100]}
                ) from None
            if len(link) > 500:
                raise ValidationError(_("Cada enlace puede tener hasta 500 caracteres."))
        return links

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        milestone, corrects = cleaned.get("milestone"), cleaned.get("corrects")
        if milestone and corrects and corrects.milestone_id != milestone.pk:
            self.add_error("corrects", _("La corrección debe ser de la misma meta."))
        return cleaned


class VerificationForm(forms.Form):
    """A committee member's verdict on a progress update."""

    verdict = forms.ChoiceField(
        label=gettext_lazy("Dictamen"),
        choices=Verification.Verdict.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comentario"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Obligatorio si objeta el avance: explique qué no corresponde."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        comment = (cleaned.get("comment") or "").strip()
        if cleaned.get("verdict") == Verification.Verdict.DISPUTED and not comment:
            self.add_error("comment", _("Explique por qué objeta el avance."))
        return cleaned
