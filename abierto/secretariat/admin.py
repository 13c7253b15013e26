"""Admin of the STL for its staff: seats and members, liaisons, sessions and agreements."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from abierto.core.admin import AuditedModelAdmin, DocumentInline
from abierto.secretariat.models import (
    Agreement,
    GovernanceMechanism,
    Liaison,
    Membership,
    Seat,
    Secretariat,
    Session,
)


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    """Two new current titulars typed in the same submission escape the per-row check."""

    def clean(self) -> None:
        super().clean()
        current_roles: set[str] = set()
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("role") or data.get("end_on") or data.get("end_reason"):
                continue
            if data["role"] in current_roles:
                raise ValidationError(
                    _("Este lugar ya tiene un integrante vigente con esa calidad.")
                )
            current_roles.add(data["role"])


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipInlineFormSet
    fields = ["role", "person_name", "post", "organization", "start_on", "end_on", "end_reason"]
    autocomplete_fields = ["organization"]
    extra = 0


class SeatInline(admin.TabularInline):
    model = Seat
    fields = ["position", "name", "sector", "is_chair"]
    show_change_link = True
    extra = 0


class LiaisonInline(admin.TabularInline):
    model = Liaison
    fields = ["position", "organization", "person_name"]
    autocomplete_fields = ["organization"]
    extra = 0


class AgreementInline(admin.StackedInline):
    model = Agreement
    fields = ["number", "text", "responsible", "due_on", "status", "follow_up", "done_on"]
    extra = 0


@admin.register(Secretariat)
class SecretariatAdmin(AuditedModelAdmin):
    list_display = ["name", "exercise", "installed_on"]
    search_fields = ["name", "exercise__name"]
    filter_horizontal = ["invited_municipalities"]
    inlines = [SeatInline, LiaisonInline]


@admin.register(GovernanceMechanism)
class GovernanceMechanismAdmin(AuditedModelAdmin):
    list_display = ["title", "secretariat", "approved_at"]
    list_filter = ["secretariat"]
    search_fields = ["title", "summary"]
    autocomplete_fields = ["secretariat", "approved_at"]


@admin.register(Seat)
class SeatAdmin(AuditedModelAdmin):
    list_display = ["name", "secretariat", "sector", "position", "is_chair"]
    list_filter = ["secretariat", "sector", "is_chair"]
    search_fields = ["name"]
    autocomplete_fields = ["secretariat"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["person_name", "seat", "role", "organization", "start_on", "end_on"]
    list_filter = ["role", "end_reason", "seat__secretariat"]
    search_fields = ["person_name", "post", "seat__name", "organization__name"]
    autocomplete_fields = ["seat", "organization"]
    list_select_related = ["seat", "organization"]


@admin.register(Liaison)
class LiaisonAdmin(AuditedModelAdmin):
    list_display = ["organization", "person_name", "secretariat", "position"]
    list_filter = ["secretariat"]
    search_fields = ["person_name", "organization__name"]
    autocomplete_fields = ["secretariat", "organization"]


@admin.register(Session)
class SessionAdmin(AuditedModelAdmin):
    list_display = ["__str__", "secretariat", "held_on", "place", "attendance"]
    list_filter = ["secretariat", "kind"]
    search_fields = ["=number", "summary", "place", "secretariat__name"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["secretariat"]
    inlines = [AgreementInline, DocumentInline]


@admin.register(Agreement)
class AgreementAdmin(AuditedModelAdmin):
    list_display = ["__str__", "status", "responsible", "due_on", "done_on"]
    list_filter = ["status", "session__secretariat"]
    search_fields = ["text", "responsible", "follow_up"]
    autocomplete_fields = ["session"]
    list_select_related = ["session"]
