"""REST endpoints of plans: read-only for everyone; progress updates and verifications are
written by their roles through the services, and never edited afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from abierto.core.api import service_errors
from abierto.core.models import Document
from abierto.plans import api_filters, serializers, services
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
from abierto.plans.progress import commitments_progress, plan_percent

DRAFT = ActionPlan.Status.DRAFT


def _documents() -> Prefetch:
    return Prefetch("documents", queryset=Document.objects.select_related("content_type"))


class ProgressContextMixin:
    """Compute the progress of the objects being serialized (a page or one) in one go."""

    def progress_for(self, objects: Sequence[Any]) -> dict[int, Any]:
        raise NotImplementedError

    def get_serializer(self, *args, **kwargs):
        instance = args[0] if args else kwargs.get("instance")
        if instance is not None:
            objects = list(instance) if kwargs.get("many") else [instance]
            kwargs.setdefault("context", self.get_serializer_context())
            kwargs["context"]["progress"] = self.progress_for(objects)
        return super().get_serializer(*args, **kwargs)


class ThemeViewSet(viewsets.ReadOnlyModelViewSet):
    """Agenda themes of the commitments."""

    queryset = Theme.objects.all()
    serializer_class = serializers.ThemeSerializer
    lookup_field = "slug"
    filterset_fields = ["slug"]
    ordering_fields = ["name", "slug"]


class PillarViewSet(viewsets.ReadOnlyModelViewSet):
    """The four pillars of Open Government."""

    queryset = Pillar.objects.all()
    serializer_class = serializers.PillarSerializer
    lookup_field = "code"
    filterset_fields = ["code"]
    ordering_fields = ["position", "name", "code"]


class ActionPlanViewSet(ProgressContextMixin, viewsets.ReadOnlyModelViewSet):
    """Local Action Plans (drafts are not public) with their weighted progress."""

    queryset = (
        ActionPlan.objects.public()
        .select_related("exercise")
        .prefetch_related(
            Prefetch("commitments", queryset=Commitment.objects.only("id", "plan", "completion")),
            _documents(),
        )
    )
    serializer_class = serializers.ActionPlanSerializer
    filterset_class = api_filters.ActionPlanFilter
    ordering_fields = ["start_year", "end_year", "cycle", "title", "status", "id"]

    def progress_for(self, plans: Sequence[ActionPlan]) -> dict[int, dict]:
        progress = commitments_progress([c for plan in plans for c in plan.commitments.all()])
        result = {}
        for plan in plans:
            of_plan = [progress[c.pk] for c in plan.commitments.all()]
            result[plan.pk] = {
                "percent": plan_percent(of_plan),
                "commitments": len(of_plan),
                "behind_schedule": sum(p.behind_schedule for p in of_plan),
            }
        return result


class CommitmentViewSet(ProgressContextMixin, viewsets.ReadOnlyModelViewSet):
    """Commitments of public plans, each with its progress and whether it is behind schedule."""

    queryset = (
        Commitment.objects.public()
        .select_related("plan__exercise", "theme", "committee")
        .prefetch_related("pillars", "lead_implementers", "partners", _documents())
    )
    serializer_class = serializers.CommitmentSerializer
    filterset_class = api_filters.CommitmentFilter
    ordering_fields = ["number", "title", "completion", "start_on", "end_on", "plan", "id"]

    def progress_for(self, commitments: Sequence[Commitment]) -> dict[int, Any]:
        return commitments_progress(commitments)


class MilestoneViewSet(viewsets.ReadOnlyModelViewSet):
    """Milestones of public commitments with their latest reported percent."""

    queryset = (
        Milestone.objects.exclude(commitment__plan__status=DRAFT)
        .select_related("commitment")
        .with_progress()
    )
    serializer_class = serializers.MilestoneSerializer
    filterset_class = api_filters.MilestoneFilter
    ordering_fields = ["position", "due_on", "start_on", "weight", "percent", "status", "id"]


def _progress_updates() -> QuerySet[ProgressUpdate]:
    return (
        ProgressUpdate.objects.exclude(milestone__commitment__plan__status=DRAFT)
        .select_related("milestone", "reported_by")
        .prefetch_related(
            _documents(),
            Prefetch("verifications", queryset=Verification.objects.select_related("verifier")),
            Prefetch("corrections", queryset=ProgressUpdate.objects.only("id", "corrects")),
        )
    )


class ProgressUpdateViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The public progress timeline. Implementers of the commitment's institution report;
    an update is never edited: a correction is a new update that `corrects` the earlier one."""

    filterset_class = api_filters.ProgressUpdateFilter
    ordering_fields = ["reported_at", "percent", "id"]
    ordering = ["-reported_at", "-id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[ProgressUpdate]:
        return _progress_updates()

    def get_serializer_class(self):
        # The browsable API's form for a POST shows what is sent, not what is answered.
        if self.request is not None and self.request.method == "POST":
            return serializers.ProgressUpdateInputSerializer
        return serializers.ProgressUpdateSerializer

    @extend_schema(
        request={
            "application/json": serializers.ProgressUpdateInputSerializer,
            "multipart/form-data": serializers.ProgressUpdateInputSerializer,
        },
        responses={201: serializers.ProgressUpdateSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        given = serializers.ProgressUpdateInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        with service_errors():
            update = services.progress_update_report(
                milestone=data["milestone"],
                reported_by=request.user,
                percent=data["percent"],
                narrative=data["narrative"],
                evidence_files=data["evidence"],
                evidence_links=data["evidence_links"],
                corrects=data["corrects"],
            )
        created = self.get_queryset().get(pk=update.pk)
        answer = serializers.ProgressUpdateSerializer(
            created, context=self.get_serializer_context()
        )
        return Response(answer.data, status=status.HTTP_201_CREATED)


class VerificationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Civil society's confirmations and disputes of progress updates; never edited."""

    queryset = Verification.objects.exclude(
        update__milestone__commitment__plan__status=DRAFT
    ).select_related("verifier")
    filterset_class = api_filters.VerificationFilter
    ordering_fields = ["created_at", "verdict", "id"]

    def get_serializer_class(self):
        if self.request is not None and self.request.method == "POST":
            return serializers.VerificationInputSerializer
        return serializers.VerificationSerializer

    @extend_schema(
        request=serializers.VerificationInputSerializer,
        responses={201: serializers.VerificationSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        given = serializers.VerificationInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        with service_errors():
            verification = services.verification_record(
                update=data["update"],
                verifier=request.user,
                verdict=data["verdict"],
                comment=data["comment"],
            )
        created = self.get_queryset().get(pk=verification.pk)
        answer = serializers.VerificationSerializer(created, context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)


class CommitteeViewSet(viewsets.ReadOnlyModelViewSet):
    """Accompaniment committees of public commitments, with their members."""

    queryset = (
        Committee.objects.exclude(commitment__plan__status=DRAFT)
        .select_related("commitment")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=CommitteeMember.objects.select_related("user", "organization"),
            )
        )
    )
    serializer_class = serializers.CommitteeSerializer
    filterset_class = api_filters.CommitteeFilter
    ordering_fields = ["commitment", "id"]
    ordering = ["id"]


class MeetingViewSet(viewsets.ReadOnlyModelViewSet):
    """Committee and liaison meetings with their minutes and documents."""

    queryset = (
        Meeting.objects.exclude(committee__commitment__plan__status=DRAFT)
        .select_related("exercise")
        .prefetch_related(_documents())
    )
    serializer_class = serializers.MeetingSerializer
    filterset_class = api_filters.MeetingFilter
    ordering_fields = ["held_on", "attendee_count", "id"]
