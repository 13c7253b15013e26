"""Who may manage the Local Technical Secretariat: its staff, and administrators."""

from __future__ import annotations

import rules

# Created with its permissions by the data migration plans/0002_stl_staff_group.
STL_STAFF_GROUP = "Personal del STL"

is_stl_staff = rules.is_group_member(STL_STAFF_GROUP) | rules.is_superuser

rules.add_perm("secretariat.manage_secretariat", is_stl_staff)
