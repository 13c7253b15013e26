from __future__ import annotations

import pytest

from abierto.core.factories import ExerciseFactory, JurisdictionFactory
from abierto.participation.factories import LabFactory, SiteFactory


@pytest.fixture
def exercise(db):
    return ExerciseFactory(
        jurisdiction=JurisdictionFactory(inegi_code="14", name="Jalisco", slug="jalisco"),
        slug="jalisco",
    )


@pytest.fixture
def lab(exercise):
    return LabFactory(exercise=exercise, name="Laboratorio Itinerante", slug="liiga")


@pytest.fixture
def site(lab):
    return SiteFactory(lab=lab)


@pytest.fixture
def proposal(exercise, site):
    from abierto.participation.factories import ProposalFactory

    return ProposalFactory(exercise=exercise, site=site, title="Más alumbrado público")


def url(name: str, **kwargs) -> str:
    from django.urls import reverse

    return reverse(f"participation:{name}", kwargs={"exercise": "jalisco", **kwargs})
