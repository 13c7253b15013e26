"""Admin of co-creation and events for STL staff: every change audited (AuditedModelAdmin).

Citizens' proposals and comments are moderated, not deleted: they cannot be deleted here, and
hiding goes through the public pages' moderation (a public reason, who hid it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from abierto.core.admin import AuditedModelAdmin, DocumentInline, ReadOnlyModelAdmin
from abierto.participation.models import (
    Comment,
    Event,
    Lab,
    Problem,
    Proposal,
    Site,
    Solution,
    Support,
    Topic,
    Workshop,
)


@admin.register(Topic)
class TopicAdmin(AuditedModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ["municipality", "slug", "position", "visited_on", "workshops_reported"]


@admin.register(Lab)
class LabAdmin(AuditedModelAdmin):
    list_display = ["name", "acronym", "exercise", "organizer", "started_on"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["__str__", "lab", "workshops_reported"]
    list_filter = ["lab"]
    filter_horizontal = ["topics"]


@admin.register(Workshop)
class WorkshopAdmin(AuditedModelAdmin):
    list_display = ["__str__", "site", "held_on", "participants"]
    filter_horizontal = ["topics"]


@admin.register(Problem)
class ProblemAdmin(AuditedModelAdmin):
    list_display = ["__str__", "site", "topic"]
    list_filter = ["topic"]


class NoDeleteMixin:
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(NoDeleteMixin, AuditedModelAdmin):
    list_display = ["title", "origin", "site", "status", "hidden", "created_at"]
    list_filter = ["status", "origin", "hidden"]
    search_fields = ["title"]
    readonly_fields = ["author", "hidden_by", "hidden_at", "created_at"]


@admin.register(Comment)
class CommentAdmin(NoDeleteMixin, ReadOnlyModelAdmin):
    list_display = ["__str__", "proposal", "hidden", "created_at"]
    list_filter = ["hidden"]


@admin.register(Support)
class SupportAdmin(ReadOnlyModelAdmin):
    list_display = ["proposal", "created_at"]


@admin.register(Solution)
class SolutionAdmin(AuditedModelAdmin):
    list_display = ["title", "lab", "team", "municipality", "delivery_status"]
    list_filter = ["lab", "delivery_status"]


@admin.register(Event)
class EventAdmin(AuditedModelAdmin):
    list_display = ["title", "kind", "held_on", "place", "participants", "visitors"]
    list_filter = ["kind", "exercise"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [DocumentInline]
