"""Filters shared by the public lists and the API."""

from __future__ import annotations

import django_filters as filters
from django.utils.translation import gettext_lazy as _

from abierto.core.filters import IdFilter
from abierto.participation.models import Event, Proposal


class ProposalFilter(filters.FilterSet):
    status = filters.ChoiceFilter(label=_("Estado"), choices=Proposal.Status.choices)
    site = filters.CharFilter(
        label=_("Sede"), field_name="site__slug", help_text="Slug of the site (municipality)."
    )
    theme = filters.CharFilter(
        label=_("Tema"), field_name="topic__slug", help_text="Slug of the theme."
    )
    lab = filters.CharFilter(label=_("Laboratorio"), field_name="site__lab__slug")
    exercise = filters.CharFilter(field_name="exercise__slug", help_text="Slug of the exercise.")

    class Meta:
        model = Proposal
        fields = ["status", "site", "theme", "lab", "origin", "exercise"]


class EventFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(label=_("Tipo"), choices=Event.Kind.choices)
    year = IdFilter(label=_("Año"), field_name="held_on", lookup_expr="year")
    lab = filters.CharFilter(field_name="lab__slug", help_text="Slug of the lab.")
    exercise = filters.CharFilter(field_name="exercise__slug", help_text="Slug of the exercise.")

    class Meta:
        model = Event
        fields = ["kind", "year", "lab", "exercise"]
