"""Comments: shown at once, rate limited, hidden (never deleted) by STL staff with a reason."""

from __future__ import annotations

import pytest

from abierto.participation.factories import CommentFactory
from abierto.participation.models import Comment
from abierto.participation.tests.conftest import url

pytestmark = pytest.mark.django_db


def test_a_citizen_comment_is_visible_at_once(client, citizen, proposal):
    client.force_login(citizen)
    client.post(url("comment_create", pk=proposal.pk), {"body": "Me parece _bien_."})
    client.logout()
    page = client.get(url("proposal", pk=proposal.pk)).content.decode()
    assert "<em>bien</em>" in page
    assert citizen.public_name in page


def test_an_oversize_comment_is_refused(client, citizen, proposal):
    client.force_login(citizen)
    response = client.post(url("comment_create", pk=proposal.pk), {"body": "x" * 2001}, follow=True)
    assert not Comment.objects.exists()
    assert "2000" in response.content.decode() or "2,000" in response.content.decode()


def test_a_comment_flood_gets_429_and_nothing_is_written(client, citizen, proposal):
    client.force_login(citizen)
    for n in range(5):
        assert (
            client.post(url("comment_create", pk=proposal.pk), {"body": f"c{n}"}).status_code == 302
        )
    response = client.post(url("comment_create", pk=proposal.pk), {"body": "uno más"})
    assert response.status_code == 429
    assert "demasiados comentarios" in response.content.decode()
    assert Comment.objects.count() == 5
    assert not Comment.objects.filter(body="uno más").exists()


def test_staff_hide_a_comment_with_a_public_reason(client, stl_staff, proposal):
    comment = CommentFactory(proposal=proposal, body="Insulto")
    client.force_login(stl_staff)
    response = client.post(url("comment_hide", pk=comment.pk), {"reason": "Lenguaje ofensivo."})
    assert response.status_code == 302
    client.logout()
    comment.refresh_from_db()
    assert comment.hidden and comment.hidden_by == stl_staff
    page = client.get(url("proposal", pk=proposal.pk)).content.decode()
    assert "Lenguaje ofensivo." in page and "Insulto" not in page
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert client.get("/api/v1/comments/").json()["count"] == 0


def test_hiding_needs_a_reason(client, stl_staff, proposal):
    comment = CommentFactory(proposal=proposal)
    client.force_login(stl_staff)
    client.post(url("comment_hide", pk=comment.pk), {"reason": ""})
    comment.refresh_from_db()
    assert not comment.hidden


def test_a_citizen_cannot_hide_a_comment(client, citizen, proposal):
    comment = CommentFactory(proposal=proposal)
    client.force_login(citizen)
    response = client.post(url("comment_hide", pk=comment.pk), {"reason": "No me gusta."})
    assert response.status_code == 403
    comment.refresh_from_db()
    assert not comment.hidden
