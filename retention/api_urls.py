"""The REST API's routes, ``/api/v1/...``: the composition root of every app's viewsets.

It lives in ``retention`` because this is the one app that may import all the others;
``crm/urls.py`` includes it under ``api/`` next to the schema and its docs.
"""

from django.urls import include, path
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter

from crm.api import TokenObtainThrottle
from crm.me import MeView, RotateCalendarFeedView
from customers import api as customers_api
from interactions import api as interactions_api
from interactions.search.api import SearchView
from interactions.surveys import api as surveys_api

from . import api
from .playbooks import api as playbooks_api

router = DefaultRouter()
router.include_format_suffixes = False
router.register("segments", customers_api.SegmentViewSet, basename="segment")
router.register("accounts", customers_api.AccountViewSet, basename="account")
router.register("contacts", customers_api.ContactViewSet, basename="contact")
router.register("contracts", customers_api.ContractViewSet, basename="contract")
router.register("interactions", interactions_api.InteractionViewSet, basename="interaction")
router.register("follow-ups", interactions_api.FollowUpViewSet, basename="follow-up")
router.register("problems", interactions_api.OpenProblemViewSet, basename="problem")
router.register("feedback", interactions_api.FeedbackViewSet, basename="feedback")
router.register("surveys", surveys_api.SurveyViewSet, basename="survey")
router.register("survey-responses", surveys_api.SurveyResponseViewSet, basename="survey-response")
router.register("health-scores", api.HealthScoreViewSet, basename="health-score")
router.register("risk-flags", api.RiskFlagViewSet, basename="risk-flag")
router.register("playbooks", playbooks_api.PlaybookViewSet, basename="playbook")
router.register("playbook-runs", playbooks_api.PlaybookRunViewSet, basename="playbook-run")
router.register("tasks", playbooks_api.TaskViewSet, basename="task")

app_name = "api"

urlpatterns = [
    path(
        "v1/accounts/<int:account_id>/health/",
        api.AccountHealthView.as_view(),
        name="account-health",
    ),
    path("v1/retention/", api.RetentionView.as_view(), name="retention"),
    path(
        "v1/auth/token/",
        ObtainAuthToken.as_view(throttle_classes=[TokenObtainThrottle]),
        name="token",
    ),
    path("v1/me/", MeView.as_view(), name="me"),
    path("v1/search/", SearchView.as_view(), name="search"),
    path(
        "v1/me/calendar-feed/rotate/",
        RotateCalendarFeedView.as_view(),
        name="me-calendar-feed-rotate",
    ),
    path("v1/", include(router.urls)),
]
