"""Forms of citizen participation: they parse and check input; services write."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from abierto.core.models import User
from abierto.participation.models import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    TITLE_MAX,
    Problem,
    Proposal,
    Site,
)
from abierto.plans.models import Commitment


class SignUpForm(UserCreationForm):
    """A citizen's account: user name, name, e-mail (kept private) and password."""

    first_name = forms.CharField(label=_("Nombre"), max_length=150)
    last_name = forms.CharField(label=_("Apellidos"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("Correo electrónico"),
        help_text=_("Privado: nunca se publica ni se comparte."),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "first_name", "last_name", "email")


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("Título"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Descripción"),
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Puede usar Markdown sencillo (listas, negritas, enlaces)."),
    )
    problem = forms.ModelChoiceField(
        label=_("Problema que atiende"), queryset=Problem.objects.none(), required=False
    )
    site = forms.ModelChoiceField(label=_("Sede"), queryset=Site.objects.none(), required=False)

    def __init__(self, *args, exercise, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = Problem.objects.filter(
            site__lab__exercise=exercise
        ).select_related("site__municipality", "topic")
        self.fields["problem"].label_from_instance = lambda p: (
            f"{p.site} · {p.topic}: {p.description[:80]}"
        )
        self.fields["site"].queryset = Site.objects.filter(lab__exercise=exercise).select_related(
            "municipality", "lab"
        )
        self.fields["site"].label_from_instance = lambda s: f"{s} ({s.lab})"


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comentario"), max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo público"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Se muestra en lugar del contenido ocultado."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Estado"), choices=Proposal.Status.choices)
    reason = forms.CharField(
        label=_("Motivo público"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    commitment = forms.ModelChoiceField(
        label=_("Compromiso"), queryset=Commitment.objects.none(), required=False
    )

    def __init__(self, *args, exercise, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commitment"].queryset = Commitment.objects.filter(
            plan__exercise=exercise
        ).select_related("plan")
