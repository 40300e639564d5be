"""The story of the demo's accounts, told without a database: rows in a Book, ids from
counters."""

import datetime as dt
import itertools
import random
from collections import defaultdict

from customers.ledger import ContractTerms, merge_spans
from demo.activity import LATE_DAYS, ONBOARDING, ONBOARDING_DAYS
from demo.staff import Staff
from demo.story import AccountStory, Book, Ids
from demo.vocabulary import vocabulary_for

TODAY = dt.date(2026, 6, 15)


def tell(accounts: int, *, seed: int = 1, language: str = "en", today: dt.date = TODAY) -> Book:
    staff = Staff(
        lead_by_team=[1, 2, 3],
        csms_by_team=[[4, 5], [6, 7], [8, 9]],
        former_by_team=[10, 11, 12],
        team_ids=[1, 2, 3],
        demo_csm_id=4,
    )
    ids = Ids(*(itertools.count(1).__next__ for _ in range(3)))
    story = AccountStory(
        rng=random.Random(seed),
        today=today,
        staff=staff,
        words=vocabulary_for(language),
        ids=ids,
        segment_ids=[1, 2, 3],
        reason_ids=dict.fromkeys(vocabulary_for(language).churn_reasons, 1),
    )
    book = Book()
    for index in range(accounts):
        story.tell(index, book)
    return book


def current_span_start(book: Book) -> dict[int, dt.date]:
    """The first day of each account's span that runs through today."""
    contracts = defaultdict(list)
    for account_id, _ref, start, end, cancelled, *_ in book.contracts:
        contracts[account_id].append(ContractTerms(start, end, cancelled))
    return {
        account_id: first
        for account_id, terms in contracts.items()
        for first, last in merge_spans(terms)
        if first <= TODAY and (last is None or last >= TODAY)
    }


def test_open_follow_ups_are_ahead_or_a_few_days_late():
    book = tell(400)

    open_due = [due for *_, due, _owner, done_at in book.follow_ups if done_at is None]

    assert min(open_due) >= TODAY - dt.timedelta(days=LATE_DAYS)
    ahead = [due for due in open_due if due >= TODAY]
    late = [due for due in open_due if due < TODAY]
    assert late, "a few promises are a few days late"
    assert len(ahead) > 3 * len(late)


def test_promises_are_kept_before_today():
    book = tell(200)

    done = [done_at for *_, done_at in book.follow_ups if done_at is not None]

    assert done and max(done).date() < TODAY


def test_the_newest_customers_are_in_onboarding_with_the_next_steps_promised():
    book = tell(400)
    starts = current_span_start(book)
    newest = {a for a, first in starts.items() if (TODAY - first).days < ONBOARDING_DAYS}
    words = vocabulary_for("en")
    promised = defaultdict(set)
    for account_id, _interaction, title, due, _owner, done_at in book.follow_ups:
        if title in words.onboarding_todo and done_at is None:
            promised[account_id].add(due)
    held = defaultdict(set)
    steps = {text.split("{", 1)[0] for text in words.onboarding_done}
    for _id, account_id, _kind, at, _author, summary, *_ in book.interactions:
        if any(summary.startswith(step) for step in steps):
            held[account_id].add(at.date())

    assert len(newest) >= 10
    for account_id in newest:
        first = starts[account_id]
        days = [first + dt.timedelta(days=offset) for offset, _kind in ONBOARDING]
        ahead = {day for day in days if day >= TODAY}
        assert ahead <= promised[account_id], account_id  # the 90-day review at least
        assert first + dt.timedelta(days=90) in promised[account_id]
        done = held[account_id] | promised[account_id]
        assert set(days) <= done, account_id  # every step either held or promised
    assert set(promised) <= newest  # no onboarding once the 90 days are over


def test_the_same_seed_tells_the_same_story_and_another_seed_another():
    assert tell(50, seed=3) == tell(50, seed=3)
    assert tell(50, seed=3).accounts != tell(50, seed=4).accounts
