"""Signing in: an accessible form, and throttling of repeated failures (django-axes)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from abierto.core.factories import UserFactory

PASSWORD = "contrasena-de-prueba-123"


@pytest.mark.django_db
def test_login_page_labels_its_inputs(client):
    html = client.get(reverse("login")).content.decode()

    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html
    assert "style=" not in html


@pytest.mark.django_db
def test_right_password_signs_in(client):
    UserFactory(username="implementadora")

    response = client.post(reverse("login"), {"username": "implementadora", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_wrong_password_is_announced(client):
    UserFactory(username="implementadora")

    response = client.post(reverse("login"), {"username": "implementadora", "password": "mala"})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_after_the_failure_limit_even_the_right_password_is_refused(client):
    UserFactory(username="implementadora")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "implementadora", "password": "mala"})

    response = client.post(reverse("login"), {"username": "implementadora", "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "demasiados intentos" in response.content.decode()


@pytest.mark.django_db
def test_the_lockout_is_per_username(client):
    UserFactory(username="implementadora")
    UserFactory(username="otra")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "implementadora", "password": "mala"})

    response = client.post(reverse("login"), {"username": "otra", "password": PASSWORD})

    assert response.status_code == 302
