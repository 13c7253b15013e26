from django.urls import path

from abierto.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("idioma/<str:code>/", views.language, name="language"),
    path("<slug:exercise>/", views.exercise_home, name="exercise"),
]
