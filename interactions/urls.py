from django.urls import path

from . import views

app_name = "interactions"

urlpatterns = [
    path("<int:pk>/", views.interaction_detail, name="interaction_detail"),
]
