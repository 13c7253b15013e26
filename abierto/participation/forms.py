"""Forms of citizen participation: they parse and check input; services write."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from abierto.core.models import Document, Exercise, Jurisdiction, Organization, User
from abierto.participation.models import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    TITLE_MAX,
    Event,
    Lab,
    Problem,
    Proposal,
    Site,
    Solution,
    Workshop,
)
from abierto.plans.models import ActionPlan, Commitment


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


# ------------------------------------------------------------------ lab content (STL staff)
# Model forms parse and check; participation/services.py saves and audits.

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorkshopForm(forms.ModelForm):
    class Meta:
        model = Workshop
        fields = [
            "site",
            "title",
            "held_on",
            "held_on_precision",
            "place",
            "participants",
            "topics",
            "source",
        ]
        labels = {
            "site": _("Sede"),
            "title": _("Título"),
            "held_on": _("Fecha"),
            "held_on_precision": _("Precisión de la fecha"),
            "place": _("Lugar"),
            "participants": _("Participantes"),
            "topics": _("Temas discutidos"),
            "source": _("Fuente"),
        }
        widgets = {"held_on": DATE_WIDGET, "topics": forms.CheckboxSelectMultiple}

    def __init__(self, *args, lab: Lab, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = lab.sites.select_related("municipality")
        self.fields["topics"].required = False


class ProblemForm(forms.ModelForm):
    class Meta:
        model = Problem
        fields = ["site", "workshop", "topic", "description", "source"]
        labels = {
            "site": _("Sede"),
            "workshop": _("Taller en que se planteó"),
            "topic": _("Tema"),
            "description": _("Descripción"),
            "source": _("Fuente"),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, lab: Lab, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = lab.sites.select_related("municipality")
        self.fields["workshop"].queryset = Workshop.objects.filter(site__lab=lab).select_related(
            "site__municipality"
        )
        self.fields["description"].max_length = DESCRIPTION_MAX
        self.fields["description"].validators.append(MaxLengthValidator(DESCRIPTION_MAX))


class SolutionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Repositorio o enlace"), required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = Solution
        fields = [
            "title",
            "team",
            "description",
            "url",
            "municipality",
            "delivery_status",
            "delivered_on",
            "source",
        ]
        labels = {
            "title": _("Título"),
            "team": _("Equipo"),
            "description": _("Descripción"),
            "url": _("Repositorio o enlace"),
            "municipality": _("Municipio al que se entrega"),
            "delivery_status": _("Estado de la entrega"),
            "delivered_on": _("Fecha de entrega"),
            "source": _("Fuente"),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 5}), "delivered_on": DATE_WIDGET}

    def __init__(self, *args, lab: Lab, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        state = lab.exercise.jurisdiction
        self.fields["municipality"].queryset = Jurisdiction.objects.filter(
            kind=Jurisdiction.Kind.MUNICIPALITY, parent=state
        ).order_by("name")


class EventForm(forms.ModelForm):
    class Meta:
        model = Event
        fields = [
            "kind",
            "title",
            "slug",
            "held_on",
            "held_on_precision",
            "place",
            "organizer",
            "organizer_name",
            "speakers",
            "participants",
            "participants_at_least",
            "visitors",
            "description",
            "part_of",
            "plan",
            "lab",
            "commitment",
            "source",
        ]
        labels = {
            "kind": _("Tipo"),
            "title": _("Título"),
            "slug": _("Dirección (slug)"),
            "held_on": _("Fecha"),
            "held_on_precision": _("Precisión de la fecha"),
            "place": _("Lugar"),
            "organizer": _("Organiza (institución)"),
            "organizer_name": _("Organiza (si no es una institución registrada)"),
            "speakers": _("Ponentes"),
            "participants": _("Participantes"),
            "participants_at_least": _("La cifra de participantes es un mínimo («más de…»)"),
            "visitors": _("Visitantes"),
            "description": _("Descripción"),
            "part_of": _("Parte de"),
            "plan": _("Plan"),
            "lab": _("Laboratorio"),
            "commitment": _("Compromiso"),
            "source": _("Fuente"),
        }
        help_texts = {
            "slug": _("Se forma con el título si se deja en blanco."),
            "participants": _("Déjelo vacío si la fuente no da la cifra."),
        }
        widgets = {"held_on": DATE_WIDGET, "description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, exercise: Exercise, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["part_of"].queryset = Event.objects.filter(exercise=exercise).exclude(
            pk=self.instance.pk
        )
        self.fields["plan"].queryset = ActionPlan.objects.filter(exercise=exercise)
        self.fields["lab"].queryset = Lab.objects.filter(exercise=exercise)
        self.fields["commitment"].queryset = Commitment.objects.filter(
            plan__exercise=exercise
        ).select_related("plan")
        self.fields["organizer"].queryset = Organization.objects.order_by("name")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("participants_at_least") and data.get("participants") is None:
            self.add_error(
                "participants", _("Indique la cifra mínima de participantes («más de…»).")
            )
        return data


class EventDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Tipo"), choices=Document.Kind.choices)
    title = forms.CharField(label=_("Título"), max_length=255)
    file = forms.FileField(
        label=_("Archivo"),
        required=False,
        help_text=_("Un archivo o un enlace, no ambos."),
    )
    url = forms.URLField(label=_("Enlace"), required=False, max_length=500, assume_scheme="https")
    description = forms.CharField(
        label=_("Descripción"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    published_on = forms.DateField(label=_("Fecha"), required=False, widget=DATE_WIDGET)

    def clean(self) -> dict:
        data = super().clean()
        if bool(data.get("file")) == bool(data.get("url")):
            raise forms.ValidationError(_("Adjunte un archivo o escriba un enlace, no ambos."))
        return data
