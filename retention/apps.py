from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from customers import cadence

        from .health import flags, wording
        from .models import ScoringConfiguration

        wording.register()
        flags.register_inbox_messages()
        # The default cadence an admin edits here is the one every page measures touches
        # against (the lower apps cannot import this one: they are handed the reader).
        cadence.read_default_from(ScoringConfiguration.default_cadence_in_force)
