import pytest


@pytest.mark.django_db
def test_home_answers_in_spanish(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="es"' in response.content.decode()
