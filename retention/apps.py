from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from customers import cadence
        from interactions import feedback

        from . import follow
        from .health import flags
        from .models import ScoringConfiguration
        from .playbooks import triggers

        flags.register_inbox_messages()
        # Thresholds an admin edits here (feedback categories, the default cadence) are read
        # by the lower apps everywhere; they cannot import this one, so they are handed the reader.
        feedback.read_thresholds_from(ScoringConfiguration.thresholds_in_force)
        cadence.read_default_from(ScoringConfiguration.default_cadence_in_force)
        follow.subscribe()
        triggers.subscribe()
