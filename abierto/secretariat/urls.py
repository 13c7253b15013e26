"""Public pages of the STL, under /<exercise>/stl/."""

from django.urls import path

from abierto.secretariat import views

app_name = "secretariat"
urlpatterns = [
    path("", views.detail, name="detail"),
    path("sesiones/", views.session_list, name="sessions"),
    path("sesiones/<int:pk>/", views.session_detail, name="session"),
    path("acuerdos/", views.agreement_list, name="agreements"),
]
