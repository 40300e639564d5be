from django.urls import path

from . import views

app_name = "calendar"

urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
    path("accounts/<int:pk>/plan/", views.plan_meeting, name="plan_meeting"),
    path("planned-meetings/<int:pk>/edit/", views.planned_edit, name="planned_edit"),
    path("planned-meetings/<int:pk>/cancel/", views.planned_cancel, name="planned_cancel"),
    path("planned-meetings/<int:pk>/hold/", views.planned_hold, name="planned_hold"),
]
