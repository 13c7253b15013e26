"""Public pages of the plans, under /<exercise>/planes/."""

from django.urls import path, re_path

from abierto.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("<slug:plan>/", views.dashboard, name="dashboard"),
    re_path(
        r"^(?P<plan>[-\w]+)/metas\.(?P<fmt>csv|json)$",
        views.milestones_export,
        name="milestones_export",
    ),
    re_path(
        r"^(?P<plan>[-\w]+)/avances\.(?P<fmt>csv|json)$",
        views.updates_export,
        name="updates_export",
    ),
    path(
        "<slug:plan>/compromisos/<slug:commitment>/",
        views.commitment_detail,
        name="commitment",
    ),
]
