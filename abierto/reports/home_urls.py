from django.urls import path

from abierto.reports import home

app_name = "home"
urlpatterns = [
    path("", home.home, name="index"),
    path("<slug:exercise>/", home.exercise_home, name="exercise"),
]
