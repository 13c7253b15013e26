"""The admin of shared content, and the audited base class every admin of the project uses."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, router
from django.db.models.deletion import Collector
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from abierto.core import audit
from abierto.core.models import (
    AuditEntry,
    Document,
    Exercise,
    Jurisdiction,
    Organization,
    ReportedFigure,
    User,
)
from abierto.core.uploads import check_upload

admin.site.site_header = _("Administración de Gobierno Abierto")
admin.site.site_title = _("Administración")
admin.site.index_title = _("Gestión del ejercicio")


def _actor(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def record_deletion(*, actor: User | None, obj: models.Model, verb: str) -> None:
    """Audit the deletion of `obj` and of everything the deletion cascades to.

    Called before deleting, inside the admin's transaction: if the deletion fails, so does
    its record (and the primary keys are still there to be recorded).
    """
    collector = Collector(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    doomed: list[models.Model] = [obj]
    for instances in collector.data.values():
        doomed.extend(instance for instance in instances if instance is not obj)
    for queryset in collector.fast_deletes:
        doomed.extend(queryset)
    seen: set[tuple[type, Any]] = set()
    for instance in doomed:
        key = (type(instance), instance.pk)
        if key in seen or isinstance(instance, AuditEntry):
            continue
        seen.add(key)
        audit.record(
            actor=actor, verb=verb, obj=instance, before=audit.snapshot(instance), after=None
        )


# Links typed without a scheme are taken as https (Django 6's default, chosen now).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


def _https_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every addition, change and deletion, inlines included, is audited."""

    formfield_overrides = URL_FIELDS

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk is not None:
            # The form has already written its values onto `obj`: read the stored row.
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = audit.snapshot(stored) if stored is not None else None
        self.prepare_instance(request, obj)
        super().save_model(request, obj, form, change)
        obj._audit_before = before  # many-to-many values are saved later, in save_related

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(obj, "_audit_before", None)
        after = audit.snapshot(obj)
        if before is None:
            audit.record(actor=_actor(request), verb="admin_add", obj=obj, before=None, after=after)
        elif before != after:
            audit.record(
                actor=_actor(request), verb="admin_change", obj=obj, before=before, after=after
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        record_deletion(actor=_actor(request), obj=obj, verb="admin_delete")
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = _actor(request)
        model = formset.model
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {
            stored.pk: audit.snapshot(stored)
            for stored in model._default_manager.filter(pk__in=pks)
        }
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            record_deletion(actor=actor, obj=obj, verb="admin_delete")
            obj.delete()
        for obj in instances:
            self.prepare_instance(request, obj)
            obj.save()
        formset.save_m2m()
        for obj in instances:
            after = audit.snapshot(obj)
            previous = before.get(obj.pk)
            if previous is None:
                audit.record(actor=actor, verb="admin_add", obj=obj, before=None, after=after)
            elif previous != after:
                audit.record(
                    actor=actor, verb="admin_change", obj=obj, before=previous, after=after
                )

    def prepare_instance(self, request: HttpRequest, obj: models.Model) -> None:
        """Fill what the person saving decides implicitly (e.g. who uploaded a document)."""
        if isinstance(obj, Document) and obj._state.adding and obj.uploaded_by_id is None:
            obj.uploaded_by = _actor(request)


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """Immutable or append-only records: they may be viewed, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DocumentForm(forms.ModelForm):
    """A document whose uploaded file is checked (type, real content, size) and fingerprinted."""

    class Meta:
        model = Document
        fields = ["kind", "title", "description", "file", "url", "published_on"]
        formfield_callback = _https_formfield

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            try:
                checked = check_upload(upload, field="file")
            except ValidationError as error:
                raise ValidationError(error.message_dict["file"]) from None
            self.instance.media_type = checked.media_type
            self.instance.size = checked.size
            self.instance.sha256 = checked.sha256
        return upload


class DocumentInline(GenericTabularInline):
    model = Document
    form = DocumentForm
    fields = ["kind", "title", "file", "url", "published_on"]
    formfield_overrides = URL_FIELDS
    extra = 0


@admin.register(Jurisdiction)
class JurisdictionAdmin(AuditedModelAdmin):
    list_display = ["inegi_code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name", "inegi_code", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin):
    list_display = ["name", "acronym", "sector", "jurisdiction"]
    list_filter = ["sector"]
    search_fields = ["name", "acronym", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    # A plain select: STL staff do not manage jurisdictions, so they cannot search them.
    list_select_related = ["jurisdiction"]


@admin.register(Exercise)
class ExerciseAdmin(AuditedModelAdmin):
    list_display = ["name", "jurisdiction", "slug", "started_on"]
    search_fields = ["name", "slug"]
    list_select_related = ["jurisdiction"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ReportedFigure)
class ReportedFigureAdmin(AuditedModelAdmin):
    list_display = ["exercise", "metric", "value", "period_start", "period_end", "source"]
    list_filter = ["metric", "exercise"]
    search_fields = ["source", "note"]
    date_hierarchy = "period_start"


@admin.register(Document)
class DocumentAdmin(AuditedModelAdmin):
    form = DocumentForm
    list_display = ["title", "kind", "content_type", "object_id", "published_on", "uploader"]
    list_filter = ["kind", "content_type"]
    search_fields = ["title", "description", "url"]
    date_hierarchy = "published_on"
    list_select_related = ["content_type", "uploaded_by"]
    readonly_fields = ["media_type", "size", "sha256", "uploader", "created_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Where a document is attached is chosen on creation only.
        fields = [*DocumentForm.Meta.fields]
        if obj is None:
            return [*fields, "content_type", "object_id"]
        return [*fields, *self.readonly_fields]

    @admin.display(description=_("subido por"), ordering="uploaded_by__username")
    def uploader(self, obj: Document) -> str:
        return obj.uploaded_by.public_name if obj.uploaded_by else "—"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "actor_name", "action", "verb", "content_type", "object_repr"]
    list_filter = ["action", "content_type", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["object_repr", "verb", "object_id"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "content_type"]
    fields = [
        "created_at",
        "actor_name",
        "action",
        "verb",
        "content_type",
        "object_id",
        "object_repr",
        "before",
        "after",
    ]
    readonly_fields = fields

    @admin.display(description=_("autor"), ordering="actor__username")
    def actor_name(self, obj: AuditEntry) -> str:
        return obj.actor.public_name if obj.actor else _("(sistema)")


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    """Accounts hold personal data (e-mail, phone): only superusers see or manage them."""

    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Institución y contacto"), {"fields": ("organization", "phone")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Institución"), {"fields": ("first_name", "last_name", "email", "organization")}),
    )
    list_display = ["username", "first_name", "last_name", "organization", "is_staff"]
    list_filter = [*DjangoUserAdmin.list_filter, "organization"]
    autocomplete_fields = ["organization"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser
