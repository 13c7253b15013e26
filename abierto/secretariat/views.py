"""Public pages of the Local Technical Secretariat (STL): members, sessions, agreements."""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from abierto.core.exports import Column, declared_columns, export_response, requested_format
from abierto.core.pagecache import public_page
from abierto.secretariat.exports import AGREEMENT_COLUMNS, MEMBER_COLUMNS, SESSION_COLUMNS
from abierto.secretariat.models import Agreement, Membership, Seat, Secretariat, Session


def _get_secretariat(exercise: str) -> Secretariat:
    """The exercise's STL, or 404 (an unknown exercise, or one without an STL yet)."""
    secretariat = (
        Secretariat.objects.select_related("exercise__jurisdiction")
        .filter(exercise__slug=exercise)
        .first()
    )
    if secretariat is None:
        raise Http404(_("Este ejercicio no tiene Secretariado Técnico Local."))
    return secretariat


@dataclass
class SeatRow:
    """One line of the members table: a seat's titular or suplente, or its vacancy."""

    seat: Seat
    role: str
    membership: Membership | None

    @property
    def role_display(self) -> str:
        return Membership.Role(self.role).label

    @property
    def vacant(self) -> bool:
        return self.membership is None

    @property
    def state(self) -> str:
        return _("vacante") if self.vacant else _("vigente")


def _members(secretariat: Secretariat) -> tuple[list[SeatRow], list[Membership]]:
    """The current members table (with vacancies) and the ended memberships, newest first."""
    seats = secretariat.seats.order_by("position", "id").prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.select_related("organization").order_by(
                "role", "-start_on", "-id"
            ),
        )
    )
    rows: list[SeatRow] = []
    history: list[Membership] = []
    for seat in seats:
        current = {m.role: m for m in seat.memberships.all() if m.is_current}
        held_before = {m.role for m in seat.memberships.all() if not m.is_current}
        for membership in seat.memberships.all():
            if not membership.is_current:
                membership.seat = seat
                history.append(membership)
        # A seat without a titular is vacant; a suplente is listed as vacant only once the
        # seat has had one (the source does not name a suplente for every seat).
        rows.append(SeatRow(seat, Membership.Role.TITULAR, current.get(Membership.Role.TITULAR)))
        alternate = current.get(Membership.Role.ALTERNATE)
        if alternate or Membership.Role.ALTERNATE in held_before:
            rows.append(SeatRow(seat, Membership.Role.ALTERNATE, alternate))
    rows.sort(key=lambda r: (r.role != Membership.Role.TITULAR, r.seat.position, r.seat.pk))
    history.sort(key=lambda m: (m.end_on is not None, m.end_on), reverse=True)
    return rows, history


@public_page
def detail(request: HttpRequest, exercise: str) -> HttpResponse:
    """The STL: who sits on it (titulares, suplentes, vacancies), its history and its rules."""
    secretariat = _get_secretariat(exercise)
    rows, history = _members(secretariat)
    fmt = requested_format(request)
    if fmt:
        current = [(row.seat, row.role, row.membership, row.state) for row in rows]
        ended = [(m.seat, m.role, m, m.get_end_reason_display()) for m in history]
        columns = declared_columns(
            MEMBER_COLUMNS,
            lugar=lambda r: r[0].name,
            sector=lambda r: r[0].get_sector_display(),
            preside=lambda r: r[0].is_chair,
            calidad=lambda r: Membership.Role(r[1]).label,
            estado=lambda r: r[3],
            integrante=lambda r: r[2].person_name if r[2] else "",
            cargo=lambda r: r[2].post if r[2] else "",
            institucion=lambda r: r[2].organization.name if r[2] and r[2].organization else "",
            inicio=lambda r: r[2].start_on if r[2] else None,
            termino=lambda r: r[2].end_on if r[2] else None,
            fuente=lambda r: r[2].source if r[2] else "",
        )
        return export_response(
            fmt, rows=current + ended, columns=columns, filename=f"integrantes-stl-{exercise}"
        )
    context = {
        "exercise": secretariat.exercise,
        "secretariat": secretariat,
        "titulares": [row for row in rows if row.role == Membership.Role.TITULAR],
        "suplentes": [row for row in rows if row.role == Membership.Role.ALTERNATE],
        "history": history,
        "liaisons": secretariat.liaisons.select_related("organization").order_by("position", "id"),
        "municipalities": secretariat.invited_municipalities.order_by("name"),
        "mechanisms": secretariat.governance_mechanisms.select_related("approved_at").order_by(
            "id"
        ),
    }
    return render(request, "secretariat/detail.html", context)


def _session_columns(request: HttpRequest, exercise: str) -> list[Column]:
    return declared_columns(
        SESSION_COLUMNS,
        tipo=lambda s: s.get_kind_display(),
        numero=lambda s: s.number,
        sesion=lambda s: s.title,
        fecha=lambda s: s.held_display,
        fecha_iso=lambda s: s.held_on,
        lugar=lambda s: s.place,
        asistencia=lambda s: s.attendance,
        resumen=lambda s: s.summary,
        acuerdos=lambda s: len(s.agreements.all()),
        fuente=lambda s: s.source,
        url=lambda s: request.build_absolute_uri(
            reverse("secretariat:session", kwargs={"exercise": exercise, "pk": s.pk})
        ),
    )


@public_page
def session_list(request: HttpRequest, exercise: str) -> HttpResponse:
    """The STL's sessions, newest first, with their agreements and follow-up."""
    secretariat = _get_secretariat(exercise)
    sessions = list(
        secretariat.sessions.order_by("-held_on", "-number").prefetch_related(
            Prefetch("agreements", queryset=Agreement.objects.order_by("number")), "documents"
        )
    )
    fmt = requested_format(request)
    if fmt:
        return export_response(
            fmt,
            rows=sessions,
            columns=_session_columns(request, exercise),
            filename=f"sesiones-stl-{exercise}",
        )
    context = {"exercise": secretariat.exercise, "secretariat": secretariat, "sessions": sessions}
    return render(request, "secretariat/session_list.html", context)


@public_page
def session_detail(request: HttpRequest, exercise: str, pk: int) -> HttpResponse:
    """One session: its summary, agreements with their follow-up, and its documents."""
    secretariat = _get_secretariat(exercise)
    session = get_object_or_404(
        Session.objects.prefetch_related(
            Prefetch("agreements", queryset=Agreement.objects.order_by("number")), "documents"
        ),
        secretariat=secretariat,
        pk=pk,
    )
    context = {"exercise": secretariat.exercise, "secretariat": secretariat, "session": session}
    return render(request, "secretariat/session_detail.html", context)


class AgreementFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Estado"),
        choices=[(value, capfirst(label)) for value, label in Agreement.Status.choices],
        empty_label=gettext_lazy("Todos los estados"),
    )

    class Meta:
        model = Agreement
        fields = ["status"]


@public_page
def agreement_list(request: HttpRequest, exercise: str) -> HttpResponse:
    """Every agreement of the STL with its follow-up, filterable by status."""
    secretariat = _get_secretariat(exercise)
    agreements = (
        Agreement.objects.filter(session__secretariat=secretariat)
        .select_related("session")
        .order_by("-session__held_on", "-session__number", "number")
    )
    filterset = AgreementFilter(request.GET or None, queryset=agreements)
    fmt = requested_format(request)
    if fmt:
        columns = declared_columns(
            AGREEMENT_COLUMNS,
            sesion=lambda a: a.session.title,
            sesion_fecha=lambda a: a.session.held_display,
            numero=lambda a: a.number,
            acuerdo=lambda a: a.text,
            responsable=lambda a: a.responsible,
            fecha_compromiso=lambda a: a.due_on,
            estado=lambda a: a.get_status_display(),
            seguimiento=lambda a: a.follow_up,
            fecha_cumplimiento=lambda a: a.done_on,
        )
        return export_response(
            fmt,
            rows=filterset.qs.iterator(chunk_size=1000),
            columns=columns,
            filename=f"acuerdos-stl-{exercise}",
        )
    context = {
        "exercise": secretariat.exercise,
        "secretariat": secretariat,
        "filterset": filterset,
        "agreements": filterset.qs,
    }
    return render(request, "secretariat/agreement_list.html", context)
