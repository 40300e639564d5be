import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from crm.periods import add_months
from customers.services import refresh_ledger, update_contract
from retention.figures import views as views_report
from retention.models import MonthlySnapshot
from tests.factories import (
    AccountFactory,
    ChurnReasonFactory,
    ChurnRecordFactory,
    ContractFactory,
    MonthlySnapshotFactory,
    SegmentFactory,
    TeamFactory,
    UserFactory,
)

from .bad_periods import BAD_PERIODS, as_params

pytestmark = pytest.mark.django_db

D = dt.date
REPORT = reverse("retention:report")
ACCOUNTS = reverse("retention:report_accounts")
TODAY = D(2026, 4, 15)
Q1 = {"period": "2026-Q1"}
Q1_DATES = {"start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture(autouse=True)
def frozen_today():
    # Q1 2026 and March are closed months; the trend ends with March 2026.
    with time_machine.travel(dt.datetime(2026, 4, 15, 12, tzinfo=dt.UTC), tick=False) as clock:
        cache.clear()
        yield clock
    cache.clear()


def customers(count, *, start, segment, owner=None, value="1000", **fields):
    """``count`` accounts with one contract each from ``start`` (ledger refreshed)."""
    accounts = AccountFactory.create_batch(count, segment=segment, owner=owner, **fields)
    for account in accounts:
        ContractFactory(account=account, start_date=start, monthly_value=Decimal(value))
    refresh_ledger(account_ids=[a.pk for a in accounts], today=TODAY)
    return accounts


def lose(accounts, *, on):
    for account in accounts:
        for contract in account.contracts.all():
            update_contract(contract=contract, cancelled_on=on, today=TODAY)


@pytest.fixture
def smb():
    return SegmentFactory(name="SMB", benchmark_retention_rate=Decimal("90.00"))


@pytest.fixture
def enterprise():
    return SegmentFactory(name="Enterprise", benchmark_retention_rate=Decimal("80.00"))


@pytest.fixture
def seed_ledger(smb, team_lead, csm, other_csm):
    """The seed's first example in Q1 2026: 20 customers at the start (15 of team A, 5 of
    team B), 5 new in February, 1 lost in February, and 1 of the new ones lost in March."""
    team_a = customers(15, start=D(2025, 1, 1), segment=smb, owner=csm)
    team_b = customers(5, start=D(2025, 1, 1), segment=smb, owner=other_csm)
    new = customers(5, start=D(2026, 2, 1), segment=smb, owner=csm)
    lose(team_a[:1], on=D(2026, 2, 15))
    lose(new[:1], on=D(2026, 3, 10))
    return {"team_a": team_a, "team_b": team_b, "new": new, "lost": team_a[0]}


def get(client, user, url, params=None):
    client.force_login(user)
    return client.get(url, params or {})


def rows_of(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


# --- who may read it ---


def test_csm_gets_404_for_the_report_and_its_account_lists(client, csm):
    assert get(client, csm, REPORT).status_code == 404
    assert get(client, csm, ACCOUNTS, {"set": "start", **Q1_DATES}).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(REPORT)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_team_lead_and_admin_read_the_report(client, team_lead, admin_user):
    for user in (team_lead, admin_user):
        response = get(client, user, REPORT)
        assert response.status_code == 200
        assert b"Retention report" in response.content


def test_nav_links_to_the_report_for_team_leads_but_not_csms(client, team_lead, csm):
    assert REPORT.encode() in get(client, team_lead, reverse("retention:team_dashboard")).content
    assert REPORT.encode() not in get(client, csm, reverse("retention:portfolio")).content


# --- the form ---


def test_page_without_a_period_shows_the_last_closed_month(client, team_lead):
    response = get(client, team_lead, REPORT)
    assert response.context["period"].label == "2026-03"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end", "before it starts"),
        ({"period": "2026-Q5"}, "period", "is not a year"),
        ({"period": "March"}, "period", "is not a year"),
        ({"start": "2026-13-01", "end": "2026-12-31"}, "start", "valid date"),
        ({"start": "2026-01-01"}, "end", "Give an end date"),
        ({"period": "2026-Q1", "segment": "999999"}, "segment", "no such segment"),
        ({"period": "2026-Q1", "segment": "SMB"}, "segment", "no such segment"),
        ({"start": "0001-01-01", "end": "0001-01-31"}, "start", "between 1900 and 2999"),
        ({"period": "2026", "start": "2026-01-01", "end": "2026-01-31"}, "period", "not both"),
    ],
)
def test_bad_input_is_a_form_error_not_a_traceback(client, team_lead, params, field, message):
    response = get(client, team_lead, REPORT, params)

    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field or "__all__")
    assert errors and message in " ".join(errors)
    assert "figures" not in response.context


@pytest.mark.parametrize(("given", "field", "words"), BAD_PERIODS)
@pytest.mark.parametrize("export", [None, "headline"])
def test_a_period_that_is_no_period_is_the_parsers_form_error(
    client, team_lead, given, field, words, export
):
    params = as_params(*given) | ({"export": export} if export else {})
    response = get(client, team_lead, REPORT, params)

    assert response.status_code == (400 if export else 200)
    assert words in " ".join(response.context["form"].errors[field])


def test_bad_input_on_an_account_list_is_a_form_error(client, team_lead):
    response = get(client, team_lead, ACCOUNTS, {"set": "lost", "period": "2026-Q1"})
    assert response.status_code == 400
    assert "set" in response.context["form"].errors


def test_export_with_bad_input_answers_400_with_the_form(client, team_lead):
    response = get(client, team_lead, REPORT, {"period": "nope", "export": "headline"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- the headline ---


def test_headline_shows_the_seed_example_and_why_crr_and_cohort_retention_differ(
    client, team_lead, seed_ledger
):
    response = get(client, team_lead, REPORT, Q1)

    figures = response.context["figures"]
    assert (figures.start_customers, figures.new_customers, figures.end_customers) == (20, 5, 23)
    assert figures.retention_rate == Decimal("90.00")  # (23 − 5) / 20
    assert figures.cohort_retention_rate == Decimal("95.00")  # 19 of 20 stayed
    html = response.content.decode()
    assert 'data-testid="crr">90.00 %' in html
    assert 'data-testid="churn-rate"' in html and "5.00 %" in html
    assert "CRR counts 1 new customer who already left" in html


def test_difference_note_is_absent_when_the_two_rates_agree(client, team_lead, smb, csm):
    starting = customers(4, start=D(2025, 1, 1), segment=smb, owner=csm)
    lose(starting[:1], on=D(2026, 2, 1))

    response = get(client, team_lead, REPORT, Q1)

    assert 'data-testid="difference-note"' not in response.content.decode()


def test_period_without_starting_customers_shows_n_a_not_an_error(client, team_lead):
    response = get(client, team_lead, REPORT, {"period": "1999"})

    assert response.status_code == 200
    assert 'data-testid="crr">n/a' in response.content.decode()


def test_segment_benchmark_is_compared_with_the_crr_of_the_twelve_months_to_the_end(
    client, team_lead, seed_ledger, smb
):
    # Over the twelve months to 31 March 2026 S, N and E are the quarter's (the 20 began in
    # January 2025): (23 − 5) / 20 = 90 %, as the benchmark.
    response = get(client, team_lead, REPORT, {**Q1, "segment": smb.pk})

    bench = response.context["benchmark"]
    assert bench["rate"] == Decimal("90.00")
    assert bench["weighted"] is False
    assert (bench["year_start"], bench["year_end"]) == (D(2025, 4, 1), D(2026, 3, 31))
    assert bench["crr"] == Decimal("90.00") and bench["difference"] == Decimal("0.00")


def test_the_default_month_is_not_held_against_the_annual_benchmark(client, team_lead, smb, csm):
    # A year ago 10 customers; 6 left over the year, none of them in March: March's CRR is
    # 100 %, the twelve months' 40 % — the benchmark (90 %) is held against the 40 %.
    old = customers(10, start=D(2025, 1, 1), segment=smb, owner=csm)
    lose(old[:6], on=D(2025, 9, 1))

    response = get(client, team_lead, REPORT)

    assert response.context["period"].label == "2026-03"
    assert response.context["figures"].retention_rate == Decimal("100.00")
    bench = response.context["benchmark"]
    assert bench["crr"] == Decimal("40.00") and bench["difference"] == Decimal("-50.00")
    html = " ".join(response.content.decode().split())
    assert "CRR of the last 12 months" in html and "1 Apr 2025 – 31 Mar 2026" in html
    assert "-50.00 points" in html and "+10.00 points" not in html
    assert "held against the CRR of the 12 months to 31 Mar 2026" in html
    # nor is the annual benchmark drawn as a line beside the monthly rates
    assert [s.name for s in response.context["legend"]] == ["CRR", "GRR", "NRR", "Churn rate"]
    assert "months compare with months" in html


def test_a_year_is_held_against_the_benchmark_as_it_is(client, team_lead, seed_ledger, smb):
    response = get(client, team_lead, REPORT, {"period": "2025", "segment": smb.pk})

    bench = response.context["benchmark"]
    assert (bench["year_start"], bench["year_end"]) == (D(2025, 1, 1), D(2025, 12, 31))
    assert bench["crr"] == response.context["figures"].retention_rate


def test_all_segments_benchmark_is_the_customer_weighted_mean(
    client, team_lead, smb, enterprise, csm
):
    customers(3, start=D(2025, 1, 1), segment=smb, owner=csm)  # benchmark 90
    customers(1, start=D(2025, 1, 1), segment=enterprise, owner=csm)  # benchmark 80
    no_benchmark = SegmentFactory(name="Mid-market", benchmark_retention_rate=None)
    customers(6, start=D(2025, 1, 1), segment=no_benchmark, owner=csm)  # left out

    response = get(client, team_lead, REPORT, Q1)

    bench = response.context["benchmark"]
    assert bench["rate"] == Decimal("87.50")  # (3 × 90 + 1 × 80) / 4
    assert bench["weighted"] is True and bench["covered"] == 4
    assert "weighted by their customers at the start" in response.content.decode()


# --- the accounts behind each number ---


def test_every_headline_count_links_to_its_account_list(client, team_lead, seed_ledger, smb):
    response = get(client, team_lead, REPORT, {**Q1, "segment": smb.pk})

    links = response.context["links"]
    html = response.content.decode()
    for name in ("start", "new", "end", "retained", "churned"):
        assert links[name].startswith(ACCOUNTS)
        assert f"set={name}" in links[name] and f"segment={smb.pk}" in links[name]
        assert links[name].replace("&", "&amp;") in html


def test_admin_account_lists_hold_exactly_the_accounts_behind_the_figures(
    client, admin_user, seed_ledger
):
    def names(which):
        response = get(client, admin_user, ACCOUNTS, {"set": which, **Q1_DATES})
        assert response.status_code == 200
        return {a.name for a in response.context["page"]}

    everyone = seed_ledger["team_a"] + seed_ledger["team_b"]
    assert names("start") == {a.name for a in everyone}
    assert names("new") == {a.name for a in seed_ledger["new"]}
    assert names("churned") == {seed_ledger["lost"].name}
    assert len(names("retained")) == 19
    assert len(names("end")) == 23


def test_team_lead_account_lists_show_only_their_teams_accounts(client, team_lead, seed_ledger):
    response = get(client, team_lead, ACCOUNTS, {"set": "start", **Q1_DATES})

    shown = {a.name for a in response.context["page"]}
    assert shown == {a.name for a in seed_ledger["team_a"]}
    assert 'data-testid="scope-note"' in response.content.decode()


def test_a_figure_whose_accounts_are_all_in_another_team_says_so_to_a_team_lead(
    client, team_lead, smb, other_csm
):
    theirs = customers(3, start=D(2025, 1, 1), segment=smb, owner=other_csm)
    lose(theirs[:2], on=D(2026, 2, 15))

    response = get(client, team_lead, ACCOUNTS, {"set": "churned", **Q1_DATES})

    assert response.status_code == 200
    assert response.context["total"] == 2 and response.context["page"].paginator.count == 0
    html = " ".join(response.content.decode().split())
    assert "2 accounts are behind this figure." in html
    assert "None of them is in your team, so none is listed here." in html
    assert "0 accounts listed" in html
    assert theirs[0].name not in html


def test_a_team_lead_reads_how_many_of_a_figures_accounts_they_may_see(
    client, team_lead, seed_ledger
):
    response = get(client, team_lead, ACCOUNTS, {"set": "start", **Q1_DATES})

    html = " ".join(response.content.decode().split())
    assert "20 accounts are behind this figure." in html
    assert "You may see 15 of them (your team's)" in html
    assert "15 accounts listed" in html


def test_an_admin_sees_every_account_behind_a_figure_and_no_scope_note(
    client, admin_user, smb, other_csm
):
    theirs = customers(2, start=D(2025, 1, 1), segment=smb, owner=other_csm)
    lose(theirs, on=D(2026, 2, 15))

    response = get(client, admin_user, ACCOUNTS, {"set": "churned", **Q1_DATES})

    html = " ".join(response.content.decode().split())
    assert "2 accounts are behind this figure." in html and "2 accounts listed" in html
    assert 'data-testid="scope-note"' not in html
    assert {a.name for a in response.context["page"]} == {a.name for a in theirs}


def test_a_figure_without_accounts_says_none_are_behind_it(client, admin_user, team_lead):
    for user in (admin_user, team_lead):
        response = get(client, user, ACCOUNTS, {"set": "churned", **Q1_DATES})
        html = " ".join(response.content.decode().split())
        assert "0 accounts are behind this figure." in html and "No accounts." in html


def test_a_csm_still_gets_404_for_a_figures_accounts(client, csm, smb, other_csm):
    customers(1, start=D(2025, 1, 1), segment=smb, owner=other_csm)
    assert get(client, csm, ACCOUNTS, {"set": "start", **Q1_DATES}).status_code == 404


def test_breakdown_row_links_to_that_groups_accounts(client, admin_user, seed_ledger, csm):
    response = get(client, admin_user, REPORT, Q1)
    owners = next(b for b in response.context["breakdowns"] if b["dimension"] == "owner")
    carla = next(item for item in owners["rows"] if item["row"].key == str(csm.pk))
    assert carla["row"].start_customers == 15

    listed = get(client, admin_user, carla["links"]["start"])

    assert listed.status_code == 200
    assert {a.name for a in listed.context["page"]} == {a.name for a in seed_ledger["team_a"]}


@pytest.fixture
def third_team_csm(db):
    return UserFactory(first_name="Cleo", last_name="Third", team=TeamFactory(name="Team C"))


def _owner_rows(response) -> dict[str, tuple]:
    owners = next(b for b in response.context["breakdowns"] if b["dimension"] == "owner")
    return {
        item["row"].label: (item["row"].start_customers, item["row"].churned_customers)
        for item in owners["rows"]
    }


def test_a_team_lead_sees_their_people_by_name_and_the_other_teams_as_one_row(
    client, team_lead, csm, smb, seed_ledger, third_team_csm
):
    lose(customers(4, start=D(2025, 1, 1), segment=smb, owner=third_team_csm), on=D(2026, 3, 1))
    customers(2, start=D(2025, 1, 1), segment=smb)  # nobody's

    response = get(client, team_lead, REPORT, Q1)

    assert _owner_rows(response) == {
        "Carla CSM": (15, 1),
        "Unassigned": (2, 0),
        "Other teams": (9, 4),  # Otto's 5 kept, Cleo's 4 lost
    }
    html = response.content.decode()
    assert "Otto" not in html and "Cleo" not in html
    other = next(b for b in response.context["breakdowns"] if b["dimension"] == "owner")
    assert [item["links"] for item in other["rows"] if item["row"].key == "other-teams"] == [None]


def test_the_owner_csv_of_a_team_lead_names_only_their_people(
    client, team_lead, csm, other_csm, seed_ledger
):
    exported = rows_of(get(client, team_lead, REPORT, {**Q1, "export": "owner"}))

    assert [(row[0], row[1], row[2]) for row in exported[1:]] == [
        (str(csm.pk), "Carla CSM", "15"),
        ("other-teams", "Other teams", "5"),
    ]
    assert str(other_csm.pk) not in {row[0] for row in exported}


def test_an_admin_sees_every_owner_by_name_on_the_page_and_in_the_csv(
    client, admin_user, csm, other_csm, seed_ledger
):
    response = get(client, admin_user, REPORT, Q1)

    assert _owner_rows(response) == {"Carla CSM": (15, 1), "Otto Other": (5, 0)}
    exported = rows_of(get(client, admin_user, REPORT, {**Q1, "export": "owner"}))
    assert {row[1] for row in exported[1:]} == {"Carla CSM", "Otto Other"}


def test_a_lead_after_an_admin_does_not_get_the_admins_cached_owner_table(
    client, admin_user, team_lead, seed_ledger
):
    get(client, admin_user, REPORT, Q1)

    assert "Otto Other" not in _owner_rows(get(client, team_lead, REPORT, Q1))


def test_a_csm_reads_no_owner_breakdown_nor_its_csv(client, csm, seed_ledger):
    assert get(client, csm, REPORT, Q1).status_code == 404
    assert get(client, csm, REPORT, {**Q1, "export": "owner"}).status_code == 404


def test_size_band_link_narrows_to_that_band(client, admin_user, smb, csm):
    small = customers(2, start=D(2025, 1, 1), segment=smb, owner=csm, employees=10)
    customers(3, start=D(2025, 1, 1), segment=smb, owner=csm, employees=500)

    response = get(
        client, admin_user, ACCOUNTS, {"set": "start", "by": "size", "key": "1–49", **Q1_DATES}
    )

    assert {a.name for a in response.context["page"]} == {a.name for a in small}


def test_account_list_is_paginated(client, admin_user, smb):
    customers(55, start=D(2025, 1, 1), segment=smb)

    response = get(client, admin_user, ACCOUNTS, {"set": "start", **Q1_DATES})

    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.count == 55


# --- trend, cohorts, breakdowns ---


def test_trend_reads_snapshots_and_shows_missing_months_as_gaps(client, team_lead):
    for n in range(1, 21):  # 20 of the last 24 closed months are stored
        MonthlySnapshotFactory(month=add_months(D(2026, 4, 1), -n), retention_rate=Decimal("91"))

    response = get(client, team_lead, REPORT, Q1)

    trend = response.context["trend"]
    assert len(trend) == 24 and trend[-1]["month"] == D(2026, 3, 1)
    assert [row["source"] for row in trend[:4]] == [None] * 4
    assert {row["source"] for row in trend[4:]} == {"snapshot"}
    html = response.content.decode()
    assert html.count('class="gap"') == 2 * 4  # in the retention and the churn chart
    assert "4 months have no snapshot" in html
    assert "<svg" in html and "<polyline" in html and "CRR Mar 2026: 91.00 %" in html


def test_trend_computes_up_to_two_missing_months_itself(client, team_lead, smb, csm):
    customers(2, start=D(2023, 1, 1), segment=smb, owner=csm)
    for n in range(2, 25):  # March 2026 is missing
        MonthlySnapshotFactory(month=add_months(D(2026, 4, 1), -n))

    response = get(client, team_lead, REPORT, Q1)

    last = response.context["trend"][-1]
    assert last["source"] == "computed"
    assert last["figures"].start_customers == 2
    assert response.context["missing_months"] == []
    assert not MonthlySnapshot.objects.filter(month=D(2026, 3, 1)).exists()  # a GET writes nothing


def test_cohort_heat_map_leaves_months_not_reached_empty(client, team_lead, smb, csm):
    customers(4, start=D(2026, 1, 10), segment=smb, owner=csm)

    response = get(client, team_lead, REPORT, Q1)

    january = next(r for r in response.context["cohorts"] if r["month"] == D(2026, 1, 1))
    assert january["size"] == 4
    assert [c["share"] for c in january["cells"][:3]] == [Decimal("100.00")] * 3
    assert all(not c["reached"] for c in january["cells"][3:])  # April onwards
    assert "background: rgba(15, 91, 92, 1.00)" in response.content.decode()


def test_breakdown_tables_and_churn_reasons_are_on_the_page(client, team_lead, seed_ledger):
    ChurnRecordFactory(
        account=seed_ledger["lost"], churned_on=D(2026, 2, 15), reason=ChurnReasonFactory()
    )

    response = get(client, team_lead, REPORT, Q1)

    html = response.content.decode()
    for dimension in ("segment", "industry", "size", "budget", "owner", "churn-reasons"):
        assert f'data-testid="breakdown-{dimension}"' in html
    assert [(r.label, r.churned_customers) for r in response.context["churn_reasons"]] == [
        ("Price", 1)
    ]


def test_a_long_breakdown_shows_the_groups_that_lost_most_and_the_csv_has_all(
    client, admin_user, smb, csm, other_csm, monkeypatch
):
    monkeypatch.setattr(views_report, "BREAKDOWN_ROWS_SHOWN", 1)
    customers(3, start=D(2025, 1, 1), segment=smb, owner=csm)
    lose(customers(2, start=D(2025, 1, 1), segment=smb, owner=other_csm), on=D(2026, 2, 15))

    response = get(client, admin_user, REPORT, Q1)

    owners = response.context["breakdowns"][-1]
    assert owners["dimension"] == "owner"
    assert (owners["total"], owners["hidden"]) == (2, 1)
    assert [item["row"].key for item in owners["rows"]] == [str(other_csm.pk)]
    assert 'data-testid="breakdown-owner-hidden"' in response.content.decode()
    exported = rows_of(get(client, admin_user, REPORT, {**Q1, "export": "owner"}))
    assert {row[0] for row in exported[1:]} == {str(csm.pk), str(other_csm.pk)}


# --- CSV exports ---


def test_headline_export_has_the_report_json_keys(client, team_lead, seed_ledger):
    response = get(client, team_lead, REPORT, {**Q1, "export": "headline"})

    assert response["Content-Type"].startswith("text/csv")
    values = dict(rows_of(response)[1:])
    assert values["start_customers"] == "20"
    assert values["retention_rate"] == "90.0"
    assert values["cohort_retention_rate"] == "95.0"


@pytest.mark.parametrize(
    ("export", "first_column"),
    [
        ("trend", "month"),
        ("cohorts", "cohort"),
        ("cohort_revenue", "cohort"),
        ("segment", "key"),
        ("industry", "key"),
        ("size", "key"),
        ("budget", "key"),
        ("owner", "key"),
        ("churn_reasons", "key"),
    ],
)
def test_every_table_exports_as_csv(client, team_lead, seed_ledger, export, first_column):
    response = get(client, team_lead, REPORT, {**Q1, "export": export})

    assert response.status_code == 200
    rows = rows_of(response)
    assert rows[0][0] == first_column
    assert export in response["Content-Disposition"]


def test_segment_export_counts_the_segments_customers(client, team_lead, seed_ledger, smb):
    rows = rows_of(get(client, team_lead, REPORT, {**Q1, "export": "segment"}))
    assert rows[1][:5] == [str(smb.pk), "SMB", "20", "5", "23"]


def test_unknown_export_is_404(client, team_lead):
    assert get(client, team_lead, REPORT, {**Q1, "export": "passwords"}).status_code == 404


def test_account_list_export_is_scoped_and_defuses_formulas(client, team_lead, csm, smb):
    customers(1, start=D(2025, 1, 1), segment=smb, owner=csm, name="=HYPERLINK(1)")
    customers(1, start=D(2025, 1, 1), segment=smb, owner=None, name="Outside GmbH")

    response = get(client, team_lead, ACCOUNTS, {"set": "start", "export": "accounts", **Q1_DATES})

    rows = rows_of(response)
    assert rows[0][0] == "account"
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(1)"]


# --- cost ---


def test_report_query_count_does_not_grow_with_accounts_or_snapshots(
    client, admin_user, smb, enterprise, django_assert_max_num_queries
):
    customers(30, start=D(2025, 1, 1), segment=smb)
    customers(30, start=D(2026, 2, 1), segment=enterprise)
    for n in range(1, 25):
        for segment in (None, smb, enterprise):
            MonthlySnapshotFactory(month=add_months(D(2026, 4, 1), -n), segment=segment)
    client.force_login(admin_user)

    # cold cache: data version, breakdowns with the counts, revenue, cohorts, churn reasons,
    # the twelve months' counts and revenue for the benchmark (and the navigation's counts:
    # handovers to acknowledge and to decide, the inbox)
    with django_assert_max_num_queries(16):
        assert client.get(REPORT, Q1).status_code == 200
    with django_assert_max_num_queries(10):  # warm: data version, trend, segments, nav
        assert client.get(REPORT, Q1).status_code == 200


def test_account_list_query_count_is_constant(
    client, admin_user, smb, django_assert_max_num_queries
):
    customers(60, start=D(2025, 1, 1), segment=smb)
    client.force_login(admin_user)

    with django_assert_max_num_queries(8):
        response = client.get(ACCOUNTS, {"set": "start", **Q1_DATES})
    assert len(response.context["page"]) == 50


def test_a_changed_contract_is_seen_at_once_despite_the_cache(
    client, admin_user, smb, csm, frozen_today
):
    starting = customers(4, start=D(2025, 1, 1), segment=smb, owner=csm)
    assert get(client, admin_user, REPORT, Q1).context["figures"].churned_customers == 0

    frozen_today.shift(dt.timedelta(seconds=1))
    lose(starting[:1], on=D(2026, 2, 1))

    assert get(client, admin_user, REPORT, Q1).context["figures"].churned_customers == 1


def test_a_changed_account_or_churn_reason_is_seen_at_once_despite_the_cache(
    client, admin_user, smb, enterprise, csm
):
    staying = customers(3, start=D(2025, 1, 1), segment=smb, owner=csm)
    lost = customers(1, start=D(2025, 1, 1), segment=smb, owner=csm)
    lose(lost, on=D(2026, 2, 1))

    def segments_and_reasons():
        response = get(client, admin_user, REPORT, Q1)
        segment = next(b for b in response.context["breakdowns"] if b["dimension"] == "segment")
        return (
            {item["row"].label: item["row"].start_customers for item in segment["rows"]},
            [(r.label, r.churned_customers) for r in response.context["churn_reasons"]],
        )

    assert segments_and_reasons() == ({"SMB": 4}, [("Not recorded", 1)])

    staying[0].segment = enterprise
    staying[0].save()  # an edit through the model, as the admin and the forms make it
    ChurnRecordFactory(
        account=lost[0], churned_on=D(2026, 2, 1), reason=ChurnReasonFactory(name="Price")
    )

    assert segments_and_reasons() == ({"SMB": 3, "Enterprise": 1}, [("Price", 1)])
