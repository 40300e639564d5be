from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("customers/", include("customers.urls")),
    path("interactions/", include("interactions.urls")),
    path("retention/", include("retention.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
]

admin.site.site_header = "Treue"
admin.site.site_title = "Treue admin"
admin.site.index_title = "Administration"

if settings.DEBUG:
    urlpatterns += []
