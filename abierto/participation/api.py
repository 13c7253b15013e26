"""REST endpoints of co-creation and events: read-only, paginated, filterable, no personal data.

Hidden proposals and comments are left out of the API; their public reasons are on the pages.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from rest_framework import viewsets

from abierto.core.models import Document
from abierto.participation import filters, serializers
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


class ProposalViewSet(viewsets.ReadOnlyModelViewSet):
    """Proposals (from workshops and citizens) with their support counts; hidden ones left out."""

    queryset = (
        Proposal.objects.visible()
        .select_related("exercise", "topic", "author")
        .annotate(
            support_count=Count("supports", distinct=True),
            comment_count=Count("comments", filter=Q(comments__hidden=False), distinct=True),
        )
        .order_by("id")
    )
    serializer_class = serializers.ProposalSerializer
    filterset_class = filters.ProposalFilter
    ordering_fields = ["created_at", "support_count"]


class CommentViewSet(viewsets.ReadOnlyModelViewSet):
    """Visible comments on proposals (authors by public name)."""

    queryset = (
        Comment.objects.visible()
        .filter(proposal__hidden=False)
        .select_related("author")
        .order_by("id")
    )
    serializer_class = serializers.CommentSerializer
    filterset_fields = ["proposal"]
    ordering_fields = ["created_at"]


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
