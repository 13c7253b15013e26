from __future__ import annotations

from django.contrib import admin

from abierto.contracting import services
from abierto.contracting.models import Import, Publisher, Record, Release, ValidationIssue
from abierto.core.admin import URL_FIELDS


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["name", "ocid_prefix", "organization", "endpoint_url"]
    search_fields = ["name", "ocid_prefix"]

    def save_model(self, request, obj, form, change):
        # Through the service, for its audit entry.
        values = {name: form.cleaned_data[name] for name in services.PUBLISHER_FIELDS}
        services.publisher_save(
            actor=request.user,
            publisher=Publisher.objects.get(pk=obj.pk) if change else None,
            **values,
        )

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ValidationIssueInline(admin.TabularInline):
    model = ValidationIssue
    fields = ["severity", "type", "path", "count", "message"]
    readonly_fields = fields
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Import)
class ImportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "publisher", "source", "status", "releases_stored", "created_at"]
    list_filter = ["status", "source", "publisher"]
    inlines = [ValidationIssueInline]


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    list_display = ["ocid", "release_id", "date", "validity", "publisher"]
    list_filter = ["validity", "publisher"]
    search_fields = ["ocid", "release_id"]


@admin.register(Record)
class RecordAdmin(ReadOnlyAdmin):
    list_display = ["ocid", "title", "buyer_name", "amount", "currency", "year"]
    list_filter = ["publisher", "year"]
    search_fields = ["ocid", "title", "buyer_name"]
