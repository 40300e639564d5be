"""The template library every page may load (``{% load treue %}``): the band and trend
badges, the ``date`` filter that writes what Django's writes, and ``{% id_url %}``."""

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _render(source: str, **context) -> str:
    return Template("{% load treue %}" + source).render(Context(context))


@pytest.mark.parametrize(
    "language, band, html",
    [
        ("en", "red", '<span class="band band-red">Red</span>\n'),
        ("en", "yellow", '<span class="band band-yellow">Yellow</span>\n'),
        ("en", "green", '<span class="band band-green">Green</span>\n'),
        ("en", None, '<span class="band band-none" title="Not scored yet">—</span>\n'),
        ("en", "", '<span class="band band-none" title="Not scored yet">—</span>\n'),
        ("en", "purple", '<span class="band band-none" title="Not scored yet">—</span>\n'),
        ("de", "red", '<span class="band band-red">Rot</span>\n'),
        ("de", None, '<span class="band band-none" title="Noch nicht bewertet">—</span>\n'),
    ],
)
def test_a_band_is_shown_as_its_badge_in_the_readers_language(language, band, html):
    with translation.override(language):
        assert _render("{% band value %}", value=band) == html


@pytest.mark.parametrize(
    "trend, html",
    [
        (None, '<span class="trend-flat">·</span>\n'),
        (12, '<span class="trend-up" title="up over 30 days">▲ 12</span>\n'),
        (5, '<span class="trend-up" title="up over 30 days">▲ 5</span>\n'),
        (4, '<span class="trend-flat" title="steady">▶ 4</span>\n'),
        (0, '<span class="trend-flat" title="steady">▶ 0</span>\n'),
        (-4, '<span class="trend-flat" title="steady">▶ -4</span>\n'),
        (-5, '<span class="trend-down" title="down over 30 days">▼ 5</span>\n'),
        (-23, '<span class="trend-down" title="down over 30 days">▼ 23</span>\n'),
    ],
)
def test_a_trend_points_up_down_or_steady(trend, html):
    with translation.override("en"):
        assert _render("{% trend value %}", value=trend) == html


def test_a_trend_is_titled_in_the_readers_language():
    with translation.override("de"):
        assert _render("{% trend 2 %}") == '<span class="trend-flat" title="stabil">▶ 2</span>\n'


FORMATS = [
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "YEAR_MONTH_FORMAT",
    "TIME_FORMAT",
    r"Y-m-d\TH:i",
    "D, j M Y",
    "N j, Y, P",
    "b F y n m d j G H i s",
    "U",
    "",
]
moments = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)


@given(
    value=st.one_of(
        st.dates(min_value=dt.date(1, 1, 1)),
        moments,
        moments.map(lambda moment: timezone.make_aware(moment, dt.UTC)),
    ),
    format_name=st.sampled_from(FORMATS),
    language=st.sampled_from(["en", "de"]),
)
def test_the_date_filter_writes_what_djangos_writes(value, format_name, language):
    # The library's ``date`` replaces Django's in the templates that load it (issue 18): the
    # same text for every value, format and language, errors included.
    def render(source):
        try:
            return Template(source).render(Context({"value": value, "format": format_name}))
        except Exception as error:  # Django refuses time formats for a date
            return type(error)

    with translation.override(language), timezone.override(BERLIN):
        django = render("{{ value|date:format }}")
        assert render("{% load treue %}{{ value|date:format }}") == django


def test_the_date_filter_leaves_what_is_no_date_to_django():
    with translation.override("en"):
        assert _render('{{ value|date:"DATE_FORMAT" }}', value=None) == ""
        assert _render('{{ value|date:"DATE_FORMAT" }}', value="") == ""
        assert _render('{{ value|date:"DATE_FORMAT" }}', value="soon") == ""
        assert _render('{{ value|date:"H:i" }}', value=dt.time(9, 5)) == "09:05"


def test_an_id_url_tag_is_the_url_tag_for_a_rows_id():
    html = _render(
        "{% id_url 'retention:flag_action' pk 'snooze' as url %}<a href=\"{{ url }}\">", pk=9
    )
    assert html == f'<a href="{reverse("retention:flag_action", args=[9, "snooze"])}">'
    assert _render("{% id_url 'customers:account_detail' 4 %}") == reverse(
        "customers:account_detail", args=[4]
    )
