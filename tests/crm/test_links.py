"""``crm.links.id_url``: the URL ``reverse()`` gives, without resolving the pattern per row."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import translation

from crm.links import id_url


@pytest.mark.parametrize(
    "viewname, rest",
    [
        ("customers:account_detail", ()),
        ("customers:contact_edit", ()),
        ("interactions:interaction_detail", ()),
        ("interactions:follow_up_done", ()),
        ("retention:flag_action", ("acknowledge",)),
        ("retention:flag_action", ("snooze",)),
    ],
)
@pytest.mark.parametrize("pk", [0, 1, 7, 12345, 2**31 - 1, 2**63 - 1])
def test_an_id_url_is_what_reverse_gives(viewname, rest, pk):
    assert id_url(viewname, pk, *rest) == reverse(viewname, args=[pk, *rest])


def test_an_id_url_follows_the_script_prefix():
    try:
        set_script_prefix("/crm/")
        assert id_url("customers:account_detail", 5) == "/crm/customers/5/"
        assert id_url("customers:account_detail", 5) == reverse(
            "customers:account_detail", args=[5]
        )
    finally:
        set_script_prefix("/")
    assert id_url("customers:account_detail", 5) == "/customers/5/"


def test_an_id_url_is_the_same_in_every_language():
    with translation.override("de"):
        german = id_url("retention:flag_action", 3, "resolve")
    assert german == id_url("retention:flag_action", 3, "resolve")


@pytest.mark.parametrize("pk", [None, -1, "abc", "12"])
def test_what_is_no_id_is_left_to_reverse(pk):
    try:
        expected = reverse("customers:account_detail", args=[pk])
    except NoReverseMatch:
        with pytest.raises(NoReverseMatch):
            id_url("customers:account_detail", pk)
    else:
        assert id_url("customers:account_detail", pk) == expected


def test_a_url_without_the_id_in_it_is_refused():
    with pytest.raises(NoReverseMatch):
        id_url("retention:portfolio", 1)
