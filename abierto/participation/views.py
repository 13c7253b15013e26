"""Public pages of co-creation and events, the citizen's sign-up, proposals, supports,
comments and their moderation. Views parse and render; services write."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from abierto.core.exports import Column, declared_columns, export_response, requested_format
from abierto.core.models import Document, Exercise
from abierto.core.pagecache import public_page
from abierto.core.views import get_exercise_or_404
from abierto.participation import rules as participation_rules
from abierto.participation import services, throttle
from abierto.participation.charts import CountBar, count_chart
from abierto.participation.exports import EVENT_COLUMNS, PROPOSAL_COLUMNS
from abierto.participation.filters import EventFilter, ProposalFilter
from abierto.participation.forms import (
    CommentForm,
    HideForm,
    ProposalForm,
    SignUpForm,
    StatusForm,
)
from abierto.participation.models import (
    Comment,
    Event,
    Lab,
    Problem,
    Proposal,
    Site,
    Solution,
    Support,
    Topic,
)

PAGE_SIZE = 25
SIGNUP_LIMIT = 5
SIGNUP_WINDOW = 3600


def _absolute(request: HttpRequest, name: str, **kwargs) -> str:
    return request.build_absolute_uri(reverse(f"participation:{name}", kwargs=kwargs))


def _too_many(request: HttpRequest, message: str, retry_after: int | None = None) -> HttpResponse:
    response = render(request, "participation/rate_limited.html", {"message": message}, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def _proposals(exercise: Exercise) -> QuerySet[Proposal]:
    """Visible proposals of an exercise with what a list shows, in one query."""
    return (
        Proposal.objects.filter(exercise=exercise)
        .visible()
        .select_related("site__municipality", "site__lab", "topic", "author", "commitment__plan")
        .annotate(
            support_count=Count("supports", distinct=True),
            comment_count=Count("comments", filter=Q(comments__hidden=False), distinct=True),
        )
    )


# ---------------------------------------------------------------------------------- labs


@public_page
def lab_list(request: HttpRequest, exercise: str) -> HttpResponse:
    """The exercise's co-creation labs, with their sites and figures."""
    exercise_obj = get_exercise_or_404(exercise)
    labs = list(
        Lab.objects.filter(exercise=exercise_obj)
        .select_related("organizer")
        .prefetch_related(Prefetch("sites", queryset=Site.objects.select_related("municipality")))
        .annotate(
            proposal_count=Count(
                "sites__proposals", filter=Q(sites__proposals__hidden=False), distinct=True
            ),
            solution_count=Count("solutions", distinct=True),
        )
    )
    fmt = requested_format(request)
    if fmt:
        columns = [
            Column("nombre", lambda lab: lab.name),
            Column("siglas", lambda lab: lab.acronym),
            Column("slug", lambda lab: lab.slug),
            Column("a_cargo_de", lambda lab: lab.organizer.name if lab.organizer else ""),
            Column("inicio", lambda lab: lab.started_on),
            Column("inicio_precision", lambda lab: lab.started_on_precision),
            Column("sedes", lambda lab: [str(site) for site in lab.sites.all()]),
            Column("propuestas", lambda lab: lab.proposal_count),
            Column("soluciones", lambda lab: lab.solution_count),
            Column("fuente", lambda lab: lab.source),
            Column("url", lambda lab: _absolute(request, "lab", exercise=exercise, lab=lab.slug)),
        ]
        return export_response(fmt, rows=labs, columns=columns, filename=f"laboratorios-{exercise}")
    return render(request, "participation/lab_list.html", {"exercise": exercise_obj, "labs": labs})


def _theme_bars(sites: list[Site]) -> list[CountBar]:
    """How many of the sites raised problems in each theme, most frequent first."""
    counts: Counter[str] = Counter()
    for site in sites:
        counts.update(topic.name for topic in site.topics.all())
    return [CountBar(name, n) for name, n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]


@public_page
def lab_detail(request: HttpRequest, exercise: str, lab: str) -> HttpResponse:
    """A lab: its sites and dates, themes (chart), problems, proposals, solutions, events."""
    exercise_obj = get_exercise_or_404(exercise)
    lab_obj = get_object_or_404(
        Lab.objects.select_related("organizer", "approved_at"), exercise=exercise_obj, slug=lab
    )
    sites = list(
        lab_obj.sites.select_related("municipality")
        .prefetch_related("topics", "workshops")
        .annotate(problem_count=Count("problems", distinct=True))
    )
    problems = list(
        Problem.objects.filter(site__lab=lab_obj).select_related("site__municipality", "topic")
    )
    proposals = list(_proposals(exercise_obj).filter(site__lab=lab_obj).order_by("site", "label"))
    solutions = list(lab_obj.solutions.select_related("municipality"))
    events = list(lab_obj.events.select_related("organizer").order_by("held_on", "title"))
    bars = _theme_bars(sites)
    chart = count_chart(bars, title=_("Sedes que plantearon problemas en cada tema"))
    context = {
        "exercise": exercise_obj,
        "lab": lab_obj,
        "sites": sites,
        "problems": problems,
        "proposals": proposals,
        "solutions": solutions,
        "events": events,
        "bars": bars,
        "chart": chart,
        "workshops_reported": sum(s.workshops_reported or 0 for s in sites),
        "can_manage": participation_rules.can_manage_lab(request.user),
    }
    return render(request, "participation/lab_detail.html", context)


@public_page
def site_detail(request: HttpRequest, exercise: str, lab: str, site: str) -> HttpResponse:
    """A site (municipality) of a lab: its themes, problems, workshops, proposals, solutions."""
    exercise_obj = get_exercise_or_404(exercise)
    site_obj = get_object_or_404(
        Site.objects.select_related("lab__organizer", "municipality"),
        lab__exercise=exercise_obj,
        lab__slug=lab,
        slug=site,
    )
    topics = list(site_obj.topics.all())
    problems = list(site_obj.problems.select_related("topic", "workshop"))
    by_topic = Counter(problem.topic.name for problem in problems)
    bars = [CountBar(topic.name, by_topic[topic.name]) for topic in topics]
    bars += [
        CountBar(name, n) for name, n in by_topic.items() if name not in {t.name for t in topics}
    ]
    context = {
        "exercise": exercise_obj,
        "lab": site_obj.lab,
        "site": site_obj,
        "topics": topics,
        "problems": problems,
        "bars": bars,
        "chart": count_chart(bars, title=_("Problemas registrados por tema")) if problems else "",
        "workshops": list(site_obj.workshops.prefetch_related("topics")),
        "proposals": list(_proposals(exercise_obj).filter(site=site_obj).order_by("label", "id")),
        "solutions": list(
            Solution.objects.filter(lab=site_obj.lab, municipality=site_obj.municipality)
        ),
        "can_manage": participation_rules.can_manage_lab(request.user),
    }
    return render(request, "participation/site_detail.html", context)


# ----------------------------------------------------------------------------- proposals


def _proposal_columns(request: HttpRequest, exercise: str) -> list[Column]:
    # Public names only: never the author's e-mail, phone or user name.
    return declared_columns(
        PROPOSAL_COLUMNS,
        id=lambda p: p.pk,
        inciso=lambda p: p.label,
        titulo=lambda p: p.title,
        descripcion=lambda p: p.description,
        origen=lambda p: p.get_origin_display(),
        autor=lambda p: p.author.public_name if p.author else "",
        laboratorio=lambda p: str(p.site.lab) if p.site else "",
        sede=lambda p: str(p.site) if p.site else "",
        tema=lambda p: p.topic.name if p.topic else "",
        estado=lambda p: p.get_status_display(),
        estado_clave=lambda p: p.status,
        motivo=lambda p: p.status_reason,
        compromiso=lambda p: p.commitment.title if p.commitment else "",
        apoyos=lambda p: p.support_count,
        comentarios=lambda p: p.comment_count,
        fecha=lambda p: p.created_at,
        fuente=lambda p: p.source,
        url=lambda p: _absolute(request, "proposal", exercise=exercise, pk=p.pk),
    )


@public_page
def proposal_list(request: HttpRequest, exercise: str) -> HttpResponse:
    """Proposals from workshops and citizens, filterable by status, site and theme."""
    exercise_obj = get_exercise_or_404(exercise)
    filterset = ProposalFilter(request.GET or None, queryset=_proposals(exercise_obj))
    # Invalid filter values are ignored: django-filter leaves them out of cleaned_data.
    proposals = filterset.qs.order_by("-created_at", "-id")
    fmt = requested_format(request)
    if fmt:
        return export_response(
            fmt,
            rows=proposals.iterator(chunk_size=500),
            columns=_proposal_columns(request, exercise),
            filename=f"propuestas-{exercise}",
        )
    page = Paginator(proposals, PAGE_SIZE).get_page(request.GET.get("pagina"))
    context = {
        "exercise": exercise_obj,
        "page": page,
        "proposals": page.object_list,
        "filterset": filterset,
        "statuses": Proposal.Status.choices,
        "sites": Site.objects.filter(lab__exercise=exercise_obj).select_related("municipality"),
        "topics": Topic.objects.filter(
            Q(sites__lab__exercise=exercise_obj) | Q(proposals__exercise=exercise_obj)
        ).distinct(),
        "selected": {key: request.GET.get(key, "") for key in ("status", "site", "theme")},
    }
    return render(request, "participation/proposal_list.html", context)


def _get_proposal(exercise: Exercise, pk: int) -> Proposal:
    return get_object_or_404(
        Proposal.objects.select_related(
            "site__municipality",
            "site__lab",
            "topic",
            "author",
            "commitment__plan",
            "problem",
            "hidden_by",
        ).annotate(support_count=Count("supports", distinct=True)),
        exercise=exercise,
        pk=pk,
    )


@public_page
def proposal_detail(request: HttpRequest, exercise: str, pk: int) -> HttpResponse:
    """A proposal: its status (with the public reason), supports, comments, commitment."""
    exercise_obj = get_exercise_or_404(exercise)
    proposal = _get_proposal(exercise_obj, pk)
    comments = list(proposal.comments.select_related("author", "hidden_by"))
    user = request.user
    moderator = participation_rules.can_moderate(user)
    context = {
        "exercise": exercise_obj,
        "proposal": proposal,
        "comments": comments,
        "can_take_part": participation_rules.can_take_part(user) and not proposal.hidden,
        "supported": user.is_authenticated
        and Support.objects.filter(proposal=proposal, user=user).exists(),
        "moderator": moderator,
        "comment_form": CommentForm(),
        "hide_form": HideForm() if moderator else None,
        "status_form": StatusForm(
            exercise=exercise_obj,
            initial={"status": proposal.status, "reason": proposal.status_reason},
        )
        if moderator
        else None,
    }
    return render(request, "participation/proposal_detail.html", context)


@login_required
def proposal_create(request: HttpRequest, exercise: str) -> HttpResponse:
    """A registered citizen writes a proposal."""
    exercise_obj = get_exercise_or_404(exercise)
    form = ProposalForm(request.POST or None, exercise=exercise_obj)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_submit(
                exercise=exercise_obj, author=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Gracias: su propuesta fue recibida."))
            return redirect("participation:proposal", exercise=exercise, pk=proposal.pk)
    return render(
        request, "participation/proposal_form.html", {"exercise": exercise_obj, "form": form}
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@login_required
@require_POST
def proposal_support(request: HttpRequest, exercise: str, pk: int) -> HttpResponse:
    """Support a proposal (once: a repeat is answered with a message, not a second support)."""
    exercise_obj = get_exercise_or_404(exercise)
    proposal = get_object_or_404(Proposal, exercise=exercise_obj, pk=pk)
    try:
        __, created = services.proposal_support(proposal=proposal, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if created:
            messages.success(request, _("Gracias: su apoyo quedó registrado."))
        else:
            messages.info(
                request, _("Ya había apoyado esta propuesta; cada persona apoya una vez.")
            )
    return redirect("participation:proposal", exercise=exercise, pk=pk)


@login_required
@require_POST
def comment_create(request: HttpRequest, exercise: str, pk: int) -> HttpResponse:
    """Comment on a proposal; too many comments in a short time are answered with 429."""
    exercise_obj = get_exercise_or_404(exercise)
    proposal = get_object_or_404(Proposal, exercise=exercise_obj, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_post(
                proposal=proposal, author=request.user, body=form.cleaned_data["body"]
            )
        except throttle.RateLimited as limited:
            return _too_many(request, limited.message, limited.retry_after)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Su comentario fue publicado."))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return HttpResponseRedirect(
        reverse("participation:proposal", kwargs={"exercise": exercise, "pk": pk}) + "#comentarios"
    )


@login_required
@require_POST
def comment_hide(request: HttpRequest, exercise: str, pk: int) -> HttpResponse:
    """STL staff hide a comment with a public reason."""
    exercise_obj = get_exercise_or_404(exercise)
    comment = get_object_or_404(Comment, proposal__exercise=exercise_obj, pk=pk)
    if not participation_rules.can_moderate(request.user):
        raise PermissionDenied
    form = HideForm(request.POST)
    if form.is_valid():
        services.comment_hide(comment=comment, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("El comentario fue ocultado; el motivo es público."))
    else:
        messages.error(request, _("Explique públicamente por qué se oculta."))
    return redirect("participation:proposal", exercise=exercise, pk=comment.proposal_id)


@login_required
@require_POST
def proposal_moderate(request: HttpRequest, exercise: str, pk: int) -> HttpResponse:
    """STL staff hide a proposal or decide its status, always with a public reason."""
    exercise_obj = get_exercise_or_404(exercise)
    proposal = get_object_or_404(Proposal, exercise=exercise_obj, pk=pk)
    if not participation_rules.can_moderate(request.user):
        raise PermissionDenied
    try:
        if request.POST.get("action") == "hide":
            form = HideForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Explique públicamente por qué se oculta."))
            services.proposal_hide(
                proposal=proposal, by=request.user, reason=form.cleaned_data["reason"]
            )
        else:
            form = StatusForm(request.POST, exercise=exercise_obj)
            if not form.is_valid():
                raise ValidationError(_("Revise el estado y el motivo."))
            services.proposal_set_status(
                proposal=proposal,
                by=request.user,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                commitment=form.cleaned_data["commitment"],
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("La propuesta fue actualizada."))
    return redirect("participation:proposal", exercise=exercise, pk=pk)


# -------------------------------------------------------------------------------- events


def _event_columns(request: HttpRequest, exercise: str) -> list[Column]:
    return declared_columns(
        EVENT_COLUMNS,
        titulo=lambda e: e.title,
        slug=lambda e: e.slug,
        tipo=lambda e: e.get_kind_display(),
        tipo_clave=lambda e: e.kind,
        fecha=lambda e: e.held_on,
        fecha_precision=lambda e: e.held_on_precision,
        lugar=lambda e: e.place,
        organiza=lambda e: e.organizer_display,
        participantes=lambda e: e.participants,
        participantes_cifra_minima=lambda e: e.participants_at_least,
        visitantes=lambda e: e.visitors,
        parte_de=lambda e: e.part_of.title if e.part_of else "",
        plan=lambda e: e.plan.title if e.plan else "",
        laboratorio=lambda e: str(e.lab) if e.lab else "",
        compromiso=lambda e: e.commitment.title if e.commitment else "",
        fuente=lambda e: e.source,
        url=lambda e: _absolute(request, "event", exercise=exercise, event=e.slug),
    )


@public_page
def event_list(request: HttpRequest, exercise: str) -> HttpResponse:
    """Outreach events with their attendance, filterable by kind and year."""
    exercise_obj = get_exercise_or_404(exercise)
    base = Event.objects.filter(exercise=exercise_obj).select_related(
        "organizer", "part_of", "plan", "lab", "commitment"
    )
    filterset = EventFilter(request.GET or None, queryset=base)
    events = filterset.qs.order_by("held_on", "title")
    fmt = requested_format(request)
    if fmt:
        return export_response(
            fmt,
            rows=events,
            columns=_event_columns(request, exercise),
            filename=f"eventos-{exercise}",
        )
    events = list(events)
    years = sorted({d.year for d in base.dates("held_on", "year")}, reverse=True)
    context = {
        "exercise": exercise_obj,
        "events": events,
        "kinds": Event.Kind.choices,
        "years": years,
        "selected": {key: request.GET.get(key, "") for key in ("kind", "year")},
        "total_participants": sum(e.participants or 0 for e in events),
        "can_manage": participation_rules.can_manage_events(request.user),
    }
    return render(request, "participation/event_list.html", context)


@public_page
def event_detail(request: HttpRequest, exercise: str, event: str) -> HttpResponse:
    """An event: date, place, organiser, attendance, description, documents and photos."""
    exercise_obj = get_exercise_or_404(exercise)
    event_obj = get_object_or_404(
        Event.objects.select_related(
            "organizer", "part_of", "plan__exercise", "lab", "commitment__plan"
        ).prefetch_related(
            Prefetch("documents", queryset=Document.objects.order_by("kind", "title")),
            Prefetch("parts", queryset=Event.objects.order_by("held_on", "title")),
        ),
        exercise=exercise_obj,
        slug=event,
    )
    context = {
        "exercise": exercise_obj,
        "event": event_obj,
        "can_manage": participation_rules.can_manage_events(request.user),
    }
    return render(request, "participation/event_detail.html", context)


# ------------------------------------------------------------------------------ accounts


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


def signup(request: HttpRequest) -> HttpResponse:
    """A citizen opens an account (at most SIGNUP_LIMIT per address and hour)."""
    if request.user.is_authenticated:
        return redirect("home:index")
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        key = f"signup:{_client_address(request)}"
        if throttle.peek(key, limit=SIGNUP_LIMIT):
            return _too_many(
                request,
                _("Se han abierto demasiadas cuentas desde esta conexión. Inténtelo más tarde."),
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.citizen_sign_up(
                    username=data["username"],
                    first_name=data["first_name"],
                    last_name=data.get("last_name", ""),
                    email=data["email"],
                    password=data["password1"],
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                throttle.hit(key, limit=SIGNUP_LIMIT + 1, window=SIGNUP_WINDOW)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request, _("Bienvenida o bienvenido: ya puede proponer, apoyar y comentar.")
                )
                target = request.GET.get("next", "")
                if not url_has_allowed_host_and_scheme(
                    target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                ):
                    return redirect("home:index")
                return HttpResponseRedirect(target)
    return render(request, "participation/signup.html", {"form": form})
