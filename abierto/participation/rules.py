"""Who may do what in co-creation: the one place where participation access is decided."""

from __future__ import annotations

import rules

from abierto.secretariat.rules import is_stl_staff

is_active_citizen = rules.is_authenticated & rules.is_active

rules.add_perm("participation.propose", is_active_citizen)
rules.add_perm("participation.support", is_active_citizen)
rules.add_perm("participation.comment", is_active_citizen)
rules.add_perm("participation.moderate", is_stl_staff)
rules.add_perm("participation.manage_events", is_stl_staff)
rules.add_perm("participation.manage_lab", is_stl_staff)


def can_moderate(user) -> bool:
    """STL staff (and administrators) hide content and decide on proposals."""
    return user.is_authenticated and user.has_perm("participation.moderate")


def can_take_part(user) -> bool:
    """A signed-in, active person may propose, support and comment."""
    return rules.has_perm("participation.propose", user)


def can_manage_lab(user) -> bool:
    """STL staff (and administrators) create and edit workshops, problems and solutions."""
    return user.is_authenticated and user.has_perm("participation.manage_lab")


def can_manage_events(user) -> bool:
    """STL staff (and administrators) create and edit events and attach their documents."""
    return user.is_authenticated and user.has_perm("participation.manage_events")
