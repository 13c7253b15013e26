"""Admin of action plans for STL staff. Progress updates and verifications are read-only here:
they are written only by their authors, through the reporting workflow."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from abierto.core.admin import AuditedModelAdmin, DocumentInline, ReadOnlyModelAdmin
from abierto.core.models import User
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


def _public_user_label(user: User) -> str:
    # Accounts are listed by public name and username, never by e-mail.
    return f"{user.public_name} ({user.username})"


class CommitmentInline(admin.TabularInline):
    model = Commitment
    fields = ["number", "title", "slug", "theme", "completion"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["theme"]
    show_change_link = True
    extra = 0


class MilestoneInline(admin.TabularInline):
    model = Milestone
    fields = ["position", "description", "weight", "start_on", "due_on", "status"]
    extra = 0


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    fields = ["role", "user", "person_name", "organization"]
    autocomplete_fields = ["organization"]
    extra = 0

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            field.label_from_instance = _public_user_label
        return field


class ReadOnlyDocumentInline(DocumentInline):
    """Evidence of a progress update: part of the immutable report."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Theme)
class ThemeAdmin(AuditedModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Pillar)
class PillarAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "position"]
    search_fields = ["name", "code"]


@admin.register(ActionPlan)
class ActionPlanAdmin(AuditedModelAdmin):
    list_display = ["title", "exercise", "period", "status", "presented_on"]
    list_filter = ["status", "exercise"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CommitmentInline, DocumentInline]


@admin.register(Commitment)
class CommitmentAdmin(AuditedModelAdmin):
    list_display = ["__str__", "plan", "theme", "completion", "start_on", "end_on"]
    list_filter = ["plan", "completion", "theme", "pillars"]
    search_fields = ["title", "objective", "problem", "lead_implementers__name"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["plan", "theme", "lead_implementers", "partners"]
    filter_horizontal = ["pillars"]
    list_select_related = ["plan", "theme"]
    inlines = [MilestoneInline, DocumentInline]


@admin.register(Milestone)
class MilestoneAdmin(AuditedModelAdmin):
    list_display = ["__str__", "commitment", "weight", "start_on", "due_on", "status"]
    list_filter = ["status", "commitment__plan"]
    search_fields = ["description", "commitment__title"]
    autocomplete_fields = ["commitment"]
    date_hierarchy = "due_on"
    list_select_related = ["commitment"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(ReadOnlyModelAdmin):
    list_display = ["milestone", "percent", "reporter", "reported_at", "verification_count"]
    list_filter = ["milestone__commitment__plan", "milestone__status"]
    search_fields = ["narrative", "milestone__description", "milestone__commitment__title"]
    date_hierarchy = "reported_at"
    fields = ["milestone", "percent", "narrative", "reporter", "reported_at", "corrects"]
    readonly_fields = fields
    inlines = [ReadOnlyDocumentInline]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .select_related("milestone__commitment", "reported_by")
            .annotate(verification_count=Count("verifications"))
        )

    @admin.display(description=_("reportado por"), ordering="reported_by__username")
    def reporter(self, obj: ProgressUpdate) -> str:
        return obj.reported_by.public_name

    @admin.display(description=_("validaciones"), ordering="verification_count")
    def verification_count(self, obj: ProgressUpdate) -> int:
        return obj.verification_count


@admin.register(Verification)
class VerificationAdmin(ReadOnlyModelAdmin):
    list_display = ["update", "verdict", "verifier_name", "created_at"]
    list_filter = ["verdict", "update__milestone__commitment__plan"]
    search_fields = ["comment", "update__milestone__commitment__title"]
    fields = ["update", "verdict", "verifier_name", "comment", "created_at"]
    readonly_fields = fields
    list_select_related = ["update__milestone__commitment", "verifier"]

    @admin.display(description=_("validado por"), ordering="verifier__username")
    def verifier_name(self, obj: Verification) -> str:
        return obj.verifier.public_name


@admin.register(Committee)
class CommitteeAdmin(AuditedModelAdmin):
    list_display = ["__str__", "commitment"]
    list_filter = ["commitment__plan"]
    search_fields = ["name", "commitment__title"]
    autocomplete_fields = ["commitment"]
    list_select_related = ["commitment"]
    inlines = [CommitteeMemberInline]


@admin.register(CommitteeMember)
class CommitteeMemberAdmin(AuditedModelAdmin):
    list_display = ["__str__", "committee", "role", "organization", "user_name"]
    list_filter = ["role", "committee__commitment__plan"]
    search_fields = ["person_name", "organization__name", "committee__commitment__title"]
    autocomplete_fields = ["committee", "organization"]
    list_select_related = ["committee__commitment", "organization", "user"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user":
            field.label_from_instance = _public_user_label
        return field

    @admin.display(description=_("cuenta"), ordering="user__username")
    def user_name(self, obj: CommitteeMember) -> str:
        return obj.user.public_name if obj.user else "—"


@admin.register(Meeting)
class MeetingAdmin(AuditedModelAdmin):
    list_display = ["__str__", "exercise", "kind", "committee", "held_on", "attendee_count"]
    list_filter = ["kind", "exercise"]
    search_fields = ["place", "minutes", "attendees"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["committee"]
    inlines = [DocumentInline]
