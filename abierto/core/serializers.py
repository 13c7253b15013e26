"""REST serializers of shared content. People appear only by their public name, never by
e-mail, phone or username."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from abierto.core.models import Document, Exercise, Jurisdiction, Organization, ReportedFigure


class PublicPersonSerializer(serializers.Serializer):
    """A person as the public sees them: an id (to filter by) and the public name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="public_name", read_only=True)


class JurisdictionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:jurisdiction-detail", lookup_field="slug"
    )
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Jurisdiction
        fields = ["id", "url", "slug", "inegi_code", "name", "short_name", "kind", "parent"]


class OrganizationSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:organization-detail", lookup_field="slug"
    )
    jurisdiction = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Organization
        fields = ["id", "url", "slug", "name", "acronym", "sector", "jurisdiction", "website"]


class ExerciseSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:exercise-detail", lookup_field="slug")
    jurisdiction = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Exercise
        fields = [
            "id",
            "url",
            "slug",
            "name",
            "jurisdiction",
            "description",
            "started_on",
            "started_on_precision",
            "website",
        ]


class ReportedFigureSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:reportedfigure-detail")
    exercise = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ReportedFigure
        fields = [
            "id",
            "url",
            "exercise",
            "metric",
            "period_start",
            "period_end",
            "value",
            "source",
            "note",
        ]


class AttachedToSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="app_label.model, e.g. «plans.progressupdate».")
    id = serializers.IntegerField()


class DocumentSerializer(serializers.ModelSerializer):
    """A document or piece of evidence: where to get it and what it is attached to."""

    url = serializers.HyperlinkedIdentityField(view_name="api:document-detail")
    href = serializers.SerializerMethodField(help_text="The file's absolute URL, or the link.")
    attached_to = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "url",
            "kind",
            "title",
            "description",
            "href",
            "media_type",
            "size",
            "sha256",
            "published_on",
            "attached_to",
            "created_at",
        ]

    @extend_schema_field(serializers.URLField())
    def get_href(self, document: Document) -> str:
        if not document.file:
            return document.url
        request = self.context.get("request")
        url = document.file.url
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(AttachedToSerializer())
    def get_attached_to(self, document: Document) -> dict:
        content_type = document.content_type
        return {"type": f"{content_type.app_label}.{content_type.model}", "id": document.object_id}
