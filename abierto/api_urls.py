"""The platform's REST API, versioned (/api/v1/…), with its OpenAPI document and docs page.

The CKAN Action API will live beside it, at /api/3/action/.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from abierto.core import api as core_api
from abierto.core.pagecache import public_page
from abierto.participation import api as participation_api
from abierto.plans import api as plans_api
from abierto.reports import api as reports_api
from abierto.secretariat import api as secretariat_api

app_name = "api"

router = DefaultRouter()
router.register("jurisdictions", core_api.JurisdictionViewSet, basename="jurisdiction")
router.register("organizations", core_api.OrganizationViewSet, basename="organization")
router.register("exercises", core_api.ExerciseViewSet, basename="exercise")
router.register("reported-figures", core_api.ReportedFigureViewSet, basename="reportedfigure")
router.register("documents", core_api.DocumentViewSet, basename="document")
router.register("secretariats", secretariat_api.SecretariatViewSet, basename="secretariat")
router.register("seats", secretariat_api.SeatViewSet, basename="seat")
router.register("memberships", secretariat_api.MembershipViewSet, basename="membership")
router.register("liaisons", secretariat_api.LiaisonViewSet, basename="liaison")
router.register("sessions", secretariat_api.SessionViewSet, basename="session")
router.register("agreements", secretariat_api.AgreementViewSet, basename="agreement")
router.register("themes", plans_api.ThemeViewSet, basename="theme")
router.register("pillars", plans_api.PillarViewSet, basename="pillar")
router.register("plans", plans_api.ActionPlanViewSet, basename="actionplan")
router.register("commitments", plans_api.CommitmentViewSet, basename="commitment")
router.register("milestones", plans_api.MilestoneViewSet, basename="milestone")
router.register("progress-updates", plans_api.ProgressUpdateViewSet, basename="progressupdate")
router.register("verifications", plans_api.VerificationViewSet, basename="verification")
router.register("committees", plans_api.CommitteeViewSet, basename="committee")
router.register("meetings", plans_api.MeetingViewSet, basename="meeting")
router.register("labs", participation_api.LabViewSet, basename="lab")
router.register("lab-sites", participation_api.SiteViewSet, basename="site")
router.register("workshops", participation_api.WorkshopViewSet, basename="workshop")
router.register("problems", participation_api.ProblemViewSet, basename="problem")
router.register("proposals", participation_api.ProposalViewSet, basename="proposal")
router.register("comments", participation_api.CommentViewSet, basename="comment")
router.register("solutions", participation_api.SolutionViewSet, basename="solution")
router.register("events", participation_api.EventViewSet, basename="event")

# Anonymous reads (the many: harvesters, dashboards, citizens) are served from the page cache,
# exact because it is versioned by the audit log; token holders always get a fresh answer.
v1_urls = router.urls
for pattern in v1_urls:
    pattern.callback = public_page(pattern.callback)

urlpatterns = [
    path("v1/national/", public_page(reports_api.NationalView.as_view()), name="national"),
    path("v1/", include(v1_urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", core_api.docs, name="docs"),
]
