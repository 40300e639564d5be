"""The survey report (``interactions.surveys.report``): response rate, NPS and CSAT by month and
by account, segment or CSM, filtered, scoped like the retention report's owners, paged, with
its trend as an SVG chart and the answers as a CSV."""

import csv
import datetime as dt
import io
import itertools

import pytest
import time_machine
from django.http import StreamingHttpResponse

from crm.periods import Period
from interactions.models import SurveySend
from interactions.surveys.report import OTHER, PAGE_SIZE, ReportFilters, survey_report
from retention.models import ScoringConfiguration
from tests.factories import AccountFactory, ContactFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db

REPORT = "/interactions/surveys/report/"
CSV = "/interactions/surveys/answers.csv"
Q1 = {"period": "2026-Q1"}
BERLIN = dt.timezone(dt.timedelta(hours=1))  # winter time
_tokens = itertools.count()


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC), tick=False):
        yield


def sent(account, *, at, kind="nps", score=None, comment="", contact=None):
    """One survey sent to a contact of ``account`` at ``at`` (a date: noon in Berlin),
    answered with ``score`` when given."""
    if isinstance(at, dt.date) and not isinstance(at, dt.datetime):
        at = dt.datetime.combine(at, dt.time(12), tzinfo=BERLIN)
    answered = score is not None
    return SurveySend.objects.create(
        account=account,
        contact=contact or ContactFactory(account=account),
        kind=kind,
        language="en",
        token_hash=f"{next(_tokens):064d}",
        queued_at=at,
        expires_at=at + dt.timedelta(days=30),
        answered_at=at + dt.timedelta(days=1) if answered else None,
        score=score,
        comment=comment,
    )


def q1(**filters) -> ReportFilters:
    return ReportFilters(period=Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), **filters)


@pytest.fixture
def book(csm, teammate, other_csm):
    smb, enterprise = SegmentFactory(name="SMB"), SegmentFactory(name="Enterprise")
    return {
        "own": AccountFactory(owner=csm, name="Own GmbH", segment=smb),
        "teammates": AccountFactory(owner=teammate, name="Team AG", segment=enterprise),
        "other_team": AccountFactory(owner=other_csm, name="Fremd KG", segment=smb),
        "smb": smb,
        "enterprise": enterprise,
    }


def test_response_rate_nps_and_csat_per_month_by_the_month_of_sending(admin_user, book):
    own = book["own"]
    for score in (10, 9, 7, 3):
        sent(own, at=dt.date(2026, 1, 10), score=score)
    sent(own, at=dt.date(2026, 1, 12))  # never answered
    sent(own, at=dt.date(2026, 3, 2), score=0)
    # Sent on 31 January 23:30 UTC, which is 1 February in Berlin: February's.
    sent(own, at=dt.datetime(2026, 1, 31, 23, 30, tzinfo=dt.UTC), score=10)
    sent(own, at=dt.date(2025, 12, 31), score=10)  # before the period
    sent(own, at=dt.date(2026, 2, 3), kind="csat", score=4)  # the other kind

    report = survey_report(admin_user, q1())
    months = [(m.month, m.sent, m.answered, m.response_rate, m.nps) for m in report.months]
    assert months == [
        (dt.date(2026, 1, 1), 5, 4, 80.0, 25.0),  # (2 promoters − 1 detractor) / 4
        (dt.date(2026, 2, 1), 1, 1, 100.0, 100.0),
        (dt.date(2026, 3, 1), 1, 1, 100.0, -100.0),
    ]
    total = report.total
    assert (total.sent, total.answered, total.response_rate, total.nps) == (7, 6, 85.7, 16.7)
    assert total.csat is None

    csat = survey_report(admin_user, q1(kind="csat"))
    assert (csat.total.sent, csat.total.csat, csat.total.nps) == (1, 100.0, None)


def test_promoters_and_detractors_follow_the_scoring_configuration(admin_user, book):
    ScoringConfiguration.objects.update(is_active=False)
    ScoringConfiguration.objects.create(
        version=99, is_active=True, nps_promoter_from=8, nps_passive_from=6, csat_passive_from=3
    )
    for score in (8, 6, 5):
        sent(book["own"], at=dt.date(2026, 2, 1), score=score)
    sent(book["own"], at=dt.date(2026, 2, 1), kind="csat", score=3)
    assert survey_report(admin_user, q1()).total.nps == 0.0  # 8 promotes, 5 detracts, 6 passive
    assert survey_report(admin_user, q1(kind="csat")).total.csat == 100.0  # 3 is satisfied now


def test_a_csm_counts_only_their_own_accounts(csm, teammate, book):
    sent(book["own"], at=dt.date(2026, 2, 1), score=10)
    sent(book["teammates"], at=dt.date(2026, 2, 1), score=0)
    sent(book["other_team"], at=dt.date(2026, 2, 1), score=0)
    report = survey_report(csm, q1(), by="account")
    assert [(r.label, r.sent, r.nps) for r in report.rows] == [("Own GmbH", 1, 100.0)]
    assert report.total.sent == 1
    assert [r.label for r in survey_report(teammate, q1(), by="csm").rows] == ["Tom Teammate"]


def test_a_team_lead_names_their_team_and_sums_the_other_teams_into_one_row(team_lead, book):
    sent(book["own"], at=dt.date(2026, 2, 1), score=10)
    sent(book["own"], at=dt.date(2026, 2, 2), score=9)
    sent(book["teammates"], at=dt.date(2026, 2, 1), score=0)
    other = sent(book["other_team"], at=dt.date(2026, 2, 1), score=0)
    AccountFactory(owner=other.account.owner, name="Fremd Zwei")  # no surveys: no row
    stranger = UserFactory(team=other.account.team)
    sent(AccountFactory(owner=stranger, segment=None), at=dt.date(2026, 2, 5))

    by_csm = survey_report(team_lead, q1(), by="csm")
    assert [(r.label, r.sent, r.answered, r.nps) for r in by_csm.rows] == [
        ("Carla CSM", 2, 2, 100.0),
        ("Tom Teammate", 1, 1, -100.0),
        ("Other teams", 2, 1, -100.0),  # two people of team B, one row, last
    ]
    assert by_csm.rows[-1].key == OTHER and by_csm.rows[-1].is_other
    by_account = survey_report(team_lead, q1(), by="account")
    assert [r.label for r in by_account.rows] == ["Own GmbH", "Team AG", "Other teams"]
    assert by_account.total.sent == 5  # the company's figures
    by_segment = survey_report(team_lead, q1(), by="segment")
    assert {r.label: r.sent for r in by_segment.rows} == {
        "SMB": 3,
        "Enterprise": 1,
        "No segment": 1,
    }


def test_an_admin_names_every_account_and_csm(admin_user, book):
    for account in ("own", "teammates", "other_team"):
        sent(book[account], at=dt.date(2026, 2, 1), score=8)
    sent(AccountFactory(owner=None, name="Niemand"), at=dt.date(2026, 2, 1))
    labels = {r.label for r in survey_report(admin_user, q1(), by="csm").rows}
    assert labels == {"Carla CSM", "Tom Teammate", "Otto Other", "Unassigned"}
    labels = {r.label for r in survey_report(admin_user, q1(), by="account").rows}
    assert labels == {"Own GmbH", "Team AG", "Fremd KG", "Niemand"}


def test_filters_narrow_to_a_segment_a_csm_a_team_and_the_period(admin_user, csm, book):
    sent(book["own"], at=dt.date(2026, 1, 5), score=10)
    sent(book["teammates"], at=dt.date(2026, 1, 5), score=10)
    sent(book["other_team"], at=dt.date(2026, 3, 31), score=10)
    sent(book["other_team"], at=dt.date(2026, 4, 1), score=10)

    def labels(**filters):
        return sorted(r.label for r in survey_report(admin_user, q1(**filters)).rows)

    assert labels() == ["Fremd KG", "Own GmbH", "Team AG"]
    assert labels(segment_id=book["smb"].pk) == ["Fremd KG", "Own GmbH"]
    assert labels(owner_id=csm.pk) == ["Own GmbH"]
    assert labels(team_id=csm.team_id) == ["Own GmbH", "Team AG"]
    assert labels(team_id=csm.team_id, segment_id=book["smb"].pk) == ["Own GmbH"]


def test_each_group_has_its_months_for_the_trend_per_customer_and_per_csm(admin_user, book):
    sent(book["own"], at=dt.date(2026, 1, 5), score=10)
    sent(book["own"], at=dt.date(2026, 3, 5), score=0)
    sent(book["own"], at=dt.date(2026, 3, 6))
    (row,) = survey_report(admin_user, q1(), by="csm").rows
    assert [(m.sent, m.answered, m.nps) for m in row.months] == [
        (1, 1, 100.0),
        (0, 0, None),
        (2, 1, -100.0),
    ]


def test_long_lists_are_paged_with_a_constant_number_of_queries(
    client, admin_user, django_assert_max_num_queries
):
    for n in range(PAGE_SIZE + 5):
        account = AccountFactory(name=f"Kunde {n:02}")
        for _ in range(1 + n % 3):
            sent(account, at=dt.date(2026, 2, 1), score=n % 11)
    client.force_login(admin_user)
    # session, user, roles; thresholds, months, count, page, its months, names; the
    # navigation (3); the choices of segment, CSM and team
    with django_assert_max_num_queries(15):
        page = client.get(REPORT, {**Q1, "by": "account"})
    assert page.status_code == 200
    assert len(page.context["rows"]) == PAGE_SIZE
    assert page.context["page"].paginator.count == PAGE_SIZE + 5
    assert [r.sent for r in page.context["rows"]][:1] == [3]  # the most surveyed first
    second = client.get(REPORT, {**Q1, "by": "account", "page": 2})
    assert len(second.context["rows"]) == 5
    seen = {r.label for r in page.context["rows"]} | {r.label for r in second.context["rows"]}
    assert len(seen) == PAGE_SIZE + 5
    assert b"page=2" in page.content and b"kind=nps" in page.content  # the filters stay


def test_the_page_draws_the_trend_as_svg_with_a_table_and_words(client, admin_user, book):
    sent(book["own"], at=dt.date(2026, 1, 5), score=10)
    sent(book["own"], at=dt.date(2026, 3, 5), score=0)
    client.force_login(admin_user)
    page = client.get(REPORT, Q1)
    html = page.content.decode()
    assert page.status_code == 200
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "<title>NPS and response rate by month</title>" in svg
    assert "<desc>" in svg and "February 2026: no surveys sent" in svg
    assert svg.count('class="gap"') == 1  # February: nothing sent
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    table = html[html.index('data-testid="trend-table"') :]
    assert "January 2026" in table and "March 2026" in table


def test_the_page_is_in_german(client, admin_user, book):
    sent(book["own"], at=dt.date(2026, 1, 5), score=10)
    client.force_login(admin_user)
    html = client.get(REPORT, Q1, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    for words in (
        "Umfragebericht",
        "NPS und Antwortquote nach Monat",
        "Februar 2026: keine Umfragen versandt",
        "Antwortquote",
        "Antworten als CSV",
    ):
        assert words in html, words


def test_a_lead_may_filter_by_their_people_and_team_only(client, team_lead, other_csm, book):
    sent(book["other_team"], at=dt.date(2026, 2, 1), score=0, comment="Geheim")
    client.force_login(team_lead)
    page = client.get(REPORT, {**Q1, "owner": other_csm.pk})
    assert page.context["form"].errors and "report" not in page.context
    page = client.get(REPORT, {**Q1, "team": other_csm.team_id})
    assert page.context["form"].errors and "report" not in page.context
    assert "Otto" not in page.content.decode()
    offered = page.context["form"].fields["owner"].queryset
    assert other_csm not in offered and team_lead in offered


def test_a_csm_is_offered_no_csm_or_team_filter(client, csm, other_csm):
    client.force_login(csm)
    form = client.get(REPORT, Q1).context["form"]
    assert "owner" not in form.fields and "team" not in form.fields
    assert client.get(REPORT, {**Q1, "owner": other_csm.pk}).context["rows"] == []


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"period": "2026-13"}, "is not a year"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "before it starts"),
        ({"start": "2020-01-01", "end": "2026-03-31"}, "at most 36 months"),
        ({"period": "2026", "start": "2026-01-01"}, "not both"),
        ({**Q1, "kind": "bogus"}, "Select a valid choice"),
        ({**Q1, "segment": "x" * 300}, "no such segment"),
    ],
)
def test_what_is_no_period_or_filter_is_a_message(client, admin_user, query, words):
    client.force_login(admin_user)
    page = client.get(REPORT, query)
    assert page.status_code == 200 and "report" not in page.context
    assert words in page.content.decode()
    assert client.get(CSV, query).status_code == 400


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_the_answers_the_reader_may_read_with_the_filters(client, team_lead, csm, book):
    sent(book["own"], at=dt.date(2026, 2, 1), score=9, comment='=HYPERLINK("x")')
    sent(book["own"], at=dt.date(2026, 2, 2))  # not answered: no row
    sent(book["teammates"], at=dt.date(2026, 2, 3), score=2, comment="Slow")
    sent(book["teammates"], at=dt.date(2026, 2, 3), kind="csat", score=5)  # the other kind
    sent(book["own"], at=dt.date(2025, 12, 3), score=5)  # before the period
    sent(book["other_team"], at=dt.date(2026, 2, 1), score=0, comment="Another team's words")

    client.force_login(team_lead)
    rows = read_csv(client.get(CSV, Q1))
    assert rows[0] == [
        "Answered at",
        "Sent at",
        "Account",
        "Segment",
        "Contact",
        "Owner",
        "Kind",
        "Score",
        "Category",
        "Comment",
    ]
    body = sorted((r[2], r[3], r[5], r[6], r[7], r[8], r[9]) for r in rows[1:])
    assert body == [
        ("Own GmbH", "SMB", "Carla CSM", "NPS", "9", "promoter", '\'=HYPERLINK("x")'),
        ("Team AG", "Enterprise", "Tom Teammate", "NPS", "2", "detractor", "Slow"),
    ]
    assert rows[1][0].startswith("2026-02-0") and rows[1][1].startswith("2026-02-0")
    csat = read_csv(client.get(CSV, {**Q1, "kind": "csat"}))
    assert [r[2] for r in csat[1:]] == ["Team AG"]

    client.force_login(csm)  # a CSM: their own accounts' answers
    assert [r[2] for r in read_csv(client.get(CSV, Q1))[1:]] == ["Own GmbH"]


def test_the_csv_is_in_german(client, admin_user, book):
    sent(book["own"], at=dt.date(2026, 2, 1), score=0)
    client.force_login(admin_user)
    rows = read_csv(client.get(CSV, Q1, HTTP_ACCEPT_LANGUAGE="de"))
    assert rows[0][:2] == ["Beantwortet am", "Gesendet am"] and rows[1][8] == "Detraktor"
