from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views
from .admin_import import import_csv_view

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("customers.urls")),
    path("interactions/", include("interactions.urls")),
    path("retention/", include("retention.urls")),
    path("calendar/", include("interactions.calendar.urls")),
    path("search/", include("interactions.search.urls")),
    # The REST API (/api/v1/...), its OpenAPI 3 schema and docs (served from package files).
    path("api/", include("retention.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file (?script): no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/import/", admin.site.admin_view(import_csv_view), name="admin_import_csv"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    # The only public page besides sign-in: a survey's personal link (interactions.surveys).
    path("s/", include("interactions.surveys.urls")),
    # Browsers ask for /favicon.ico on every page (the admin's and the API docs' too).
    path(
        "favicon.ico",
        RedirectView.as_view(url=static("crm/favicon.svg"), permanent=True),
        name="favicon",
    ),
    path("language/", views.set_language, name="set_language"),
    path("settings/", views.user_settings, name="user_settings"),
    path(
        "settings/calendar-feed/rotate/",
        views.rotate_calendar_feed,
        name="rotate_calendar_feed",
    ),
    path("inbox/", views.inbox_list, name="inbox"),
    path("inbox/read/", views.inbox_read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/", views.inbox_open, name="inbox_open"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
]

admin.site.site_header = "Treue"
admin.site.site_title = _("Treue admin")
admin.site.index_title = _("Administration")
