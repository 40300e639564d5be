"""Every registered admin changelist (ours and the packages'), fed hostile date lookups in
its query string: a year past any calendar, month 13, day 0, words, bounds that overflow.
The answer is the list (the bad parameter left out, with a warning), never a 500."""

import datetime as dt

import pytest
from django.contrib import admin
from django.db import models
from django.urls import reverse

from crm.admin_site import SafeDateLookups
from customers.models import Contract
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db

HUGE = "1" + "0" * 25


def _date_fields(model_admin) -> list[str]:
    """The date and datetime fields a changelist filters by: its date hierarchy, its list
    filters and the model's own (the admin allows lookups on any local field)."""
    model = model_admin.model
    names = {f.name for f in model._meta.get_fields() if isinstance(f, models.DateField)}
    if model_admin.date_hierarchy:
        names.add(model_admin.date_hierarchy)
    for spec in model_admin.list_filter:
        name = spec if isinstance(spec, str) else spec[0] if isinstance(spec, tuple) else None
        if name and "__" not in name:
            field = model._meta.get_field(name)
            if isinstance(field, models.DateField):
                names.add(name)
    return sorted(names)


def _hostile(field: str) -> list[dict]:
    return [
        {f"{field}__year": HUGE},
        {f"{field}__year": "9999"},
        {f"{field}__year": "10000"},
        {f"{field}__year": "0"},
        {f"{field}__year": "-5"},
        {f"{field}__year": "abc"},
        {f"{field}__year": "2026", f"{field}__month": "13"},
        {f"{field}__year": "9999", f"{field}__month": "12"},
        {f"{field}__year": "2026", f"{field}__month": "0"},
        {f"{field}__year": "2026", f"{field}__month": "2", f"{field}__day": "0"},
        {f"{field}__year": "2026", f"{field}__month": "2", f"{field}__day": "31"},
        {f"{field}__year": "9999", f"{field}__month": "12", f"{field}__day": "31"},
        {f"{field}__month": HUGE},
        {f"{field}__day": "x"},
        {f"{field}__gte": "garbage"},
        {f"{field}__gte": "0001-01-01"},
        {f"{field}__lt": "9999-12-31 23:59:59"},
        {f"{field}__lte": HUGE},
        {f"{field}__range": "2026-01-01,nope"},
        {f"{field}__isnull": "maybe"},
        {f"{field}__date": "2026-02-30"},
        {f"{field}__week_day": HUGE},
        {f"{field}__quarter": "-1"},
        {field: "garbage"},
    ]


ADMINS = sorted(
    (
        (f"{model._meta.app_label}.{model._meta.model_name}", model_admin)
        for model, model_admin in admin.site._registry.items()
        if _date_fields(model_admin)
    ),
    key=lambda case: case[0],
)


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize(("label", "model_admin"), ADMINS, ids=[label for label, _a in ADMINS])
def test_a_hostile_date_lookup_is_no_server_error(client, admin_user, label, model_admin):
    client.force_login(admin_user)
    fields = _date_fields(model_admin)
    # Each hostile pattern on every date field of the changelist at once.
    for n in range(len(_hostile("f"))):
        params = {k: v for field in fields for k, v in _hostile(field)[n].items()}
        response = client.get(changelist(model_admin.model), params)
        assert response.status_code < 500, (label, params)


def test_every_admin_with_a_date_is_walked():
    assert {"customers.contract", "crm.inboxitem", "axes.accessattempt"} <= {
        label for label, _admin in ADMINS
    }


def test_a_bad_date_lookup_is_left_out_with_a_warning_and_the_rest_applies(client, admin_user):
    ContractFactory(reference="OLD-1", start_date=dt.date(2020, 5, 1))
    ContractFactory(reference="NEW-1", start_date=dt.date(2026, 5, 1))
    client.force_login(admin_user)

    response = client.get(
        changelist(Contract),
        {"start_date__year": HUGE, "q": "NEW", "renewal_confirmed__exact": "0"},
    )

    assert response.status_code == 200
    assert [c.reference for c in response.context["cl"].result_list] == ["NEW-1"]
    warnings = [str(m) for m in response.context["messages"]]
    assert warnings == ["Left out a date filter that names no date: start_date__year."]


def test_a_good_date_lookup_still_filters(client, admin_user):
    ContractFactory(reference="OLD-1", start_date=dt.date(2020, 5, 1))
    ContractFactory(reference="NEW-1", start_date=dt.date(2026, 5, 1))
    client.force_login(admin_user)

    response = client.get(
        changelist(Contract), {"start_date__year": "2020", "start_date__month": "5"}
    )

    assert [c.reference for c in response.context["cl"].result_list] == ["OLD-1"]
    assert list(response.context["messages"]) == []


def test_every_model_admin_registers_with_the_checked_site():
    assert all(isinstance(a, SafeDateLookups) for a in admin.site._registry.values())
