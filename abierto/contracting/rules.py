"""Who may publish open contracting data: the one place where access to imports is decided.

Until capture, only staff (the import pages' `staff_member_required`) created imports. An
official (a user whose institution is the publisher's institution) now also captures processes
and imports spreadsheets for that publisher, and sees the reports of its imports; never for
another publisher.
"""

from __future__ import annotations

import rules
from django.db.models import QuerySet

from abierto.contracting.models import Publisher


@rules.predicate
def is_import_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


@rules.predicate
def is_official_of(user, publisher: Publisher | None) -> bool:
    if publisher is None or not user.is_authenticated or publisher.organization_id is None:
        return False
    return user.organization_id == publisher.organization_id


rules.add_perm("contracting.import_for", is_official_of | is_import_staff)


def can_import(user, publisher: Publisher) -> bool:
    """May the user create imports (uploads, capture, spreadsheets) for `publisher`?"""
    return bool(user.is_active and rules.has_perm("contracting.import_for", user, publisher))


def publishers_of(user) -> QuerySet[Publisher]:
    """Publishers for which the user may create imports («contracting.import_for»)."""
    if not user.is_authenticated or not user.is_active:
        return Publisher.objects.none()
    if is_import_staff(user):
        return Publisher.objects.all()
    if user.organization_id is None:
        return Publisher.objects.none()
    return Publisher.objects.filter(organization_id=user.organization_id)
