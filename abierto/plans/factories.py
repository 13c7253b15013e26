from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from abierto.core.factories import ExerciseFactory, UserFactory
from abierto.plans.models import (
    ActionPlan,
    Commitment,
    Committee,
    CommitteeMember,
    Meeting,
    Milestone,
    Pillar,
    ProgressUpdate,
    Theme,
    Verification,
)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Tema {n}")
    slug = factory.Sequence(lambda n: f"tema-{n}")


class PillarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pillar
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"pilar-{n}")
    name = factory.Sequence(lambda n: f"Pilar {n}")


class ActionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionPlan

    exercise = factory.SubFactory(ExerciseFactory)
    title = factory.Sequence(lambda n: f"Plan de Acción Local {n}")
    slug = factory.Sequence(lambda n: f"plan-{n}")
    start_year = 2016
    end_year = 2018
    status = ActionPlan.Status.IMPLEMENTATION


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment
        skip_postgeneration_save = True

    plan = factory.SubFactory(ActionPlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Compromiso {n}")
    slug = factory.Sequence(lambda n: f"compromiso-{n}")
    objective = "Objetivo del compromiso."
    theme = factory.SubFactory(ThemeFactory)

    @factory.post_generation
    def lead_implementers(self, create, extracted, **kwargs):
        if create and extracted:
            self.lead_implementers.set(extracted)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    commitment = factory.SubFactory(CommitmentFactory)
    position = factory.Sequence(lambda n: n + 1)
    description = factory.Sequence(lambda n: f"Meta {n}")
    weight = 1
    start_on = dt.date(2017, 1, 1)
    due_on = dt.date(2030, 12, 31)


class ProgressUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    milestone = factory.SubFactory(MilestoneFactory)
    percent = 50
    narrative = "Avance reportado."
    reported_by = factory.SubFactory(UserFactory)
    reported_at = factory.LazyFunction(timezone.now)


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Committee

    commitment = factory.SubFactory(CommitmentFactory)


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommitteeMember

    committee = factory.SubFactory(CommitteeFactory)
    role = CommitteeMember.Role.CIVIL_SOCIETY
    user = factory.SubFactory(UserFactory)


class VerificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Verification

    update = factory.SubFactory(ProgressUpdateFactory)
    verifier = factory.SubFactory(UserFactory)
    verdict = Verification.Verdict.CONFIRMED


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    exercise = factory.SubFactory(ExerciseFactory)
    kind = Meeting.Kind.LIAISON
    held_on = dt.date(2017, 5, 10)
