"""REST serializers of co-creation and events. Citizens appear by public name only."""

from __future__ import annotations

from rest_framework import serializers

from abierto.core.models import Exercise
from abierto.core.serializers import DocumentSerializer, PublicPersonSerializer
from abierto.participation.models import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    TITLE_MAX,
    Comment,
    Event,
    Lab,
    Problem,
    Proposal,
    Site,
    Solution,
    Topic,
    Workshop,
)
from abierto.plans.models import Commitment

SLUG = {"slug_field": "slug", "read_only": True}
OPTIONAL_SLUG = {**SLUG, "allow_null": True}


class TopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "slug", "name"]


class LabSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:lab-detail")
    exercise = serializers.SlugRelatedField(**SLUG)
    organizer = serializers.SlugRelatedField(**SLUG)
    approved_at = serializers.StringRelatedField()
    sites = serializers.SlugRelatedField(many=True, **SLUG)

    class Meta:
        model = Lab
        fields = [
            "id",
            "url",
            "exercise",
            "slug",
            "name",
            "acronym",
            "description",
            "organizer",
            "approved_at",
            "funding",
            "started_on",
            "started_on_precision",
            "ended_on",
            "ended_on_precision",
            "sites",
            "source",
        ]


class SiteSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:site-detail")
    lab = serializers.SlugRelatedField(**SLUG)
    municipality = serializers.SlugRelatedField(**SLUG)
    topics = TopicSerializer(many=True, read_only=True)

    class Meta:
        model = Site
        fields = [
            "id",
            "url",
            "lab",
            "slug",
            "municipality",
            "position",
            "visited_on",
            "visited_on_precision",
            "workshops_reported",
            "topics",
            "main_concern",
            "summary",
            "source",
        ]


class WorkshopSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:workshop-detail")
    site = serializers.PrimaryKeyRelatedField(read_only=True)
    topics = TopicSerializer(many=True, read_only=True)

    class Meta:
        model = Workshop
        fields = [
            "id",
            "url",
            "site",
            "title",
            "held_on",
            "held_on_precision",
            "place",
            "participants",
            "topics",
            "source",
        ]


class ProblemSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:problem-detail")
    site = serializers.PrimaryKeyRelatedField(read_only=True)
    topic = TopicSerializer(read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "url", "site", "workshop", "topic", "description", "source"]


class ProposalSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:proposal-detail")
    exercise = serializers.SlugRelatedField(**SLUG)
    site = serializers.PrimaryKeyRelatedField(read_only=True)
    topic = TopicSerializer(read_only=True)
    author = PublicPersonSerializer(read_only=True, allow_null=True)
    support_count = serializers.IntegerField(read_only=True)
    comment_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id",
            "url",
            "exercise",
            "origin",
            "site",
            "workshop",
            "label",
            "title",
            "description",
            "problem",
            "topic",
            "author",
            "status",
            "status_reason",
            "commitment",
            "support_count",
            "comment_count",
            "source",
            "created_at",
        ]


class CommentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:comment-detail")
    author = PublicPersonSerializer(read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "url", "proposal", "author", "body", "created_at"]


class SolutionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:solution-detail")
    lab = serializers.SlugRelatedField(**SLUG)
    municipality = serializers.SlugRelatedField(**SLUG)
    link = serializers.URLField(source="url", read_only=True, help_text="Repository or link.")

    class Meta:
        model = Solution
        fields = [
            "id",
            "url",
            "lab",
            "title",
            "team",
            "description",
            "link",
            "municipality",
            "delivery_status",
            "delivered_on",
            "source",
        ]


class EventSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:event-detail")
    exercise = serializers.SlugRelatedField(**SLUG)
    organizer = serializers.SlugRelatedField(**OPTIONAL_SLUG)
    lab = serializers.SlugRelatedField(**OPTIONAL_SLUG)
    plan = serializers.SlugRelatedField(**OPTIONAL_SLUG)
    part_of = serializers.SlugRelatedField(**OPTIONAL_SLUG)
    commitment = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    documents = DocumentSerializer(many=True, read_only=True)

    class Meta:
        model = Event
        fields = [
            "id",
            "url",
            "exercise",
            "kind",
            "title",
            "slug",
            "held_on",
            "held_on_precision",
            "place",
            "organizer",
            "organizer_name",
            "speakers",
            "participants",
            "participants_at_least",
            "visitors",
            "description",
            "part_of",
            "plan",
            "lab",
            "commitment",
            "documents",
            "source",
        ]


# ---------------------------------------------------------------------------------- writes
# What citizens and STL staff send. The services decide access and write; these only parse.


class ProposalInputSerializer(serializers.Serializer):
    """A registered citizen's proposal."""

    exercise = serializers.SlugRelatedField(
        slug_field="slug", queryset=Exercise.objects.all(), help_text="Slug of the exercise."
    )
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(max_length=DESCRIPTION_MAX)
    problem = serializers.PrimaryKeyRelatedField(
        queryset=Problem.objects.select_related("site__lab"),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the problem the proposal addresses (of the same exercise).",
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.select_related("lab"),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the lab site (municipality) the proposal is about.",
    )


class SupportSerializer(serializers.Serializer):
    """A support as its author sees it: which proposal, since when, how many support it."""

    proposal = serializers.IntegerField(source="proposal_id", read_only=True)
    supported = serializers.BooleanField(read_only=True, default=True)
    created = serializers.BooleanField(
        read_only=True, help_text="False when the person had already supported it."
    )
    support_count = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class CommentInputSerializer(serializers.Serializer):
    """A citizen's comment on a proposal."""

    proposal = serializers.PrimaryKeyRelatedField(queryset=Proposal.objects.all())
    body = serializers.CharField(max_length=COMMENT_MAX)


class StatusInputSerializer(serializers.Serializer):
    """STL staff's decision on a proposal."""

    status = serializers.ChoiceField(choices=Proposal.Status.choices)
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Public reason; required when rejected.",
    )
    commitment = serializers.PrimaryKeyRelatedField(
        queryset=Commitment.objects.select_related("plan"),
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of the commitment the proposal became; required for «commitment».",
    )


class HideInputSerializer(serializers.Serializer):
    """STL staff hide a proposal or a comment, with a public reason."""

    reason = serializers.CharField(max_length=1000, help_text="Shown instead of the content.")


class ModerationSerializer(serializers.Serializer):
    """What the public sees of a hidden proposal or comment: that it was hidden, and why."""

    id = serializers.IntegerField(read_only=True)
    hidden = serializers.BooleanField(read_only=True)
    hidden_reason = serializers.CharField(read_only=True)
    hidden_at = serializers.DateTimeField(read_only=True)


class RateLimitedSerializer(serializers.Serializer):
    detail = serializers.CharField(read_only=True, help_text="When to try again.")
