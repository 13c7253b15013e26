"""Weighted progress of commitments and plans, computed in one query whatever the data size."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from abierto.plans.models import COMPLETION_PERCENT, Commitment, Completion, Milestone

ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Progress:
    """A commitment's progress: percent (None when unknown), weight in its plan, and delay."""

    percent: Decimal | None
    weight: int
    milestones: int
    behind_schedule: bool


def commitments_progress(
    commitments: Iterable[Commitment], today: dt.date | None = None
) -> dict[int, Progress]:
    """Progress of each commitment, keyed by id: one query for all their milestones.

    With milestones, the percent is the weighted mean of each milestone's latest reported
    percent. Without any, it is what the completion level states for sure (complete: 100,
    not started: 0) and unknown otherwise; a withdrawn commitment has no percent.
    """
    today = today or timezone.localdate()
    commitments = list(commitments)
    rows = (
        Milestone.objects.filter(commitment__in=[c.pk for c in commitments])
        .exclude(status=Milestone.Status.CANCELLED)
        .with_progress()
        .values_list("commitment_id", "weight", "percent", "due_on")
    )
    by_commitment: dict[int, list[tuple[int, int, dt.date]]] = defaultdict(list)
    for commitment_id, weight, percent, due_on in rows:
        by_commitment[commitment_id].append((weight, percent, due_on))
    result = {}
    for commitment in commitments:
        milestones = by_commitment.get(commitment.pk, [])
        withdrawn = commitment.completion == Completion.WITHDRAWN
        if withdrawn:
            percent = None
        elif milestones:
            total = sum(weight for weight, _, _ in milestones)
            percent = _round(
                Decimal(sum(weight * pct for weight, pct, _ in milestones)) / Decimal(total)
            )
        else:
            percent = COMPLETION_PERCENT.get(commitment.completion)
        result[commitment.pk] = Progress(
            percent=percent,
            weight=sum(weight for weight, _, _ in milestones) or 1,
            milestones=len(milestones),
            behind_schedule=not withdrawn
            and any(due < today and pct < 100 for _, pct, due in milestones),
        )
    return result


def plan_percent(progress: Iterable[Progress]) -> Decimal | None:
    """The plan's weighted progress over the commitments whose progress is known."""
    known = [p for p in progress if p.percent is not None]
    if not known:
        return None
    total = sum(p.weight for p in known)
    return _round(sum(p.percent * p.weight for p in known) / Decimal(total))


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
