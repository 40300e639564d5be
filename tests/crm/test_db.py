"""Helpers of ``crm.db``: choice labels the models share, counts in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from crm.db import counts
from customers.models import Account, Contact
from interactions.models import Interaction, OpenProblem
from retention.models import RiskFlag
from tests.factories import AccountFactory, UserFactory


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


@pytest.mark.django_db
def test_counts_are_those_of_count_in_one_query(django_assert_num_queries):
    csm = UserFactory()
    AccountFactory.create_batch(3, owner=csm)
    AccountFactory.create_batch(2)
    mine = Account.objects.filter(owner=csm)
    users = get_user_model().objects.all()
    with django_assert_num_queries(1):
        found = counts(mine=mine, users=users, nothing=Account.objects.none())
    assert found == {"mine": 3, "users": users.count(), "nothing": 0}
    with django_assert_num_queries(0):
        assert counts(nothing=Account.objects.none()) == {"nothing": 0}
    with pytest.raises(ValueError):
        counts(distinct=mine.distinct())
