"""The admin's add and change forms (accounts with their contact and contract inlines,
contracts, contacts, interactions, follow-ups, problems, feedback, transfers, churn records,
segments), fed hostile values. The admin's forms carry the services' checks, so a bad entry is a
form error, never a 500, and a refused form writes nothing."""

import datetime as dt

import pytest
from django.contrib.admin.widgets import AutocompleteMixin
from django.forms import MultiWidget
from django.urls import reverse
from hypothesis import example, given

from ..factories import ChurnReasonFactory, make_customer
from .nasty import (
    EXAMPLES_PER_CASE,
    apply,
    assert_refused_cleanly,
    baseline,
    fuzz_settings,
    hostile_for,
    overrides,
    rolled_back,
)

pytestmark = pytest.mark.django_db

# name -> url(world)
ADMIN_FORMS = {
    "account_add": lambda w: reverse("admin:customers_account_add"),
    "account_change": lambda w: reverse("admin:customers_account_change", args=[w["account"].pk]),
    "contract_add": lambda w: reverse("admin:customers_contract_add"),
    "contract_change": lambda w: reverse(
        "admin:customers_contract_change", args=[w["contract"].pk]
    ),
    "contact_change": lambda w: reverse("admin:customers_contact_change", args=[w["contact"].pk]),
    "segment_add": lambda w: reverse("admin:customers_segment_add"),
    "transfer_add": lambda w: reverse("admin:customers_ownershiptransfer_add"),
    "churn_add": lambda w: reverse("admin:customers_churnrecord_add"),
    "interaction_change": lambda w: reverse(
        "admin:interactions_interaction_change", args=[w["interaction"].pk]
    ),
    "follow_up_change": lambda w: reverse(
        "admin:interactions_followup_change", args=[w["follow_up"].pk]
    ),
    "problem_change": lambda w: reverse(
        "admin:interactions_openproblem_change", args=[w["problem"].pk]
    ),
    "feedback_change": lambda w: reverse(
        "admin:interactions_feedback_change", args=[w["feedback"].pk]
    ),
}
# Valid values for the add forms' required fields (the change forms start from the row).
FILL = {
    "account_add": lambda w: {"name": "Neu GmbH", "contracts-0-reference": ""},
    "contract_add": lambda w: {
        "account": w["account"].pk,
        "reference": "C-NEU",
        "monthly_value": "10.00",
        "start_date": "2025-01-01",
    },
    "segment_add": lambda w: {"name": "Public sector"},
    "transfer_add": lambda w: {
        "account": w["account"].pk,
        "to_owner": w["teammate"].pk,
        "reason": "Rebalancing",
    },
    "churn_add": lambda w: {
        "account": make_customer(since=dt.date(2024, 1, 1), end_date=dt.date(2025, 1, 31)).pk,
        "reason": ChurnReasonFactory().pk,
    },
}


def _as_post(value):
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_as_post(v) for v in value]
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def _form_data(form) -> dict:
    """What the browser would send back for ``form`` as rendered (prefixes, split widgets)."""
    data = {}
    for name, field in form.fields.items():
        bound = form[name]
        value = bound.value()
        key = bound.html_name
        if isinstance(field.widget, MultiWidget):
            parts = value if isinstance(value, list | tuple) else field.widget.decompress(value)
            for i, part in enumerate(parts):
                data[f"{key}_{i}"] = _as_post(
                    part.strftime("%H:%M:%S") if isinstance(part, dt.time) else part
                )
        elif isinstance(value, bool):
            if value:
                data[key] = "on"
        else:
            data[key] = _as_post(value)
    return data


def _autocompleted(form) -> set[str]:
    return {
        form[name].html_name
        for name, field in form.fields.items()
        if isinstance(getattr(field.widget, "widget", field.widget), AutocompleteMixin)
    }


def _admin_data(client, url: str) -> tuple[dict, set[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    form = response.context["adminform"].form
    data, autocompleted = _form_data(form), _autocompleted(form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_form_data(formset.management_form))
        for form in formset.forms:
            data.update(_form_data(form))
            autocompleted |= _autocompleted(form)
    return data, autocompleted


def _base(client, world, name):
    client.force_login(world["admin"])
    data, autocompleted = _admin_data(client, ADMIN_FORMS[name](world))
    data.update(FILL.get(name, lambda w: {})(world))
    return data, autocompleted


def _post(client, world, name, data):
    with rolled_back():
        before = baseline()
        response = client.post(ADMIN_FORMS[name](world), data)
        assert_refused_cleanly(response, before, f"admin {name} {sorted(data)}")
    return response


@pytest.mark.parametrize("name", ADMIN_FORMS)
def test_the_admin_form_as_rendered_saves(client, world, name):
    response = _post(client, world, name, _base(client, world, name)[0])
    errors = response.context and response.context.get("errors")
    assert response.status_code == 302, errors


@pytest.mark.hypothesis  # its @given is inside: `make fuzz` runs it
@pytest.mark.parametrize("name", ADMIN_FORMS)
def test_admin_forms_refuse_hostile_values(client, world, name):
    base, autocompleted = _base(client, world, name)
    # An autocomplete field sends an id; anything else crashes Django's widget (see below).
    fields = [k for k in base if not k.endswith(("FORMS", "-id", "-account"))]
    # The form itself and the first row of each inline (the other rows are the same fields).
    fields = [k for k in fields if k not in autocompleted and ("-" not in k or "-0-" in k)]
    for field in fields:
        for value in hostile_for(base[field]):
            _post(client, world, name, {**base, field: value})
    for field in autocompleted:
        for value in ("", "-1", "999999999"):
            _post(client, world, name, {**base, field: value})

    if not fields:
        return

    @fuzz_settings(EXAMPLES_PER_CASE)
    @given(changes=overrides(fields))
    @example(changes=dict.fromkeys(fields, "9999-12-31"))
    def run(changes):
        _post(client, world, name, apply(base, changes))

    run()


def test_an_autocomplete_field_with_a_word_for_an_id(client, world):
    # Django 5.2's AutocompleteSelect filtered by the raw posted value when it redisplayed a
    # refused form (ValueError, a 500); crm.admin_widgets drops what the key cannot hold.
    client.force_login(world["admin"])
    base, _autocompleted = _base(client, world, "contract_change")
    response = client.post(ADMIN_FORMS["contract_change"](world), {**base, "account": "abc"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("end_date", "9999-12-31"), ("start_date", "0001-01-01"), ("cancelled_on", "3000-01-01")],
)
def test_a_contract_day_beyond_the_ledger_is_a_form_error(client, world, field, value):
    base, _autocompleted = _base(client, world, "contract_change")
    response = _post(client, world, "contract_change", {**base, field: value})
    assert response.status_code == 200
    assert "Give a day between 1900 and 2999." in response.content.decode()
