"""The one rule of what a spreadsheet runs as a formula (``crm.spreadsheet``)."""

import pytest

from crm.spreadsheet import defuse, formula_in


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme GmbH", "Acme GmbH"),
        ("-5", "-5"),
        ("+49 (30) 1234-56", "+49 (30) 1234-56"),
        ("Coffee; - no sugar", "Coffee; - no sugar"),  # a space first: text
        ("=1+2", "'=1+2"),
        ("- cmd|' /C calc'!A0", "'- cmd|' /C calc'!A0"),
        ("Acme;=1+1;x", "Acme;'=1+1;x"),
        ("Acme,@SUM(A1),-2+3", "Acme,'@SUM(A1),'-2+3"),
        ("\t=1", "\t'=1"),
        ("Notes\r\n+HYPERLINK(1)", "Notes\r\n'+HYPERLINK(1)"),
        ("=1;=2", "'=1;'=2"),
    ],
)
def test_every_piece_that_starts_like_a_formula_is_defused(text, expected):
    assert defuse(text) == expected
    assert defuse(expected) == expected  # twice changes nothing more
    assert (formula_in(text) is None) is (text == expected)
    assert formula_in(expected) is None


def test_formula_in_names_the_piece_and_the_separator_before_it():
    assert formula_in("=1") == ("=1", "")
    assert formula_in("Acme;;=1+1;x") == ("=1+1", ";;")
    assert formula_in("-5,=2") == ("=2", ",")
