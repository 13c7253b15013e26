from django.contrib import admin
from django.utils import timezone

from abierto.catalog.models import (
    Dataset,
    HarvestRun,
    HarvestSource,
    Licence,
    Publisher,
    PublisherMember,
    Resource,
    Tag,
    Theme,
)
from abierto.core.admin import URL_FIELDS, AuditedModelAdmin


class PublisherMemberInline(admin.TabularInline):
    model = PublisherMember
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Publisher)
class PublisherAdmin(AuditedModelAdmin):
    list_display = ["title", "name", "jurisdiction"]
    search_fields = ["title", "name"]
    list_select_related = ["jurisdiction"]
    inlines = [PublisherMemberInline]


class ResourceInline(admin.StackedInline):
    # Files arrive through the publisher's pages or the API, where they are checked and summed.
    model = Resource
    formfield_overrides = URL_FIELDS
    extra = 0
    exclude = ["file"]
    readonly_fields = ["uuid", "size", "sha256", "media_type", "last_modified"]


@admin.register(Dataset)
class DatasetAdmin(AuditedModelAdmin):
    list_display = ["title", "name", "publisher", "state", "private", "origin", "metadata_modified"]
    list_filter = ["state", "private", "origin", "publisher"]
    search_fields = ["title", "name", "identifier"]
    list_select_related = ["publisher"]
    filter_horizontal = ["themes"]
    autocomplete_fields = ["tags"]
    readonly_fields = ["uuid", "metadata_modified", "created_at"]
    inlines = [ResourceInline]

    def prepare_instance(self, request, obj):
        super().prepare_instance(request, obj)
        obj.metadata_modified = timezone.now()


@admin.register(Tag)
class TagAdmin(AuditedModelAdmin):
    search_fields = ["name"]


@admin.register(Theme)
class ThemeAdmin(AuditedModelAdmin):
    list_display = ["title", "name"]


@admin.register(Licence)
class LicenceAdmin(AuditedModelAdmin):
    list_display = ["title", "key", "is_open"]


class HarvestRunInline(admin.TabularInline):
    model = HarvestRun
    extra = 0
    fields = ["status", "preview", "seen", "created", "updated", "unchanged", "failed"]
    readonly_fields = fields
    can_delete = False


@admin.register(HarvestSource)
class HarvestSourceAdmin(AuditedModelAdmin):
    list_display = ["title", "kind", "url", "frequency", "active"]
    inlines = [HarvestRunInline]
