"""Filters of the plans API (django-filter), in the domain's words.

Related objects are named by id (IdFilter) or slug, never by a choice list: the
browsable API would otherwise render every milestone or update as an <option>.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from abierto.core.filters import IdFilter, YearFilter
from abierto.plans.models import (
    ActionPlan,
    Commitment,
    Committee,
    Meeting,
    Milestone,
    ProgressUpdate,
    Verification,
)


class ActionPlanFilter(filters.FilterSet):
    exercise = filters.CharFilter(field_name="exercise__slug", help_text="Slug of the exercise.")

    class Meta:
        model = ActionPlan
        fields = ["exercise", "status", "slug", "start_year"]


class CommitmentFilter(filters.FilterSet):
    plan = IdFilter(field_name="plan", help_text="Id of the plan.")
    exercise = filters.CharFilter(field_name="plan__exercise__slug")
    theme = filters.CharFilter(field_name="theme__slug", help_text="Slug of the theme.")
    pillar = filters.CharFilter(field_name="pillars__code", help_text="Code of the pillar.")
    implementer = filters.CharFilter(
        field_name="lead_implementers__slug", help_text="Slug of a lead implementing institution."
    )
    partner = filters.CharFilter(field_name="partners__slug")
    behind_schedule = filters.BooleanFilter(
        method="filter_behind_schedule",
        help_text="A milestone is past its due date and its latest progress is under 100 %.",
    )

    class Meta:
        model = Commitment
        fields = [
            "plan",
            "exercise",
            "theme",
            "pillar",
            "completion",
            "implementer",
            "partner",
            "behind_schedule",
        ]

    def filter_behind_schedule(
        self, queryset: QuerySet[Commitment], name: str, value: bool | None
    ) -> QuerySet[Commitment]:
        if value is None:
            return queryset
        behind = Commitment.objects.behind_schedule().values("pk")
        return queryset.filter(pk__in=behind) if value else queryset.exclude(pk__in=behind)


class MilestoneFilter(filters.FilterSet):
    commitment = IdFilter(field_name="commitment")
    plan = IdFilter(field_name="commitment__plan")

    class Meta:
        model = Milestone
        fields = ["commitment", "plan", "status"]


class ProgressUpdateFilter(filters.FilterSet):
    milestone = IdFilter(field_name="milestone")
    commitment = IdFilter(field_name="milestone__commitment")
    plan = IdFilter(field_name="milestone__commitment__plan")
    reporter = IdFilter(field_name="reported_by", help_text="Id of the reporter.")
    since = filters.DateFilter(
        field_name="reported_at", lookup_expr="date__gte", help_text="Reported on or after."
    )
    current = filters.BooleanFilter(
        field_name="corrections",
        lookup_expr="isnull",
        distinct=True,
        help_text="Not corrected by a later one.",
    )

    class Meta:
        model = ProgressUpdate
        fields = ["commitment", "milestone", "plan", "reporter", "since", "current"]


class VerificationFilter(filters.FilterSet):
    update = IdFilter(field_name="update", help_text="Id of the progress update.")
    commitment = IdFilter(field_name="update__milestone__commitment")
    milestone = IdFilter(field_name="update__milestone")
    verifier = IdFilter(field_name="verifier", help_text="Id of the verifier.")

    class Meta:
        model = Verification
        fields = ["update", "commitment", "milestone", "verdict", "verifier"]


class CommitteeFilter(filters.FilterSet):
    commitment = IdFilter(field_name="commitment")
    plan = IdFilter(field_name="commitment__plan")

    class Meta:
        model = Committee
        fields = ["commitment", "plan"]


class MeetingFilter(filters.FilterSet):
    committee = IdFilter(field_name="committee")
    exercise = filters.CharFilter(field_name="exercise__slug")
    year = YearFilter(field_name="held_on", lookup_expr="year")
    since = filters.DateFilter(field_name="held_on", lookup_expr="gte")

    class Meta:
        model = Meeting
        fields = ["exercise", "kind", "committee", "year", "since"]
