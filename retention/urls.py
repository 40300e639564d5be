from django.urls import path

from . import views, views_flags, views_report

app_name = "retention"

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/export.csv", views.portfolio_export, name="portfolio_export"),
    path("team/", views.team_dashboard, name="team_dashboard"),
    # The at-risk list (crm.context_processors links to it when /retention/at-risk/ resolves).
    path("at-risk/", views_flags.at_risk, name="at_risk"),
    path("at-risk/export.csv", views_flags.at_risk_export, name="at_risk_export"),
    path("at-risk/<int:pk>/", views_flags.at_risk_row, name="at_risk_row"),
    path("at-risk/<int:pk>/<str:action>/", views_flags.flag_action, name="flag_action"),
    # The retention report (crm.context_processors links to it when /retention/report/ resolves).
    path("report/", views_report.report, name="report"),
    path("report/accounts/", views_report.report_accounts, name="report_accounts"),
]
