"""interactions.services: logging the relationship and keeping the last contact in step."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.models import Account
from interactions import services
from interactions.models import FollowUp, Interaction, OpenProblem

from ..factories import (
    AccountFactory,
    ContactFactory,
    FollowUpFactory,
    InteractionFactory,
    OpenProblemFactory,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def account(csm):
    return AccountFactory(owner=csm)


def ago(**delta) -> dt.datetime:
    return timezone.now() - dt.timedelta(**delta)


def log(account, author, **kwargs) -> Interaction:
    kwargs.setdefault("kind", Interaction.Kind.MEETING)
    kwargs.setdefault("summary", "Quarterly review")
    return services.log_interaction(account=account, author=author, **kwargs)


# ---------------------------------------------------------------------------------------------
# log_interaction


def test_meeting_moves_last_contact_forward_but_never_back(account, csm):
    recent = log(account, csm, occurred_at=ago(days=1))

    log(account, csm, kind=Interaction.Kind.CALL, occurred_at=ago(days=5))

    account.refresh_from_db()
    assert account.last_meeting_or_call_at == recent.occurred_at
    latest = log(account, csm, kind=Interaction.Kind.CALL, occurred_at=ago(hours=1))
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == latest.occurred_at


def test_meeting_sets_last_contact_on_the_account_and_the_callers_object(account, csm, frozen):
    interaction = log(account, csm, occurred_at=frozen - dt.timedelta(hours=2))

    assert account.last_meeting_or_call_at == interaction.occurred_at
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == frozen - dt.timedelta(hours=2)


@pytest.mark.parametrize("kind", [Interaction.Kind.EMAIL, Interaction.Kind.NOTE])
def test_email_or_note_does_not_count_as_contact(account, csm, kind):
    log(account, csm, kind=kind)

    account.refresh_from_db()
    assert account.last_meeting_or_call_at is None


def test_follow_up_is_promised_with_the_interaction(account, csm, frozen):
    due = dt.date(2025, 6, 9)
    interaction = log(account, csm, follow_up_title="Send the pricing sheet", follow_up_due=due)

    follow_up = FollowUp.objects.get()
    assert (follow_up.interaction, follow_up.account, follow_up.owner) == (
        interaction,
        account,
        csm,
    )
    assert (follow_up.title, follow_up.due_on, follow_up.done_at) == (
        "Send the pricing sheet",
        due,
        None,
    )


def test_follow_up_title_falls_back_to_the_first_line_of_next_steps(account, csm):
    log(
        account,
        csm,
        next_steps="Invite the CFO to the roadmap call\nPrepare numbers",
        follow_up_due=dt.date(2030, 1, 1),
    )

    assert FollowUp.objects.get().title == "Invite the CFO to the roadmap call"


def test_follow_up_without_anything_promised_is_refused(account, csm):
    with pytest.raises(ValidationError) as exc:
        log(account, csm, follow_up_due=dt.date(2030, 1, 1))

    assert "follow_up_title" in exc.value.message_dict
    assert not Interaction.objects.exists()


def test_contacts_present_are_recorded(account, csm):
    anna = ContactFactory(account=account)

    interaction = log(account, csm, contacts=[anna])

    assert list(interaction.contacts.all()) == [anna]


def test_contact_of_another_account_is_refused(account, csm):
    stranger = ContactFactory()

    with pytest.raises(ValidationError) as exc:
        log(account, csm, contacts=[stranger])

    assert "contacts" in exc.value.message_dict
    assert not Interaction.objects.exists()
    account.refresh_from_db()
    assert account.last_meeting_or_call_at is None


def test_interaction_in_the_future_is_refused_but_clock_skew_is_tolerated(account, csm, frozen):
    with pytest.raises(ValidationError) as exc:
        log(account, csm, occurred_at=frozen + dt.timedelta(minutes=6))
    assert "occurred_at" in exc.value.message_dict

    log(account, csm, occurred_at=frozen + dt.timedelta(minutes=4))
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize("summary", ["", "   "])
def test_empty_summary_is_refused(account, csm, summary):
    with pytest.raises(ValidationError) as exc:
        log(account, csm, summary=summary)

    assert "summary" in exc.value.message_dict
    assert not Interaction.objects.exists()


# ---------------------------------------------------------------------------------------------
# Follow-ups and problems


def test_completing_a_follow_up_twice_keeps_the_first_date():
    follow_up = FollowUpFactory()
    first = ago(hours=3)

    services.complete_follow_up(follow_up=follow_up, at=first)
    again = services.complete_follow_up(follow_up=follow_up, at=ago(minutes=1))

    assert again.done_at == first
    follow_up.refresh_from_db()
    assert follow_up.done_at == first


def test_complete_follow_ups_marks_the_open_ones_only():
    open_one = FollowUpFactory()
    done_at = ago(days=2)
    done_one = FollowUpFactory(done_at=done_at)

    assert services.complete_follow_ups(follow_up_ids=[open_one.pk, done_one.pk]) == 1

    open_one.refresh_from_db()
    done_one.refresh_from_db()
    assert open_one.done_at is not None
    assert done_one.done_at == done_at


def test_problem_moves_through_progress_to_resolved_and_back(account, csm):
    problem = services.open_problem(account=account, title=" Export is slow ", severity="high")
    assert (problem.title, problem.status) == ("Export is slow", OpenProblem.Status.OPEN)

    problem = services.change_problem_status(problem=problem, status="in_progress")
    assert problem.status == OpenProblem.Status.IN_PROGRESS
    assert problem.resolved_at is None

    problem = services.change_problem_status(
        problem=problem, status="resolved", resolution=" Added an index "
    )
    assert problem.status == OpenProblem.Status.RESOLVED
    assert problem.resolved_at is not None
    assert problem.resolution == "Added an index"

    problem = services.change_problem_status(problem=problem, status="open")
    problem.refresh_from_db()
    assert problem.status == OpenProblem.Status.OPEN
    assert problem.resolved_at is None


@pytest.mark.parametrize("resolution", ["", "  "])
def test_resolving_a_problem_needs_a_resolution(resolution):
    problem = OpenProblemFactory()

    with pytest.raises(ValidationError) as exc:
        services.change_problem_status(problem=problem, status="resolved", resolution=resolution)

    assert "resolution" in exc.value.message_dict
    problem.refresh_from_db()
    assert problem.status == OpenProblem.Status.OPEN


def test_start_work_on_problems_moves_open_ones_and_leaves_resolved_ones():
    open_problem = OpenProblemFactory()
    started = OpenProblemFactory(status=OpenProblem.Status.IN_PROGRESS)
    resolved = OpenProblemFactory(opened_at=ago(days=1))
    services.change_problem_status(problem=resolved, status="resolved", resolution="Fixed")

    moved = services.start_work_on_problems(problem_ids=[open_problem.pk, started.pk, resolved.pk])

    assert moved == 1
    statuses = dict(OpenProblem.objects.values_list("pk", "status"))
    assert statuses == {
        open_problem.pk: "in_progress",
        started.pk: "in_progress",
        resolved.pk: "resolved",
    }


# ---------------------------------------------------------------------------------------------
# Feedback


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
def test_feedback_score_must_fit_its_kind(account, kind, score, accepted):
    def record():
        return services.record_feedback(
            account=account, kind=kind, score=score, received_on=dt.date(2025, 5, 1)
        )

    if accepted:
        assert record().score == score
    else:
        with pytest.raises(ValidationError) as exc:
            record()
        assert "score" in exc.value.message_dict


def test_feedback_from_a_contact_of_another_account_is_refused(account):
    with pytest.raises(ValidationError) as exc:
        services.record_feedback(
            account=account,
            kind="nps",
            score=9,
            received_on=dt.date(2025, 5, 1),
            contact=ContactFactory(),
        )

    assert "contact" in exc.value.message_dict


def test_feedback_is_credited_to_the_owner_unless_someone_else_recorded_it(account, csm, teammate):
    by_owner = services.record_feedback(
        account=account, kind="csat", score=5, received_on=dt.date(2025, 5, 1)
    )
    by_teammate = services.record_feedback(
        account=account, kind="csat", score=4, received_on=dt.date(2025, 5, 2), author=teammate
    )

    assert by_owner.author == csm
    assert by_teammate.author == teammate


# ---------------------------------------------------------------------------------------------
# Soft delete, restore and the last contact


def test_refresh_last_meeting_or_call_takes_the_latest_meeting_or_call_that_is_not_deleted():
    account = AccountFactory()
    call = InteractionFactory(account=account, kind="call", occurred_at=ago(days=8))
    InteractionFactory(account=account, kind="email", occurred_at=ago(days=1))
    InteractionFactory(account=account, kind="meeting", occurred_at=ago(days=2), deleted_at=ago())
    silent = AccountFactory(last_meeting_or_call_at=ago(days=3))  # stale: nothing behind it

    assert services.refresh_last_meeting_or_call(account_ids=[account.pk, silent.pk]) == 2

    account.refresh_from_db()
    silent.refresh_from_db()
    assert account.last_meeting_or_call_at == call.occurred_at
    assert silent.last_meeting_or_call_at is None


def test_refresh_last_meeting_or_call_is_one_statement_for_many_accounts(
    django_assert_max_num_queries,
):
    accounts = AccountFactory.create_batch(30)
    for account in accounts:
        InteractionFactory(account=account, kind="meeting", occurred_at=ago(days=1))

    ids = [a.pk for a in accounts]

    # The UPDATE, and the savepoint around it.
    with django_assert_max_num_queries(3) as queries:
        assert services.refresh_last_meeting_or_call(account_ids=ids) == 30

    assert sum(q["sql"].startswith("UPDATE") for q in queries.captured_queries) == 1
    assert not Account.objects.filter(pk__in=ids, last_meeting_or_call_at__isnull=True).exists()


def test_deleting_the_latest_meeting_moves_the_last_contact_back():
    account = AccountFactory()
    older = InteractionFactory(account=account, kind="meeting", occurred_at=ago(days=10))
    newer = InteractionFactory(account=account, kind="call", occurred_at=ago(days=1))
    services.refresh_last_meeting_or_call(account_ids=[account.pk])

    deleted = services.delete_interaction(interaction=newer)

    assert deleted.deleted_at is not None
    assert Interaction.objects.filter(pk=newer.pk).exists()
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == older.occurred_at

    services.delete_interaction(interaction=older)
    account.refresh_from_db()
    assert account.last_meeting_or_call_at is None


def test_deleting_twice_keeps_the_first_deletion_time():
    interaction = InteractionFactory()
    first = ago(hours=1)

    assert services.delete_interactions(interaction_ids=[interaction.pk], at=first) == 1
    assert services.delete_interactions(interaction_ids=[interaction.pk]) == 0

    interaction.refresh_from_db()
    assert interaction.deleted_at == first


def test_restoring_brings_the_interaction_and_the_last_contact_back():
    account = AccountFactory()
    meeting = InteractionFactory(account=account, kind="meeting", occurred_at=ago(days=1))
    services.delete_interaction(interaction=meeting)

    restored = services.restore_interaction(interaction=meeting)

    assert restored.deleted_at is None
    account.refresh_from_db()
    assert account.last_meeting_or_call_at == meeting.occurred_at
    assert services.restore_interactions(interaction_ids=[meeting.pk]) == 0


def test_deleting_across_accounts_refreshes_each_of_them():
    first, second = AccountFactory(), AccountFactory()
    keep = InteractionFactory(account=first, kind="meeting", occurred_at=ago(days=5))
    drop_first = InteractionFactory(account=first, kind="meeting", occurred_at=ago(days=1))
    drop_second = InteractionFactory(account=second, kind="call", occurred_at=ago(days=1))
    services.refresh_last_meeting_or_call(account_ids=[first.pk, second.pk])

    assert services.delete_interactions(interaction_ids=[drop_first.pk, drop_second.pk]) == 2

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.last_meeting_or_call_at == keep.occurred_at
    assert second.last_meeting_or_call_at is None


# --- what the services announce (crm.events) ---


def test_new_feedback_is_announced_a_correction_only_when_it_makes_a_detractor(listen):
    from crm import events

    recorded, changed = listen(events.FeedbackRecorded), listen(events.AccountChanged)
    account = AccountFactory()
    feedback = services.record_feedback(
        account=account, kind="nps", score=9, received_on=dt.date(2025, 6, 1)
    )
    services.update_feedback(
        feedback=feedback, kind="nps", score=8, received_on=dt.date(2025, 6, 1)
    )
    assert recorded == [events.FeedbackRecorded(feedback.pk)]
    for score in (3, 2):  # into a detractor: announced; staying one: not again
        services.update_feedback(
            feedback=feedback, kind="nps", score=score, received_on=dt.date(2025, 6, 1)
        )
    assert recorded == [events.FeedbackRecorded(feedback.pk)] * 2
    assert changed == [events.AccountChanged(account.pk, events.What.FEEDBACK)] * 4
