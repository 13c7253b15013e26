"""Every write of co-creation content, each with its audit entry.

Views, the API, the admin's actions and the demo loader call these functions; nothing else
saves participation models. Text is stored as the citizen wrote it and rendered escaped or
through the sanitising `markdown` filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from abierto.core import audit
from abierto.core.models import Document, Exercise, User
from abierto.core.services import document_attach
from abierto.participation import rules as participation_rules
from abierto.participation import throttle
from abierto.participation.models import (
    COMMENT_MAX,
    DESCRIPTION_MAX,
    TITLE_MAX,
    Comment,
    Event,
    Problem,
    Proposal,
    Site,
    Solution,
    Support,
    Topic,
    Workshop,
)

COMMENT_LIMIT = 5
COMMENT_WINDOW = 10 * 60


def _require_length(field: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise ValidationError(
            {
                field: _("Escriba como máximo %(limit)s caracteres (tiene %(length)s).")
                % {"limit": f"{limit:,}", "length": f"{len(value):,}"}
            }
        )


def _public_person(user: User) -> dict[str, object]:
    # The audit log is public: a person is recorded by id and public name only.
    return {"id": user.pk, "public_name": user.public_name}


@transaction.atomic
def citizen_sign_up(
    *, username: str, first_name: str, last_name: str, email: str, password: str
) -> User:
    """Create a citizen's account; the e-mail is kept private."""
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=user, verb="citizen_sign_up", obj=user, before=None, after=_public_person(user)
    )
    return user


@transaction.atomic
def proposal_submit(
    *,
    exercise: Exercise,
    author: User,
    title: str,
    description: str = "",
    problem: Problem | None = None,
    site: Site | None = None,
) -> Proposal:
    """A registered citizen's proposal; it starts as «received»."""
    if not participation_rules.can_take_part(author):
        raise PermissionDenied(_("Inicie sesión para proponer."))
    title, description = title.strip(), description.strip()
    _require_length("title", title, TITLE_MAX)
    _require_length("description", description, DESCRIPTION_MAX)
    if site is not None and site.lab.exercise_id != exercise.pk:
        raise ValidationError({"site": _("La sede no pertenece a este ejercicio.")})
    if problem is not None:
        if problem.site.lab.exercise_id != exercise.pk:
            raise ValidationError({"problem": _("El problema no pertenece a este ejercicio.")})
        site = site or problem.site
    proposal = Proposal(
        exercise=exercise,
        origin=Proposal.Origin.CITIZEN,
        author=author,
        title=title,
        description=description,
        problem=problem,
        topic=problem.topic if problem is not None else None,
        site=site,
    )
    proposal.full_clean()
    proposal.save()
    audit.record(
        actor=author,
        verb="proposal_submit",
        obj=proposal,
        before=None,
        after=audit.snapshot(proposal),
    )
    return proposal


def proposal_support(*, proposal: Proposal, user: User) -> tuple[Support, bool]:
    """Support a proposal once; a second time returns the existing support and False."""
    if not participation_rules.can_take_part(user):
        raise PermissionDenied(_("Inicie sesión para apoyar."))
    if proposal.hidden:
        raise ValidationError(_("Esta propuesta fue ocultada por moderación."))
    existing = Support.objects.filter(proposal=proposal, user=user).first()
    if existing is not None:
        return existing, False
    try:
        # The savepoint keeps a concurrent duplicate (caught by the unique constraint) harmless.
        with transaction.atomic():
            support = Support.objects.create(proposal=proposal, user=user)
            audit.record(
                actor=user,
                verb="proposal_support",
                obj=support,
                before=None,
                after={"proposal": proposal.pk, "user": _public_person(user)},
            )
    except IntegrityError:
        return Support.objects.get(proposal=proposal, user=user), False
    return support, True


@transaction.atomic
def comment_post(*, proposal: Proposal, author: User, body: str) -> Comment:
    """A citizen's comment, visible at once; at most COMMENT_LIMIT per COMMENT_WINDOW."""
    if not participation_rules.can_take_part(author):
        raise PermissionDenied(_("Inicie sesión para comentar."))
    if proposal.hidden:
        raise ValidationError(_("Esta propuesta fue ocultada por moderación."))
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Escriba su comentario.")})
    _require_length("body", body, COMMENT_MAX)
    throttle.hit(
        f"comment:{author.pk}",
        limit=COMMENT_LIMIT,
        window=COMMENT_WINDOW,
        message=_(
            "Ha publicado demasiados comentarios en poco tiempo. Espere unos minutos e "
            "inténtelo de nuevo."
        ),
    )
    comment = Comment(proposal=proposal, author=author, body=body)
    comment.full_clean()
    comment.save()
    audit.record(
        actor=author,
        verb="comment_post",
        obj=comment,
        before=None,
        after={"proposal": proposal.pk, "author": _public_person(author), "body": body},
    )
    return comment


def _hide(obj: Proposal | Comment, *, by: User, reason: str, verb: str) -> None:
    if not participation_rules.can_moderate(by):
        raise PermissionDenied(_("Solo el personal del STL modera la participación."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"hidden_reason": _("Explique públicamente por qué se oculta.")})
    before = audit.snapshot(obj)
    obj.hidden = True
    obj.hidden_reason = reason
    obj.hidden_by = by
    obj.hidden_at = timezone.now()
    obj.full_clean()
    obj.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at"])
    audit.record(actor=by, verb=verb, obj=obj, before=before, after=audit.snapshot(obj))


@transaction.atomic
def comment_hide(*, comment: Comment, by: User, reason: str) -> Comment:
    """Hide a comment with a public reason (STL staff); it is never deleted."""
    _hide(comment, by=by, reason=reason, verb="comment_hide")
    return comment


@transaction.atomic
def proposal_hide(*, proposal: Proposal, by: User, reason: str) -> Proposal:
    """Hide a proposal with a public reason (STL staff); it is never deleted."""
    _hide(proposal, by=by, reason=reason, verb="proposal_hide")
    return proposal


@transaction.atomic
def proposal_set_status(
    *,
    proposal: Proposal,
    by: User,
    status: str,
    reason: str = "",
    commitment=None,
) -> Proposal:
    """STL staff decide on a proposal: a rejection needs a public reason, a commitment its link."""
    if not participation_rules.can_moderate(by):
        raise PermissionDenied(_("Solo el personal del STL decide sobre las propuestas."))
    if status not in Proposal.Status.values:
        raise ValidationError({"status": _("Estado desconocido.")})
    reason = reason.strip()
    if status == Proposal.Status.REJECTED and not reason:
        raise ValidationError(
            {"status_reason": _("Una propuesta rechazada necesita un motivo público.")}
        )
    if status == Proposal.Status.COMMITMENT and commitment is None:
        raise ValidationError({"commitment": _("Indique el compromiso en que se convirtió.")})
    if commitment is not None and commitment.plan.exercise_id != proposal.exercise_id:
        raise ValidationError({"commitment": _("El compromiso no pertenece a este ejercicio.")})
    before = audit.snapshot(proposal)
    proposal.status = status
    proposal.status_reason = reason
    proposal.commitment = commitment if status == Proposal.Status.COMMITMENT else None
    proposal.full_clean()
    proposal.save(update_fields=["status", "status_reason", "commitment"])
    audit.record(
        actor=by,
        verb="proposal_set_status",
        obj=proposal,
        before=before,
        after=audit.snapshot(proposal),
    )
    return proposal


# ---------------------------------------------------------------------- lab content (staff)
# Staff pages hand over an instance their form has filled (new or changed, not yet saved);
# these check access and invariants, save, and audit the change against the stored version.


def _save_content(
    obj: models.Model,
    *,
    by: User,
    noun: str,
    allowed: bool,
    m2m: dict[str, Iterable[models.Model]] | None = None,
) -> models.Model:
    if not allowed:
        raise PermissionDenied(_("Solo el personal del STL gestiona el contenido del laboratorio."))
    stored = type(obj).objects.filter(pk=obj.pk).first() if obj.pk else None
    before = audit.snapshot(stored) if stored is not None else None
    obj.full_clean()
    obj.save()
    for name, values in (m2m or {}).items():
        if values is not None:
            getattr(obj, name).set(values)
    verb = f"{noun}_{'update' if stored is not None else 'create'}"
    audit.record(actor=by, verb=verb, obj=obj, before=before, after=audit.snapshot(obj))
    return obj


@transaction.atomic
def workshop_save(
    *, workshop: Workshop, by: User, topics: Iterable[Topic] | None = None
) -> Workshop:
    """Record a new workshop or a change to one (STL staff)."""
    return _save_content(
        workshop,
        by=by,
        noun="workshop",
        allowed=participation_rules.can_manage_lab(by),
        m2m={"topics": topics},
    )


@transaction.atomic
def problem_save(*, problem: Problem, by: User) -> Problem:
    """Record a problem a community raised, or a change to it (STL staff)."""
    if problem.workshop_id is not None and problem.workshop.site_id != problem.site_id:
        raise ValidationError({"workshop": _("El taller no se celebró en esa sede.")})
    return _save_content(
        problem, by=by, noun="problem", allowed=participation_rules.can_manage_lab(by)
    )


@transaction.atomic
def solution_save(*, solution: Solution, by: User) -> Solution:
    """Record a hackathon solution or a change to it, e.g. its delivery (STL staff)."""
    if solution.delivery_status == Solution.Delivery.PENDING:
        solution.delivered_on = None
    elif solution.municipality_id is None:
        raise ValidationError(
            {"municipality": _("Indique el municipio al que se entregó la solución.")}
        )
    return _save_content(
        solution, by=by, noun="solution", allowed=participation_rules.can_manage_lab(by)
    )


@transaction.atomic
def event_save(*, event: Event, by: User) -> Event:
    """Record a new event or a change to one (STL staff); the slug comes from the title."""
    if not event.slug:
        event.slug = slugify(event.title)[:140]
    if event.part_of_id is not None and event.part_of_id == event.pk:
        raise ValidationError({"part_of": _("Un evento no puede ser parte de sí mismo.")})
    if Event.objects.filter(exercise=event.exercise, slug=event.slug).exclude(pk=event.pk).exists():
        raise ValidationError(
            {"slug": _("Ya hay un evento con esta dirección en el ejercicio; elija otra.")}
        )
    return _save_content(
        event, by=by, noun="event", allowed=participation_rules.can_manage_events(by)
    )


def event_document_attach(
    *,
    event: Event,
    by: User,
    kind: str,
    title: str,
    file: UploadedFile | None = None,
    url: str = "",
    description: str = "",
    published_on: dt.date | None = None,
) -> Document:
    """Attach a checked file or a link (minutes, photo, video…) to an event (STL staff)."""
    if not participation_rules.can_manage_events(by):
        raise PermissionDenied(_("Solo el personal del STL gestiona los eventos."))
    if (file is None) == (not url):
        raise ValidationError({"file": _("Adjunte un archivo o escriba un enlace, no ambos.")})
    return document_attach(
        obj=event,
        kind=kind,
        title=title,
        uploaded_by=by,
        file=file,
        url=url,
        description=description,
        published_on=published_on,
    )
