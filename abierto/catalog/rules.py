"""Who may change the catalog: the one place where access to datasets is decided.

Anyone reads public datasets. A publisher's members (editors and admins) write that
publisher's datasets and resources; its admins also manage its members. Users holding the
model permission «catalog.change_dataset» (the portal's data team, via the admin) may write
every publisher's datasets.
"""

from __future__ import annotations

import rules
from django.db.models import QuerySet

from abierto.catalog.models import Dataset, Publisher, PublisherMember
from abierto.core.models import AuditEntry


@rules.predicate
def is_member_of(user, publisher: Publisher | None) -> bool:
    if publisher is None or not user.is_authenticated:
        return False
    return PublisherMember.objects.filter(publisher=publisher, user=user).exists()


@rules.predicate
def is_admin_of(user, publisher: Publisher | None) -> bool:
    if publisher is None or not user.is_authenticated:
        return False
    return PublisherMember.objects.filter(
        publisher=publisher, user=user, role=PublisherMember.Role.ADMIN
    ).exists()


@rules.predicate
def is_data_team(user) -> bool:
    return user.is_authenticated and user.has_perm("catalog.change_dataset")


rules.add_perm("catalog.publish_in", is_member_of | is_data_team)
rules.add_perm("catalog.manage_publisher", is_admin_of | is_data_team)


def can_publish(user, publisher: Publisher) -> bool:
    """May the user create, change or delete datasets of `publisher`?"""
    return bool(user.is_active and rules.has_perm("catalog.publish_in", user, publisher))


def can_edit(user, dataset: Dataset) -> bool:
    return can_publish(user, dataset.publisher)


def can_see(user, dataset: Dataset) -> bool:
    """Public datasets for everyone; private and draft ones for those who may edit them."""
    if dataset.state == Dataset.State.DELETED:
        return False
    if dataset.state == Dataset.State.ACTIVE and not dataset.private:
        return True
    return can_edit(user, dataset)


def publishers_of(user) -> QuerySet[Publisher]:
    """Publishers whose datasets the user may write."""
    if not user.is_authenticated or not user.is_active:
        return Publisher.objects.none()
    if is_data_team(user):
        return Publisher.objects.all()
    return Publisher.objects.filter(memberships__user=user)


def visible_datasets(user) -> QuerySet[Dataset]:
    """Datasets the user may see: public ones, plus private and drafts of their publishers."""
    public = Dataset.objects.public()
    if not user.is_authenticated or not user.is_active:
        return public
    own = Dataset.objects.exclude(state=Dataset.State.DELETED).filter(
        publisher__in=publishers_of(user)
    )
    return public | own


def was_public(dataset: Dataset) -> bool:
    """Was the dataset (now perhaps deleted) ever shown to everyone? Read from its history."""
    if dataset.private:
        return False
    if dataset.state != Dataset.State.DELETED:
        return dataset.state == Dataset.State.ACTIVE
    # A deleted dataset keeps what it was just before deletion in its audit entry.
    last = (
        AuditEntry.objects.filter(
            content_type__app_label="catalog",
            content_type__model="dataset",
            object_id=str(dataset.pk),
            verb="dataset_delete",
        )
        .order_by("-created_at", "-id")
        .values_list("before", flat=True)
        .first()
    )
    return last is None or (last or {}).get("state") != Dataset.State.DRAFT


def can_download(user, dataset: Dataset) -> bool:
    """Files stay downloadable for ever (the guide's permanence), even once deleted; those of
    private or draft datasets only for the people who may edit them."""
    return was_public(dataset) or can_edit(user, dataset)


# Harvesting: the data team, i.e. whoever holds the model permission to change harvest sources.
@rules.predicate
def is_harvest_team(user) -> bool:
    return user.is_authenticated and user.has_perm("catalog.change_harvestsource")


rules.add_perm("catalog.harvest", is_harvest_team)


def can_harvest(user) -> bool:
    """May the user see harvest sources and runs, and start a harvest or a preview?"""
    return bool(user.is_active and rules.has_perm("catalog.harvest", user))
