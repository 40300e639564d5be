from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Retention")

    def ready(self) -> None:
        from interactions import feedback

        from .health import wording
        from .models import ScoringConfiguration

        wording.register()
        # The feedback thresholds an admin edits here sort feedback everywhere (the lower app
        # cannot import this one: it is handed the reader).
        feedback.read_thresholds_from(ScoringConfiguration.thresholds_in_force)
