"""Citizen accounts, under /cuentas/ (log in and out are Django's, beside these)."""

from django.urls import path

from abierto.participation import views

app_name = "accounts"
urlpatterns = [
    path("registro/", views.signup, name="signup"),
]
