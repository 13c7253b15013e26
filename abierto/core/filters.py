"""Filters shared by every API: ids and years that refuse out-of-range values with a 400."""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters

# The largest primary key a bigint column can hold: beyond it the databases overflow.
MAX_ID = 2**63 - 1


class _IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class _YearField(forms.IntegerField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


class IdFilter(filters.NumberFilter):
    """The id of a related object: a whole number from 1 to the largest bigint."""

    field_class = _IdField


class YearFilter(filters.NumberFilter):
    """A calendar year, 1 to 9999 (what a date can hold)."""

    field_class = _YearField
