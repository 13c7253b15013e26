"""REST endpoints of co-creation and events: public reads, paginated, filterable, no personal
data; signed-in citizens propose, support and comment, STL staff decide and moderate. Every
write goes through participation/services.py, which decides access (rules.py) and audits.

Hidden proposals and comments are left out of the reads; their public reasons are on the pages.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from abierto.core.api import service_errors
from abierto.core.models import Document
from abierto.participation import filters, serializers, services, throttle
from abierto.participation import rules as participation_rules
from abierto.participation.models import (
    Comment,
    Event,
    Lab,
    Problem,
    Proposal,
    Site,
    Solution,
    Workshop,
)


class LabViewSet(viewsets.ReadOnlyModelViewSet):
    """Co-creation labs (e.g. the itinerant lab LIIGA) with their sites."""

    queryset = (
        Lab.objects.select_related("exercise", "organizer", "approved_at")
        .prefetch_related(Prefetch("sites", queryset=Site.objects.order_by("position")))
        .order_by("id")
    )
    serializer_class = serializers.LabSerializer
    filterset_fields = {"exercise__slug": ["exact"], "slug": ["exact"]}
    ordering_fields = ["name", "started_on"]


class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    """Municipalities a lab visited, with the themes their communities discussed."""

    queryset = (
        Site.objects.select_related("lab", "municipality").prefetch_related("topics").order_by("id")
    )
    serializer_class = serializers.SiteSerializer
    filterset_fields = {"lab__slug": ["exact"], "slug": ["exact"], "topics__slug": ["exact"]}
    ordering_fields = ["position", "slug"]


class WorkshopViewSet(viewsets.ReadOnlyModelViewSet):
    """Workshops held at a lab's sites."""

    queryset = Workshop.objects.prefetch_related("topics").order_by("id")
    serializer_class = serializers.WorkshopSerializer
    filterset_fields = {"site": ["exact"], "site__lab__slug": ["exact"]}
    ordering_fields = ["held_on"]


class ProblemViewSet(viewsets.ReadOnlyModelViewSet):
    """Problems communities raised, by theme."""

    queryset = Problem.objects.select_related("topic").order_by("id")
    serializer_class = serializers.ProblemSerializer
    filterset_fields = {"site": ["exact"], "site__lab__slug": ["exact"], "topic__slug": ["exact"]}


def _annotated_proposals() -> QuerySet[Proposal]:
    return (
        Proposal.objects.select_related("exercise", "topic", "author")
        .annotate(
            support_count=Count("supports", distinct=True),
            comment_count=Count("comments", filter=Q(comments__hidden=False), distinct=True),
        )
        .order_by("id")
    )


def _require_moderator(request: Request) -> None:
    # Refuse before reading the input, so a citizen learns nothing from validation errors.
    if not participation_rules.can_moderate(request.user):
        raise exceptions.PermissionDenied(_("Solo el personal del STL modera la participación."))


def _moderated(obj: Proposal | Comment) -> Response:
    return Response(serializers.ModerationSerializer(obj).data)


class ProposalViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Proposals (from workshops and citizens) with their support counts; hidden ones left out.
    Signed-in citizens propose and support; STL staff decide the status and hide."""

    queryset = _annotated_proposals().filter(hidden=False)
    serializer_class = serializers.ProposalSerializer
    filterset_class = filters.ProposalFilter
    ordering_fields = ["created_at", "support_count"]
    input_serializers = {
        "create": serializers.ProposalInputSerializer,
        "support": None,
        "set_status": serializers.StatusInputSerializer,
        "hide": serializers.HideInputSerializer,
    }

    def get_queryset(self) -> QuerySet[Proposal]:
        # Staff may still decide on, or re-word the reason of, a proposal already hidden.
        if self.action in ("set_status", "hide"):
            return _annotated_proposals()
        return super().get_queryset()

    def get_serializer_class(self):
        # The browsable API's form shows what is sent, not what is answered.
        if self.action in self.input_serializers:
            return self.input_serializers[self.action] or serializers.SupportSerializer
        return self.serializer_class

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        proposal = _annotated_proposals().get(pk=pk)
        data = serializers.ProposalSerializer(proposal, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(
        request=serializers.ProposalInputSerializer,
        responses={201: serializers.ProposalSerializer},
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        given = serializers.ProposalInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with service_errors():
            proposal = services.proposal_submit(author=request.user, **given.validated_data)
        return self._answer(proposal.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            201: OpenApiResponse(serializers.SupportSerializer, description="Support recorded."),
            200: OpenApiResponse(
                serializers.SupportSerializer,
                description="Already supported: the existing support, nothing new is written.",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def support(self, request: Request, pk=None) -> Response:
        """Support a proposal, once per person: a repeat answers the existing support (200)."""
        proposal = self.get_object()
        with service_errors():
            support, created = services.proposal_support(proposal=proposal, user=request.user)
        support.created = created
        support.support_count = proposal.supports.count()
        return Response(
            serializers.SupportSerializer(support).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=serializers.StatusInputSerializer,
        responses={200: serializers.ProposalSerializer},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk=None) -> Response:
        """STL staff decide: a rejection needs a public reason, a commitment its id."""
        _require_moderator(request)
        proposal = self.get_object()
        given = serializers.StatusInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with service_errors():
            services.proposal_set_status(proposal=proposal, by=request.user, **given.validated_data)
        return self._answer(proposal.pk)

    @extend_schema(
        request=serializers.HideInputSerializer,
        responses={200: serializers.ModerationSerializer},
    )
    @action(detail=True, methods=["post"])
    def hide(self, request: Request, pk=None) -> Response:
        """STL staff hide a proposal with a public reason; it is never deleted."""
        _require_moderator(request)
        proposal = self.get_object()
        given = serializers.HideInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with service_errors():
            services.proposal_hide(
                proposal=proposal, by=request.user, reason=given.validated_data["reason"]
            )
        return _moderated(proposal)


class CommentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Visible comments on proposals (authors by public name). Signed-in citizens comment
    (rate limited as on the web); STL staff hide."""

    queryset = (
        Comment.objects.visible()
        .filter(proposal__hidden=False)
        .select_related("author")
        .order_by("id")
    )
    serializer_class = serializers.CommentSerializer
    filterset_fields = ["proposal"]
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[Comment]:
        if self.action == "hide":
            return Comment.objects.select_related("author").order_by("id")
        return super().get_queryset()

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.CommentInputSerializer
        if self.action == "hide":
            return serializers.HideInputSerializer
        return self.serializer_class

    @extend_schema(
        request=serializers.CommentInputSerializer,
        responses={
            201: serializers.CommentSerializer,
            429: OpenApiResponse(
                serializers.RateLimitedSerializer,
                description="Too many comments in a short time; see the Retry-After header.",
            ),
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        given = serializers.CommentInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            with service_errors():
                comment = services.comment_post(author=request.user, **given.validated_data)
        except throttle.RateLimited as limited:
            raise exceptions.Throttled(wait=limited.retry_after, detail=limited.message) from None
        answer = serializers.CommentSerializer(comment, context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.HideInputSerializer,
        responses={200: serializers.ModerationSerializer},
    )
    @action(detail=True, methods=["post"])
    def hide(self, request: Request, pk=None) -> Response:
        """STL staff hide a comment with a public reason; it is never deleted."""
        _require_moderator(request)
        comment = self.get_object()
        given = serializers.HideInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with service_errors():
            services.comment_hide(
                comment=comment, by=request.user, reason=given.validated_data["reason"]
            )
        return _moderated(comment)


class SolutionViewSet(viewsets.ReadOnlyModelViewSet):
    """Hackathon solutions and the municipality each is delivered to."""

    queryset = Solution.objects.select_related("lab", "municipality").order_by("id")
    serializer_class = serializers.SolutionSerializer
    filterset_fields = {
        "lab__slug": ["exact"],
        "municipality__slug": ["exact"],
        "delivery_status": ["exact"],
    }


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Outreach events with attendance (participants, «at least» flag, visitors)."""

    queryset = (
        Event.objects.select_related("exercise", "organizer", "lab", "plan", "part_of")
        .prefetch_related(
            Prefetch("documents", queryset=Document.objects.select_related("content_type"))
        )
        .order_by("held_on", "id")
    )
    serializer_class = serializers.EventSerializer
    filterset_class = filters.EventFilter
    ordering_fields = ["held_on", "participants", "visitors"]
