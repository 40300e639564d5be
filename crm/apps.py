from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Teams and users")


class CrmAdminConfig(admin_apps.AdminConfig):
    """Django's admin with our site as ``admin.site`` (date lookups checked on every
    changelist: ``crm.admin_site``). Named in ``INSTALLED_APPS``; not the ``crm`` app's."""

    default = False
    default_site = "crm.admin_site.TreueAdminSite"
