"""Read-only REST endpoints of shared content: places, organisations, exercises, documents."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import exceptions as django_exceptions
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django_filters import rest_framework as filters
from rest_framework import exceptions, viewsets
from rest_framework.settings import api_settings

from abierto.core import serializers
from abierto.core.filters import IdFilter
from abierto.core.models import Document, Exercise, Jurisdiction, Organization, ReportedFigure


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn a service's refusals into API answers: 403, or 400 with field -> [messages]."""
    try:
        yield
    except django_exceptions.PermissionDenied as error:
        raise exceptions.PermissionDenied(str(error) or None) from error
    except django_exceptions.ValidationError as error:
        if hasattr(error, "error_dict"):
            detail = {
                api_settings.NON_FIELD_ERRORS_KEY
                if field == django_exceptions.NON_FIELD_ERRORS
                else field: messages
                for field, messages in error.message_dict.items()
            }
        else:
            detail = {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
        raise exceptions.ValidationError(detail) from error


class JurisdictionFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent__slug", help_text="Slug of the state.")

    class Meta:
        model = Jurisdiction
        fields = ["kind", "parent", "inegi_code"]


class JurisdictionViewSet(viewsets.ReadOnlyModelViewSet):
    """States and municipalities with their INEGI codes."""

    queryset = Jurisdiction.objects.select_related("parent")
    serializer_class = serializers.JurisdictionSerializer
    lookup_field = "slug"
    filterset_class = JurisdictionFilter
    ordering_fields = ["inegi_code", "name", "slug"]


class OrganizationFilter(filters.FilterSet):
    jurisdiction = filters.CharFilter(field_name="jurisdiction__slug")

    class Meta:
        model = Organization
        fields = ["sector", "jurisdiction"]


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """Institutions, companies, universities and civil-society organisations."""

    queryset = Organization.objects.select_related("jurisdiction")
    serializer_class = serializers.OrganizationSerializer
    lookup_field = "slug"
    filterset_class = OrganizationFilter
    ordering_fields = ["name", "slug", "sector"]


class ExerciseFilter(filters.FilterSet):
    jurisdiction = filters.CharFilter(field_name="jurisdiction__slug")

    class Meta:
        model = Exercise
        fields = ["jurisdiction"]


class ExerciseViewSet(viewsets.ReadOnlyModelViewSet):
    """Local Open Government exercises."""

    queryset = Exercise.objects.select_related("jurisdiction")
    serializer_class = serializers.ExerciseSerializer
    lookup_field = "slug"
    filterset_class = ExerciseFilter
    ordering_fields = ["name", "slug", "started_on"]


class ReportedFigureFilter(filters.FilterSet):
    exercise = filters.CharFilter(field_name="exercise__slug")
    since = filters.DateFilter(field_name="period_end", lookup_expr="gte")

    class Meta:
        model = ReportedFigure
        fields = ["exercise", "metric", "since"]


class ReportedFigureViewSet(viewsets.ReadOnlyModelViewSet):
    """Totals reported by a source without their detail."""

    queryset = ReportedFigure.objects.select_related("exercise")
    serializer_class = serializers.ReportedFigureSerializer
    filterset_class = ReportedFigureFilter
    ordering_fields = ["period_start", "period_end", "metric", "value"]


# What documents may be attached to, as «app_label.model»; each is public unless it belongs
# to a draft plan, which the exclusions below hide.
PUBLIC_ATTACHMENT_TYPES = (
    ("secretariat", "session"),
    ("plans", "actionplan"),
    ("plans", "commitment"),
    ("plans", "progressupdate"),
    ("plans", "meeting"),
)
DRAFT = "draft"


def public_documents() -> QuerySet[Document]:
    """Documents attached to public content (never to a draft plan or anything in it)."""
    content_types = [
        ContentType.objects.get_by_natural_key(app_label, model)
        for app_label, model in PUBLIC_ATTACHMENT_TYPES
    ]
    return (
        Document.objects.filter(content_type__in=content_types)
        .exclude(plan__status=DRAFT)
        .exclude(commitment__plan__status=DRAFT)
        .exclude(progress_update__milestone__commitment__plan__status=DRAFT)
        .exclude(meeting__committee__commitment__plan__status=DRAFT)
        .select_related("content_type")
    )


class DocumentFilter(filters.FilterSet):
    type = filters.CharFilter(
        method="filter_type",
        help_text="What the document is attached to, as app_label.model (plans.commitment).",
    )
    object_id = IdFilter(help_text="Id of the object it is attached to.")
    since = filters.DateFilter(field_name="published_on", lookup_expr="gte")

    class Meta:
        model = Document
        fields = ["kind", "type", "object_id", "since"]

    def filter_type(self, queryset: QuerySet[Document], name: str, value: str):
        app_label, _, model = value.lower().partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)


class DocumentViewSet(viewsets.ReadOnlyModelViewSet):
    """Minutes, press notes, photos, reports and evidence: files or links."""

    serializer_class = serializers.DocumentSerializer
    filterset_class = DocumentFilter
    ordering_fields = ["published_on", "created_at", "title", "size"]

    def get_queryset(self) -> QuerySet[Document]:
        return public_documents()


@ensure_csrf_cookie
def docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI on the OpenAPI document, from our own static files (no CDN, no inline JS).

    The CSRF cookie lets «Try it out» send writes with a signed-in session.
    """
    return render(
        request,
        "api/docs.html",
        {
            "schema_url": reverse("api:schema"),
            "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
            "csrf_header_name": settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-"),
        },
    )
