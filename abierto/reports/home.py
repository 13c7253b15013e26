"""The site's home: an exercise at a glance (/ and /<exercise>/).

The home is where the whole exercise meets, so it reads the STL, the plans and the
documents; it lives in `reports`, the app that may read every other one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from abierto.core import charts
from abierto.core.models import Document, Exercise
from abierto.core.pagecache import public_page
from abierto.core.views import get_exercise_or_404
from abierto.plans.models import (
    ActionPlan,
    Commitment,
    Completion,
    Meeting,
    Pillar,
    ProgressUpdate,
)
from abierto.plans.progress import commitments_progress, plan_percent
from abierto.secretariat.models import Membership, Session


@public_page
def home(request: HttpRequest) -> HttpResponse:
    """The home of the default exercise (the first one when it is not set); a welcome if none."""
    exercises = Exercise.objects.select_related("jurisdiction")
    exercise = exercises.filter(slug=settings.DEFAULT_EXERCISE).first() or exercises.first()
    if exercise is None:
        return render(request, "core/empty.html")
    return _exercise_home(request, exercise)


@public_page
def exercise_home(request: HttpRequest, exercise: str) -> HttpResponse:
    """The home of one exercise (/<exercise>/)."""
    return _exercise_home(request, get_exercise_or_404(exercise))


def _latest_documents(exercise: Exercise, limit: int) -> list[Document]:
    """The newest documents attached to the exercise's sessions, plans, commitments, reports."""
    public_plans = ActionPlan.objects.public().filter(exercise=exercise)
    owners = {
        Session: Session.objects.filter(secretariat__exercise=exercise),
        ActionPlan: public_plans,
        Commitment: Commitment.objects.filter(plan__in=public_plans),
        Meeting: Meeting.objects.filter(exercise=exercise),
        ProgressUpdate: ProgressUpdate.objects.filter(milestone__commitment__plan__in=public_plans),
    }
    types = ContentType.objects.get_for_models(*owners)
    condition = Q()
    for model, objects in owners.items():
        condition |= Q(content_type=types[model], object_id__in=objects.values("pk"))
    return list(Document.objects.filter(condition).order_by("-published_on", "-created_at")[:limit])


def _exercise_home(request: HttpRequest, exercise: Exercise) -> HttpResponse:
    plans = list(ActionPlan.objects.public().filter(exercise=exercise).order_by("-start_year"))
    plan = plans[0] if plans else None
    commitments = (
        list(Commitment.objects.filter(plan=plan).only("id", "completion")) if plan else []
    )
    percent = plan_percent(commitments_progress(commitments).values()) if commitments else None
    latest_updates = list(
        ProgressUpdate.objects.filter(milestone__commitment__plan__in=[p.pk for p in plans])
        .select_related("milestone__commitment__plan", "reported_by")
        .order_by("-reported_at", "-id")[:5]
    )
    for update in latest_updates:
        update.milestone.commitment.plan.exercise = exercise
    sessions = Session.objects.filter(secretariat__exercise=exercise)
    context = {
        "exercise": exercise,
        "pillars": Pillar.objects.all(),
        "plans": plans,
        "plan": plan,
        "commitment_count": len(commitments),
        "completed_count": sum(1 for c in commitments if c.completion == Completion.COMPLETE),
        "plan_percent_text": charts.percent_text(percent),
        "plan_bar": charts.progress_bar(percent, plan.title) if plan else "",
        "member_count": Membership.objects.current()
        .filter(seat__secretariat__exercise=exercise)
        .count(),
        "session_count": sessions.count(),
        "reported_figures": exercise.reported_figures.order_by("-period_end", "metric"),
        "latest_updates": latest_updates,
        "latest_sessions": sessions.order_by("-held_on", "-number")[:3],
        "latest_documents": _latest_documents(exercise, 5),
    }
    return render(request, "core/home.html", context)
