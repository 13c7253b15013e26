from django.urls import path

from abierto.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.national, name="national"),
]
