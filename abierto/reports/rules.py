"""Who may build the annual reports: the STL's staff and administrators. Reading is public."""

from __future__ import annotations

import rules

from abierto.secretariat.rules import is_stl_staff

rules.add_perm("reports.build_annual_report", is_stl_staff)


def can_build_annual_report(user, exercise) -> bool:
    """The rule «reports.build_annual_report» for the exercise (active accounts only)."""
    return (
        user.is_authenticated
        and user.is_active
        and user.has_perm("reports.build_annual_report", exercise)
    )
