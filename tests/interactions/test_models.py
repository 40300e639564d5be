"""interactions.models: the database refuses bad rows; small behaviour of one row."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from interactions.models import Feedback, FollowUp, Interaction, OpenProblem

from ..factories import (
    AccountFactory,
    FeedbackFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
)
from ..source import copies

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    """Whether the database refuses the row that ``make`` writes."""
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


# ---------------------------------------------------------------------------------------------
# Feedback scores


@pytest.mark.parametrize(
    ("kind", "score", "accepted"),
    [
        ("nps", 0, True),
        ("nps", 10, True),
        ("nps", 11, False),
        ("csat", 0, False),
        ("csat", 1, True),
        ("csat", 5, True),
        ("csat", 6, False),
    ],
)
def test_feedback_score_range_is_enforced_by_the_database(kind, score, accepted):
    account = AccountFactory()
    assert refused(lambda: FeedbackFactory(account=account, kind=kind, score=score)) is not accepted


def test_feedback_of_an_unknown_kind_is_refused_by_the_database():
    assert refused(lambda: FeedbackFactory(kind="ces", score=3))


@pytest.mark.parametrize(
    ("kind", "score", "category"),
    [
        ("nps", 10, "promoter"),
        ("nps", 9, "promoter"),
        ("nps", 8, "passive"),
        ("nps", 7, "passive"),
        ("nps", 6, "detractor"),
        ("nps", 0, "detractor"),
        ("csat", 5, "promoter"),
        ("csat", 4, "passive"),
        ("csat", 3, "detractor"),
        ("csat", 1, "detractor"),
    ],
)
def test_feedback_category_boundaries(kind, score, category):
    assert Feedback(kind=kind, score=score).category == category


def test_feedback_is_sorted_in_sql_as_in_python_by_any_thresholds(monkeypatch):
    from interactions import feedback

    thresholds = feedback.FeedbackThresholds(8, 5, 4, 2)
    rows = [FeedbackFactory(kind="nps", score=s) for s in range(11)]
    rows += [FeedbackFactory(kind="csat", score=s) for s in range(1, 6)]
    expected = {f.pk: thresholds.category(f.kind, f.score) for f in rows}
    assert expected[rows[8].pk] == "promoter" and expected[rows[4].pk] == "detractor"
    annotated = Feedback.objects.with_category(thresholds)
    assert {f.pk: f.category for f in annotated} == expected
    for category in feedback.CATEGORIES:
        cut = Feedback.objects.filter(thresholds.category_filter(category))
        assert set(cut.values_list("pk", flat=True)) == {
            pk for pk, c in expected.items() if c == category
        }
    # A row read without the annotation asks for the thresholds in force.
    monkeypatch.setattr(feedback, "_source", lambda: thresholds)
    assert [Feedback.objects.get(pk=f.pk).category for f in rows] == list(expected.values())


# ---------------------------------------------------------------------------------------------
# Open problems


def test_resolved_problem_needs_a_resolution_time():
    assert refused(lambda: OpenProblemFactory(status=OpenProblem.Status.RESOLVED, resolved_at=None))


@pytest.mark.parametrize("status", [OpenProblem.Status.OPEN, OpenProblem.Status.IN_PROGRESS])
def test_unresolved_problem_cannot_have_a_resolution_time(status):
    opened = timezone.now() - dt.timedelta(days=1)
    assert refused(
        lambda: OpenProblemFactory(status=status, opened_at=opened, resolved_at=timezone.now())
    )


def test_problem_cannot_be_resolved_before_it_was_opened():
    now = timezone.now()
    assert refused(
        lambda: OpenProblemFactory(
            status=OpenProblem.Status.RESOLVED, opened_at=now, resolved_at=now - dt.timedelta(1)
        )
    )
    assert not refused(
        lambda: OpenProblemFactory(
            status=OpenProblem.Status.RESOLVED, opened_at=now, resolved_at=now
        )
    )


def test_problem_is_open_until_resolved():
    problem = OpenProblem(status=OpenProblem.Status.IN_PROGRESS)
    assert problem.is_open
    problem.status = OpenProblem.Status.RESOLVED
    assert not problem.is_open


# ---------------------------------------------------------------------------------------------
# Interactions and follow-ups


def test_alive_and_contacts_made_leave_out_deleted_rows_and_emails():
    account = AccountFactory()
    call = InteractionFactory(account=account, kind=Interaction.Kind.CALL)
    meeting = InteractionFactory(account=account, kind=Interaction.Kind.MEETING)
    email = InteractionFactory(account=account, kind=Interaction.Kind.EMAIL)
    gone = InteractionFactory(
        account=account, kind=Interaction.Kind.MEETING, deleted_at=timezone.now()
    )

    assert set(Interaction.objects.alive()) == {call, meeting, email}
    assert set(Interaction.objects.contacts_made()) == {call, meeting}
    assert gone in Interaction.objects.all()


def test_follow_up_is_overdue_only_after_its_due_day_and_while_open():
    today = dt.date(2025, 5, 10)
    follow_up = FollowUp(due_on=today)
    assert not follow_up.is_overdue(today)
    assert follow_up.is_overdue(today + dt.timedelta(days=1))
    follow_up.done_at = timezone.now()
    assert follow_up.is_done
    assert not follow_up.is_overdue(today + dt.timedelta(days=1))


def test_open_overdue_and_due_in_sql_are_the_rule_of_one_follow_up():
    today = dt.date(2025, 5, 10)
    account = AccountFactory()
    rows = [
        FollowUpFactory(account=account, due_on=today + dt.timedelta(days=days), done_at=done)
        for days in (-3, -1, 0, 1)
        for done in (None, timezone.now())
    ]
    for day in (today - dt.timedelta(days=2), today, today + dt.timedelta(days=2)):
        overdue = {f for f in rows if f.is_overdue(day)}
        assert set(FollowUp.objects.overdue_on(day)) == overdue, day
        assert set(FollowUp.objects.due_by(day)) == overdue | {
            f for f in rows if f.due_on == day and not f.is_done
        }
    assert set(account.follow_ups.open()) == {f for f in rows if not f.is_done}


def test_the_follow_up_rule_is_written_once():
    """When a promise is open or overdue: interactions/models.py (and the model's pure twin)."""
    assert copies(r"done_at__isnull=True|due_on__lt=", homes={"interactions/models.py"}) == []


def test_the_scale_of_an_answer_is_written_once():
    """NPS 0–10 and CSAT 1–5: interactions/feedback.py (constraints, checks, thresholds)."""
    scale = r"score__(gte|lte)=(0|1|5|10)\b|\((0, 10|1, 5)\)|, (10, 0|5, 1)\)"
    assert copies(scale, homes={"interactions/feedback.py"}) == []


def test_names_and_links():
    account = AccountFactory(name="Hafenbräu AG")
    page = f"/customers/{account.pk}/"
    interaction = InteractionFactory(account=account, kind="meeting", summary="Kick-off")
    follow_up = FollowUpFactory(account=account, title="Send plan", due_on=dt.date(2025, 5, 9))
    problem = OpenProblemFactory(account=account, title="Export is slow")
    feedback = FeedbackFactory(account=account, kind="nps", score=9)

    assert str(interaction) == "Meeting: Kick-off"
    assert interaction.get_absolute_url() == f"/interactions/{interaction.pk}/"
    assert str(follow_up) == "Send plan (due 2025-05-09)"
    assert follow_up.get_absolute_url() == page + "#follow-ups"
    assert str(problem) == "Export is slow"
    assert problem.get_absolute_url() == page + "#problems"
    assert str(feedback) == "NPS (0–10) 9 — Hafenbräu AG"
    assert feedback.get_absolute_url() == page + "#feedback"
