"""Read-only REST endpoints of the Local Technical Secretariat (STL staff write via the admin)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django_filters import rest_framework as filters
from rest_framework import viewsets

from abierto.core.filters import IdFilter, YearFilter
from abierto.core.models import Document
from abierto.secretariat import serializers
from abierto.secretariat.models import Agreement, Liaison, Membership, Seat, Secretariat, Session


def _current_memberships() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.current().select_related("organization"),
        to_attr="current_memberships",
    )


class SecretariatFilter(filters.FilterSet):
    exercise = filters.CharFilter(field_name="exercise__slug")

    class Meta:
        model = Secretariat
        fields = ["exercise"]


class SecretariatViewSet(viewsets.ReadOnlyModelViewSet):
    """Local Technical Secretariats with their seats and who holds each now."""

    queryset = Secretariat.objects.select_related("exercise").prefetch_related(
        "invited_municipalities",
        Prefetch("seats", queryset=Seat.objects.prefetch_related(_current_memberships())),
    )
    serializer_class = serializers.SecretariatSerializer
    filterset_class = SecretariatFilter
    ordering_fields = ["name", "installed_on", "id"]
    ordering = ["id"]


class SeatFilter(filters.FilterSet):
    secretariat = IdFilter(field_name="secretariat")

    class Meta:
        model = Seat
        fields = ["secretariat", "sector", "is_chair"]


class SeatViewSet(viewsets.ReadOnlyModelViewSet):
    """Sectors' seats on the STL with their current titular and suplente."""

    queryset = Seat.objects.prefetch_related(_current_memberships())
    serializer_class = serializers.SeatSerializer
    filterset_class = SeatFilter
    ordering_fields = ["position", "name", "sector", "id"]


class MembershipFilter(filters.FilterSet):
    current = filters.BooleanFilter(method="filter_current", help_text="Only current (or ended).")
    seat = IdFilter(field_name="seat")
    sector = filters.CharFilter(field_name="seat__sector")
    secretariat = IdFilter(field_name="seat__secretariat")
    organization = filters.CharFilter(field_name="organization__slug")

    class Meta:
        model = Membership
        fields = ["current", "role", "seat", "sector", "secretariat", "organization", "end_reason"]

    def filter_current(self, queryset: QuerySet[Membership], name: str, value: bool | None):
        if value is None:
            return queryset
        current = Membership.objects.current().values("pk")
        return queryset.filter(pk__in=current) if value else queryset.exclude(pk__in=current)


class MembershipViewSet(viewsets.ReadOnlyModelViewSet):
    """Who held each seat, as titular or suplente, for which term: vacancies are history."""

    queryset = Membership.objects.select_related("seat", "organization")
    serializer_class = serializers.MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["start_on", "end_on", "role", "person_name", "id"]


class LiaisonFilter(filters.FilterSet):
    secretariat = IdFilter(field_name="secretariat")
    organization = filters.CharFilter(field_name="organization__slug")

    class Meta:
        model = Liaison
        fields = ["secretariat", "organization"]


class LiaisonViewSet(viewsets.ReadOnlyModelViewSet):
    """Institutions' working-level representatives (enlaces)."""

    queryset = Liaison.objects.select_related("organization")
    serializer_class = serializers.LiaisonSerializer
    filterset_class = LiaisonFilter
    ordering_fields = ["position", "person_name", "id"]


class SessionFilter(filters.FilterSet):
    secretariat = IdFilter(field_name="secretariat")
    year = YearFilter(field_name="held_on", lookup_expr="year")

    class Meta:
        model = Session
        fields = ["secretariat", "kind", "year"]


class SessionViewSet(viewsets.ReadOnlyModelViewSet):
    """STL sessions, each with its agreements and documents."""

    queryset = Session.objects.prefetch_related(
        "agreements",
        Prefetch("documents", queryset=Document.objects.select_related("content_type")),
    )
    serializer_class = serializers.SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["held_on", "number", "kind", "id"]


class AgreementFilter(filters.FilterSet):
    session = IdFilter(field_name="session")
    secretariat = IdFilter(field_name="session__secretariat")
    open = filters.BooleanFilter(method="filter_open", help_text="Not yet done or cancelled.")

    class Meta:
        model = Agreement
        fields = ["status", "session", "secretariat", "open"]

    def filter_open(self, queryset: QuerySet[Agreement], name: str, value: bool | None):
        if value is None:
            return queryset
        still_open = Agreement.objects.open().values("pk")
        return queryset.filter(pk__in=still_open) if value else queryset.exclude(pk__in=still_open)


class AgreementViewSet(viewsets.ReadOnlyModelViewSet):
    """Decisions taken at STL sessions and how they are followed up."""

    queryset = Agreement.objects.select_related("session")
    serializer_class = serializers.AgreementSerializer
    filterset_class = AgreementFilter
    ordering_fields = ["number", "due_on", "done_on", "status", "id"]
