"""Citizens sign up; their e-mail stays private; sign-ups are throttled per address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from abierto.core.models import User
from abierto.participation.factories import CommentFactory, ProposalFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/cuentas/registro/"


def _data(n: int = 0) -> dict[str, str]:
    return {
        "username": f"lucia{n}",
        "first_name": "Lucía",
        "last_name": "Pérez",
        "email": f"lucia{n}@correo-privado.example",
        "password1": "una-clave-bastante-larga-2017",
        "password2": "una-clave-bastante-larga-2017",
    }


def test_signup_page_is_under_accounts():
    assert reverse("accounts:signup") == SIGNUP


def test_a_citizen_signs_up_and_is_signed_in(client):
    response = client.post(SIGNUP, _data())
    assert response.status_code == 302
    user = User.objects.get(username="lucia0")
    assert user.email == "lucia0@correo-privado.example"
    assert user.check_password("una-clave-bastante-larga-2017")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_weak_password_is_refused_with_a_field_error(client):
    data = {**_data(), "password1": "12345", "password2": "12345"}
    response = client.post(SIGNUP, data)
    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not User.objects.filter(username="lucia0").exists()


def test_signup_needs_the_csrf_token():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(SIGNUP, _data())
    assert response.status_code == 403
    assert not User.objects.exists()


def test_too_many_signups_from_one_address_get_429(client):
    for n in range(5):
        client.logout()
        assert client.post(SIGNUP, _data(n)).status_code == 302
    client.logout()
    response = client.post(SIGNUP, _data(9))
    assert response.status_code == 429
    assert not User.objects.filter(username="lucia9").exists()


def test_the_email_never_appears_in_pages_exports_or_api(client, exercise, site):
    client.post(SIGNUP, _data())
    user = User.objects.get(username="lucia0")
    proposal = ProposalFactory(exercise=exercise, site=site, author=user)
    CommentFactory(proposal=proposal, author=user)
    client.logout()
    email = "correo-privado"
    urls = [
        f"/jalisco/participacion/propuestas/{proposal.pk}/",
        "/jalisco/participacion/propuestas/",
        "/jalisco/participacion/propuestas/?format=csv",
        "/jalisco/participacion/propuestas/?format=json",
        "/api/v1/proposals/",
        f"/api/v1/proposals/{proposal.pk}/",
        "/api/v1/comments/",
    ]
    for url in urls:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        text = body.decode()
        assert "Lucía Pérez" in text, url
        assert email not in text, url
