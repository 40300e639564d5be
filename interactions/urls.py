from django.urls import path

from . import views
from .surveys import views as survey_views

app_name = "interactions"

urlpatterns = [
    path("log/", views.interaction_log, name="log"),
    path("<int:pk>/", views.interaction_detail, name="interaction_detail"),
    path("<int:pk>/edit/", views.interaction_edit, name="interaction_edit"),
    path("accounts/<int:pk>/brief/", views.handover_brief, name="brief"),
    path("accounts/<int:pk>/follow-ups/new/", views.follow_up_create, name="follow_up_create"),
    path("accounts/<int:pk>/problems/new/", views.problem_create, name="problem_create"),
    path("accounts/<int:pk>/feedback/new/", views.feedback_create, name="feedback_create"),
    path("accounts/<int:pk>/survey/", survey_views.send, name="survey_send"),
    path("surveys/report/", survey_views.report, name="survey_report"),
    path("surveys/answers.csv", survey_views.answers_export, name="survey_answers_export"),
    path("follow-ups/<int:pk>/edit/", views.follow_up_edit, name="follow_up_edit"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("follow-ups/<int:pk>/reopen/", views.follow_up_reopen, name="follow_up_reopen"),
    path("problems/<int:pk>/edit/", views.problem_edit, name="problem_edit"),
    path("feedback/<int:pk>/edit/", views.feedback_edit, name="feedback_edit"),
]
