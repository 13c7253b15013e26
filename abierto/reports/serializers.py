"""The national view as JSON: the same figures, stages and sources as the national page."""

from __future__ import annotations

from rest_framework import serializers

from abierto.reports.models import Stage


class NationalFigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="exercises, stl_installed, plans_published, …")
    label = serializers.CharField()
    value = serializers.IntegerField()
    at_least = serializers.BooleanField(help_text="True when the source says «más de» value.")
    value_text = serializers.CharField()
    reported = serializers.IntegerField(
        allow_null=True, help_text="The total a source reported, when there is one."
    )
    detailed = serializers.IntegerField(
        help_text="Records on this platform included in the value (detalle disponible)."
    )
    added = serializers.IntegerField(help_text="Records dated after the reported total, added.")
    states = serializers.IntegerField(
        allow_null=True, help_text="For plans: how many states have a published plan."
    )
    as_of = serializers.CharField(
        help_text="The date of the reported figure, as the source gives it."
    )
    sources = serializers.ListField(child=serializers.CharField())


class StateStageSerializer(serializers.Serializer):
    inegi_code = serializers.CharField(source="code")
    name = serializers.CharField(source="jurisdiction.name")
    slug = serializers.CharField(source="jurisdiction.slug")
    stage = serializers.ChoiceField(choices=[("none", "none"), *Stage.choices])
    stage_label = serializers.CharField()
    has_exercise = serializers.BooleanField()
    stl_installed = serializers.BooleanField()
    plan_published = serializers.BooleanField()
    second_cycle_pending = serializers.BooleanField()
    exercise = serializers.SerializerMethodField()
    plans = serializers.IntegerField(help_text="Public plans recorded on this platform.")
    commitments = serializers.IntegerField(help_text="Their commitments.")
    sources = serializers.ListField(child=serializers.CharField(), source="source_list")

    def get_exercise(self, row) -> str | None:
        return row.exercise.slug if row.exercise else None


class ThemeCountSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class NationalOverviewSerializer(serializers.Serializer):
    figures = NationalFigureSerializer(many=True)
    states = StateStageSerializer(many=True)
    missing_states = serializers.SerializerMethodField()
    commitments_by_theme = ThemeCountSerializer(many=True, source="themes")
    reported_agendas = serializers.SerializerMethodField()
    reported_agendas_source = serializers.CharField(source="agendas_source")

    def get_missing_states(self, overview) -> list[str]:
        return [row.jurisdiction.name for row in overview.missing]

    def get_reported_agendas(self, overview) -> list[str]:
        return [agenda.name for agenda in overview.agendas]
