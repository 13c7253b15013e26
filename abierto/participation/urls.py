"""Public pages of co-creation and events, under /<exercise>/participacion/."""

from django.urls import path

from abierto.participation import staff, views

app_name = "participation"
urlpatterns = [
    path("", views.lab_list, name="labs"),
    path("laboratorios/<slug:lab>/", views.lab_detail, name="lab"),
    path("laboratorios/<slug:lab>/sedes/<slug:site>/", views.site_detail, name="site"),
    path("propuestas/", views.proposal_list, name="proposals"),
    path("propuestas/nueva/", views.proposal_create, name="proposal_create"),
    path("propuestas/<int:pk>/", views.proposal_detail, name="proposal"),
    path("propuestas/<int:pk>/apoyar/", views.proposal_support, name="proposal_support"),
    path("propuestas/<int:pk>/comentar/", views.comment_create, name="comment_create"),
    path("propuestas/<int:pk>/moderar/", views.proposal_moderate, name="proposal_moderate"),
    path("comentarios/<int:pk>/ocultar/", views.comment_hide, name="comment_hide"),
    path("eventos/", views.event_list, name="events"),
    path("eventos/<slug:event>/", views.event_detail, name="event"),
    # Staff pages (STL staff): lab content and events, without the admin.
    path("gestion/eventos/nuevo/", staff.event_edit, name="event_create"),
    path("gestion/eventos/<slug:event>/", staff.event_edit, name="event_edit"),
    path(
        "gestion/eventos/<slug:event>/documentos/nuevo/",
        staff.event_document_create,
        name="event_document_create",
    ),
    path("gestion/<slug:lab>/talleres/nuevo/", staff.workshop_edit, name="workshop_create"),
    path("gestion/<slug:lab>/talleres/<int:pk>/", staff.workshop_edit, name="workshop_edit"),
    path("gestion/<slug:lab>/problemas/nuevo/", staff.problem_edit, name="problem_create"),
    path("gestion/<slug:lab>/problemas/<int:pk>/", staff.problem_edit, name="problem_edit"),
    path("gestion/<slug:lab>/soluciones/nueva/", staff.solution_edit, name="solution_create"),
    path("gestion/<slug:lab>/soluciones/<int:pk>/", staff.solution_edit, name="solution_edit"),
]
