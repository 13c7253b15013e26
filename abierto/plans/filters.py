"""Filters on commitments, shared by the public dashboard and the REST API."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from abierto.core.models import Organization
from abierto.plans.models import Commitment, CommitmentQuerySet, Completion, Pillar, Theme


class YesNoAllWidget(BooleanWidget):
    """A select of all / yes / no that reads `true`, `false`, `1` and `0` (as the API sends)."""

    def __init__(self, attrs=None, *, yes: str = "", no: str = ""):
        super().__init__(attrs)
        self.choices = [("", _("Todos")), ("true", yes or _("Sí")), ("false", no or _("No"))]


class CommitmentFilter(django_filters.FilterSet):
    """Narrow commitments by theme, pillar, completion level, implementer and delay.

    Choices are keyed by what appears in public URLs: theme slug, pillar code, organisation
    slug. `behind_schedule` takes `true`/`false` (or `1`/`0`).
    """

    theme = django_filters.ModelChoiceFilter(
        label=_("Tema"),
        field_name="theme",
        to_field_name="slug",
        queryset=Theme.objects.all(),
        empty_label=_("Todos los temas"),
    )
    pillar = django_filters.ModelChoiceFilter(
        label=_("Pilar"),
        field_name="pillars",
        to_field_name="code",
        queryset=Pillar.objects.all(),
        empty_label=_("Todos los pilares"),
        distinct=True,
    )
    completion = django_filters.ChoiceFilter(
        label=_("Nivel de cumplimiento"),
        choices=[(value, capfirst(label)) for value, label in Completion.choices],
        empty_label=_("Todos los niveles"),
    )
    implementer = django_filters.ModelChoiceFilter(
        label=_("Implementador"),
        field_name="lead_implementers",
        to_field_name="slug",
        queryset=Organization.objects.filter(implemented_commitments__isnull=False).distinct(),
        empty_label=_("Todos los implementadores"),
        distinct=True,
    )
    behind_schedule = django_filters.BooleanFilter(
        label=_("Con retraso"),
        method="filter_behind_schedule",
        widget=YesNoAllWidget(yes=_("Solo con retraso"), no=_("Solo sin retraso")),
    )

    class Meta:
        model = Commitment
        fields = ["theme", "pillar", "completion", "implementer", "behind_schedule"]

    def filter_behind_schedule(
        self, queryset: CommitmentQuerySet, name: str, value: bool | None
    ) -> QuerySet[Commitment]:
        """Commitments with an overdue, unfinished milestone (or, when false, without one)."""
        if value is None:
            return queryset
        if value:
            return queryset.behind_schedule()
        return queryset.exclude(pk__in=queryset.behind_schedule().values("pk"))

    def limit_choices_to(self, commitments: QuerySet[Commitment]) -> None:
        """Offer only the themes, pillars and implementers that occur in `commitments`."""
        ids = commitments.values("pk")
        fields = self.form.fields
        fields["theme"].queryset = Theme.objects.filter(commitments__in=ids).distinct()
        fields["pillar"].queryset = Pillar.objects.filter(commitments__in=ids).distinct()
        fields["implementer"].queryset = Organization.objects.filter(
            implemented_commitments__in=ids
        ).distinct()
