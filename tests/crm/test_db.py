"""Helpers of ``crm.db`` the models share."""

import pytest
from django.utils import translation

from customers.models import Contact
from interactions.models import Interaction, OpenProblem
from retention.models import RiskFlag


def _django_label(instance, field_name):
    field = instance._meta.get_field(field_name)
    return dict(field.flatchoices).get(
        getattr(instance, field.attname), getattr(instance, field.attname)
    )


@pytest.mark.parametrize(
    "model, field_name",
    [
        (Interaction, "kind"),
        (Interaction, "tone"),
        (OpenProblem, "severity"),
        (OpenProblem, "status"),
        (OpenProblem, "category"),
        (RiskFlag, "reason"),
        (RiskFlag, "status"),
        (Contact, "preferred_channel"),
    ],
)
@pytest.mark.parametrize("language", ["en", "de"])
def test_a_choice_is_labelled_as_django_labels_it_in_the_readers_language(
    model, field_name, language
):
    field = model._meta.get_field(field_name)
    display = getattr(model, f"get_{field_name}_display")
    with translation.override(language):
        for value, label in field.flatchoices:
            instance = model(**{field.attname: value})
            assert display(instance) == str(label) == str(_django_label(instance, field_name))
        # A value outside the choices (a row of an older version): shown as it is.
        instance = model(**{field.attname: "retired"})
        assert display(instance) == "retired"
