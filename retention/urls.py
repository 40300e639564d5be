from django.urls import path

from . import views

app_name = "retention"

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/export.csv", views.portfolio_export, name="portfolio_export"),
    path("team/", views.team_dashboard, name="team_dashboard"),
]
