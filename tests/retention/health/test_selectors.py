"""The at-risk list's selector: scoped like every page, annotated with score, band, drop and
ARR at risk, filtered and sorted in the database with a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from customers.models import Account
from retention.health.selectors import flag_for, open_flags_for, with_health
from retention.models import RiskFlag
from tests.factories import (
    HealthScoreFactory,
    RiskFlagFactory,
    SegmentFactory,
    make_customer,
    renewing_on,
)

Reason, Status = RiskFlag.Reason, RiskFlag.Status


def today() -> dt.date:
    return timezone.localdate()


def flagged(owner, *, score=40, previous=None, mrr="1000.00", **flag):
    account = make_customer(owner=owner, monthly_value=Decimal(mrr))
    HealthScoreFactory(account=account, scored_on=today() - dt.timedelta(days=1), score=99)
    HealthScoreFactory(
        account=account,
        score=score,
        band="red" if score <= 50 else "yellow" if score < 76 else "green",
        previous_score=previous,
    )
    return RiskFlagFactory(account=account, **flag)


@pytest.mark.django_db
def test_a_team_lead_sees_the_flags_of_their_team_only(csm, teammate, team_lead, other_csm):
    mine, ours, theirs = flagged(csm), flagged(teammate), flagged(other_csm)
    assert set(open_flags_for(team_lead)) == {mine, ours}
    assert set(open_flags_for(other_csm)) == {theirs}


@pytest.mark.django_db
def test_an_admin_sees_every_flag(csm, other_csm, admin_user):
    flags = {flagged(csm), flagged(other_csm)}
    assert set(open_flags_for(admin_user)) == flags


@pytest.mark.django_db
def test_resolved_flags_are_left_out_unless_asked_for(csm, team_lead):
    open_flag = flagged(csm)
    done = flagged(csm, status=Status.RESOLVED, resolved_at=timezone.now())
    assert list(open_flags_for(team_lead)) == [open_flag]
    assert list(open_flags_for(team_lead, statuses=[Status.RESOLVED])) == [done]


@pytest.mark.django_db
def test_each_row_carries_the_latest_score_band_drop_and_arr_at_risk(csm, team_lead):
    flagged(csm, score=45, previous=70, mrr="2500.00")
    (row,) = open_flags_for(team_lead)
    assert (row.current_score, row.current_band, row.drop) == (45, "red", 25)
    assert row.arr_at_risk == Decimal("30000.00")


@pytest.mark.django_db
def test_filters_by_reason_owner_band_segment_renewal_and_age(csm, teammate, team_lead):
    red = flagged(csm, score=30)
    yellow = flagged(teammate, score=60, reason=Reason.RENEWAL_AT_RISK)
    enterprise = SegmentFactory(name="Strategic")
    Account.objects.filter(pk=yellow.account_id).update(segment=enterprise)
    renewing_on(yellow.account, today() + dt.timedelta(days=20))
    RiskFlag.objects.filter(pk=red.pk).update(raised_at=timezone.now() - dt.timedelta(days=10))
    assert list(open_flags_for(team_lead, reasons=[Reason.RENEWAL_AT_RISK])) == [yellow]
    assert list(open_flags_for(team_lead, owner=csm)) == [red]
    assert list(open_flags_for(team_lead, band="red")) == [red]
    assert list(open_flags_for(team_lead, segment=enterprise)) == [yellow]
    assert list(open_flags_for(team_lead, renewal_within_days=30)) == [yellow]
    assert list(open_flags_for(team_lead, renewal_within_days=10)) == []
    assert list(open_flags_for(team_lead, min_age_days=10)) == [red]
    assert list(open_flags_for(team_lead, min_age_days=11)) == []


@pytest.mark.django_db
def test_sorting_by_drop_score_and_arr(csm, team_lead):
    small = flagged(csm, score=60, previous=70, mrr="100.00")
    big = flagged(csm, score=40, previous=80, mrr="50.00")
    unknown = flagged(csm, score=50, previous=None, mrr="900.00")
    assert list(open_flags_for(team_lead, order="-drop")) == [big, small, unknown]
    assert list(open_flags_for(team_lead, order="score")) == [big, unknown, small]
    assert list(open_flags_for(team_lead, order="-arr")) == [unknown, small, big]


@pytest.mark.django_db
def test_the_list_costs_one_query_however_many_flags(csm, team_lead, django_assert_max_num_queries):
    for _ in range(3):
        flagged(csm)
    list(open_flags_for(team_lead))  # the user's roles are cached after the first question
    with django_assert_max_num_queries(1):
        few = [
            (f.account.owner, f.account.segment, f.current_band) for f in open_flags_for(team_lead)
        ]
    for _ in range(12):
        flagged(csm)
    with django_assert_max_num_queries(1):
        many = [
            (f.account.owner, f.account.segment, f.current_band) for f in open_flags_for(team_lead)
        ]
    assert (len(few), len(many)) == (3, 15)


@pytest.mark.django_db
def test_a_flag_outside_ones_scope_is_not_found(csm, other_csm, team_lead):
    flag = flagged(other_csm)
    with pytest.raises(Http404):
        flag_for(team_lead, flag.pk)
    assert flag_for(other_csm, flag.pk, to_change=True) == flag


@pytest.mark.django_db
def test_a_csm_reads_but_cannot_change_a_teammates_flag(csm, teammate):
    flag = flagged(teammate)
    assert flag_for(csm, flag.pk) == flag
    with pytest.raises(Http404):
        flag_for(csm, flag.pk, to_change=True)


@pytest.mark.django_db
def test_accounts_carry_their_latest_health_and_open_flags(csm):
    flag = flagged(csm, score=45, previous=60)
    RiskFlagFactory(account=flag.account, reason=Reason.SCORE_DROP)
    row = with_health(Account.objects.filter(pk=flag.account_id)).get()
    assert (row.h_score, row.h_band, row.h_trend, row.h_flags) == (
        45,
        "red",
        None,
        2,
    )
