from django.urls import path

from .figures import views as report_views
from .health import at_risk, selection
from .health import views as health_views
from .playbooks import views as playbook_views

app_name = "retention"

urlpatterns = [
    path("portfolio/", health_views.portfolio, name="portfolio"),
    path("portfolio/export.csv", health_views.portfolio_export, name="portfolio_export"),
    path("team/", health_views.team_dashboard, name="team_dashboard"),
    # The at-risk list (crm.context_processors links to it when /retention/at-risk/ resolves).
    path("at-risk/", at_risk.at_risk, name="at_risk"),
    path("at-risk/export.csv", at_risk.at_risk_export, name="at_risk_export"),
    path("at-risk/<int:pk>/", at_risk.at_risk_row, name="at_risk_row"),
    path("at-risk/<int:pk>/<str:action>/", at_risk.flag_action, name="flag_action"),
    # A survey to the decision makers and champions of a selection in a list.
    path("selection/survey/", selection.send_survey, name="survey_selection"),
    # The retention report (crm.context_processors links to it when /retention/report/ resolves).
    path("report/", report_views.report, name="report"),
    path("report/accounts/", report_views.report_accounts, name="report_accounts"),
    # Playbooks: the account page's panel, a step's actions, the lead's overview, campaigns.
    path("plays/", playbook_views.plays_overview, name="plays"),
    path("plays/start/", playbook_views.start_play, name="start_play"),
    path("plays/account/<int:pk>/", playbook_views.account_plays, name="account_plays"),
    path("plays/step/<int:pk>/done/", playbook_views.step_done, name="step_done"),
    path("plays/step/<int:pk>/skip/", playbook_views.step_skip, name="step_skip"),
    path("plays/run/<int:pk>/cancel/", playbook_views.run_cancel, name="run_cancel"),
]
