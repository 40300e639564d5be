"""The server-side SVG line chart every trend draws with (``crm.charts``)."""

import datetime as dt
from decimal import Decimal

from crm.charts import Series, line_chart

MONTHS = [dt.date(2026, m, 1) for m in (1, 2, 3)]


def test_a_chart_names_itself_for_a_screen_reader_and_escapes_what_it_is_given():
    svg = line_chart(
        months=MONTHS,
        series=[Series("NPS <b>", "#000", [Decimal(10), None, Decimal(-20)])],
        missing={1},
        label="NPS & more",
        description="Jan 10, Feb none, Mar -20",
        gap="%(month)s: no answers",
        unit="",
    )
    assert "<title>NPS &amp; more</title><desc>Jan 10, Feb none, Mar -20</desc>" in svg
    assert 'aria-label="NPS &amp; more"' in svg and 'role="img"' in svg
    assert "<b>" not in svg and "NPS &lt;b&gt; Mar 2026: -20</title>" in svg
    assert '<rect class="gap"' in svg and "Feb 2026: no answers" in svg
    assert svg.count("<polyline") == 2  # the gap splits the line, never bridged
    assert " %" not in svg  # not a percentage: no unit on the axis or the tooltips


def test_percentages_by_default_and_no_desc_unless_given():
    svg = line_chart(months=MONTHS, series=[Series("CRR", "#000", [1, 2, 3])], label="CRR")
    assert "<desc>" not in svg and "CRR Mar 2026: 3 %" in svg
