from django.urls import path

from abierto.core import views

app_name = "core"
urlpatterns = [
    path("idioma/<str:code>/", views.language, name="language"),
]
