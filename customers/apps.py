from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from crm.i18n import register_sentences

        from .importers import TRANSFER_REASON
        from .services import register_inbox_messages

        register_sentences(TRANSFER_REASON)
        register_inbox_messages()
