"""REST serializers of plans: output for everyone, input for the two testimony writes.

Progress figures come from `abierto.plans.progress`; the viewsets compute them once per page
and hand them over in the serializer context («progress», keyed by object id).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from abierto.core.serializers import DocumentSerializer, PublicPersonSerializer
from abierto.plans.models import (
    ActionPlan,
    Commitment,
    Committee,
    CommitteeMember,
    Meeting,
    Milestone,
    Pillar,
    ProgressUpdate,
    Theme,
    Verification,
)

PERCENT = serializers.DecimalField(
    max_digits=4, decimal_places=1, coerce_to_string=False, allow_null=True
)


class ThemeSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:theme-detail", lookup_field="slug")

    class Meta:
        model = Theme
        fields = ["id", "url", "slug", "name"]


class PillarSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:pillar-detail", lookup_field="code")

    class Meta:
        model = Pillar
        fields = ["id", "url", "code", "name", "description", "position"]


class ActionPlanSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:actionplan-detail")
    exercise = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    period = serializers.CharField(read_only=True)
    progress_percent = serializers.SerializerMethodField(
        help_text="Weighted progress of its commitments whose progress is known (0-100)."
    )
    commitment_count = serializers.SerializerMethodField()
    commitments_behind_schedule = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta:
        model = ActionPlan
        fields = [
            "id",
            "url",
            "exercise",
            "title",
            "slug",
            "cycle",
            "start_year",
            "end_year",
            "period",
            "status",
            "description",
            "presented_on",
            "presented_on_precision",
            "presentation_place",
            "presentation_attendance",
            "presentation_summary",
            "implementation_started_on",
            "implementation_started_on_precision",
            "source",
            "progress_percent",
            "commitment_count",
            "commitments_behind_schedule",
            "documents",
        ]

    def _progress(self, plan: ActionPlan) -> dict:
        return self.context["progress"][plan.pk]

    @extend_schema_field(PERCENT)
    def get_progress_percent(self, plan: ActionPlan) -> Decimal | None:
        return self._progress(plan)["percent"]

    def get_commitment_count(self, plan: ActionPlan) -> int:
        return self._progress(plan)["commitments"]

    def get_commitments_behind_schedule(self, plan: ActionPlan) -> int:
        return self._progress(plan)["behind_schedule"]


class CommitmentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:commitment-detail")
    exercise = serializers.CharField(source="plan.exercise.slug", read_only=True)
    theme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    pillars = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    lead_implementers = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    partners = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    committee = serializers.SerializerMethodField()
    progress_percent = serializers.SerializerMethodField(
        help_text="Weighted mean of its milestones' latest percent; null when unknown."
    )
    behind_schedule = serializers.SerializerMethodField(
        help_text="A milestone is past its due date and under 100 %."
    )
    milestone_count = serializers.SerializerMethodField()
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "url",
            "plan",
            "exercise",
            "number",
            "title",
            "slug",
            "problem",
            "objective",
            "theme",
            "pillars",
            "lead_implementers",
            "partners",
            "completion",
            "completion_note",
            "start_on",
            "end_on",
            "source",
            "committee",
            "progress_percent",
            "behind_schedule",
            "milestone_count",
            "documents",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_committee(self, commitment: Commitment) -> int | None:
        committee = getattr(commitment, "committee", None)
        return committee.pk if committee is not None else None

    @extend_schema_field(PERCENT)
    def get_progress_percent(self, commitment: Commitment) -> Decimal | None:
        return self.context["progress"][commitment.pk].percent

    def get_behind_schedule(self, commitment: Commitment) -> bool:
        return self.context["progress"][commitment.pk].behind_schedule

    def get_milestone_count(self, commitment: Commitment) -> int:
        return self.context["progress"][commitment.pk].milestones


class MilestoneSerializer(serializers.ModelSerializer):
    """A milestone with its latest reported percent (annotated `percent`)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:milestone-detail")
    plan = serializers.IntegerField(source="commitment.plan_id", read_only=True)
    percent = serializers.IntegerField(
        read_only=True, help_text="Latest reported percent (0 when none)."
    )
    overdue = serializers.SerializerMethodField(help_text="Past its due date and under 100 %.")

    class Meta:
        model = Milestone
        fields = [
            "id",
            "url",
            "plan",
            "commitment",
            "position",
            "description",
            "weight",
            "start_on",
            "due_on",
            "status",
            "percent",
            "overdue",
        ]

    def get_overdue(self, milestone: Milestone) -> bool:
        today: dt.date = self.context.get("today") or timezone.localdate()
        return (
            milestone.status != Milestone.Status.CANCELLED
            and milestone.due_on < today
            and milestone.percent < 100
        )


class VerificationSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:verification-detail")
    verifier = PublicPersonSerializer(read_only=True)

    class Meta:
        model = Verification
        fields = ["id", "url", "update", "verdict", "comment", "verifier", "created_at"]


class UpdateVerificationSerializer(serializers.ModelSerializer):
    """A verification inside its progress update."""

    verifier = PublicPersonSerializer(read_only=True)

    class Meta:
        model = Verification
        fields = ["id", "verdict", "comment", "verifier", "created_at"]


class ProgressUpdateSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:progressupdate-detail")
    commitment = serializers.IntegerField(source="milestone.commitment_id", read_only=True)
    reported_by = PublicPersonSerializer(read_only=True)
    corrected_by = serializers.PrimaryKeyRelatedField(
        source="corrections",
        many=True,
        read_only=True,
        help_text="Later updates that correct this one (it is superseded when not empty).",
    )
    evidence = DocumentSerializer(source="documents", many=True, read_only=True)
    verifications = UpdateVerificationSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "url",
            "commitment",
            "milestone",
            "percent",
            "narrative",
            "reported_by",
            "reported_at",
            "corrects",
            "corrected_by",
            "evidence",
            "verifications",
        ]


class ProgressUpdateInputSerializer(serializers.Serializer):
    """What an implementer sends to report progress (JSON, or multipart with files)."""

    milestone = serializers.PrimaryKeyRelatedField(
        queryset=Milestone.objects.filter(commitment__in=Commitment.objects.public())
    )
    percent = serializers.IntegerField(min_value=0, max_value=100)
    narrative = serializers.CharField()
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="Evidence files (multipart only).",
    )
    evidence_links = serializers.ListField(
        child=serializers.URLField(max_length=500), required=False, default=list
    )
    corrects = serializers.PrimaryKeyRelatedField(
        queryset=ProgressUpdate.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of an earlier update of the same milestone that this one corrects.",
    )


class VerificationInputSerializer(serializers.Serializer):
    """What a civil-society committee member sends to confirm or dispute an update."""

    update = serializers.PrimaryKeyRelatedField(
        queryset=ProgressUpdate.objects.filter(
            milestone__commitment__in=Commitment.objects.public()
        )
    )
    verdict = serializers.ChoiceField(choices=Verification.Verdict.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required when disputed."
    )


class CommitteeMemberSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = CommitteeMember
        fields = ["id", "role", "name", "organization"]

    def get_name(self, member: CommitteeMember) -> str:
        if member.person_name:
            return member.person_name
        return member.user.public_name if member.user is not None else ""


class CommitteeSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:committee-detail")
    plan = serializers.IntegerField(source="commitment.plan_id", read_only=True)
    title = serializers.CharField(source="__str__", read_only=True)
    members = CommitteeMemberSerializer(many=True, read_only=True)

    class Meta:
        model = Committee
        fields = ["id", "url", "plan", "commitment", "name", "title", "members"]


class MeetingSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:meeting-detail")
    exercise = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "url",
            "exercise",
            "kind",
            "committee",
            "held_on",
            "held_on_precision",
            "place",
            "attendees",
            "attendee_count",
            "minutes",
            "documents",
        ]
