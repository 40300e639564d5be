from django.urls import path

from . import views

urlpatterns = [
    # Public (no sign-in): the personal link of a survey email.
    path("<str:token>/", views.answer, name="survey_answer"),
]
