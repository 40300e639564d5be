from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = _("Relationship")

    def ready(self) -> None:
        from .calendar.reminders import register_inbox_messages

        register_inbox_messages()
