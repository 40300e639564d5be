"""The story of one account: who it is, its contracts from the first day until today (with
the churns and win-backs), the people we know there and how it came to its owner. What we did
together during each of its customer spans is told by ``demo.activity``.

Each account gets a latent *mood* (healthy, neutral, at risk) that drives everything a health
score reads: how often it renews, how recently we met, the tone of our notes, open problems,
NPS answers and whether its champion left. Churned accounts turn sour before they leave, so
the history has signal too.

Pure: an ``AccountStory`` turns the random stream into rows (plain tuples, collected in a
``Book``); it reads no database. Primary keys come from the ``Ids`` it is given, so a child
row can name its parent before anything is written.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from customers.ledger import ContractTerms, merge_spans
from customers.models import BudgetBand, Contact

from .activity import AT_RISK, HEALTHY, NEUTRAL, SpanActivity
from .draw import ONE_DAY, Draws, add_months, log_uniform, money, pick
from .staff import Staff
from .vocabulary import Vocabulary, ascii_name

HISTORY_DAYS = 3 * 365


@dataclass(frozen=True)
class SegmentSpec:
    name: str  # its key; the vocabulary names it
    share: float
    cadence_days: int
    benchmark: Decimal
    employees: tuple[int, int]
    mrr: tuple[int, int]
    mrr_step: int
    yearly_share: float  # the rest are open-ended monthly subscriptions
    annual_churn: float  # for a neutral account; healthy ×0.5, at risk ×2
    interaction_gap_days: int  # mean days between two logged interactions
    problems_per_year: float
    contacts: tuple[int, int]


SEGMENTS = (
    SegmentSpec("SMB", 0.6, 45, Decimal("80.00"), (5, 200), (150, 1500), 10, 0.7, 0.16, 115, 0.4,
                (2, 3)),
    SegmentSpec("Mid-market", 0.3, 30, Decimal("88.00"), (200, 2000), (1500, 8000), 50, 0.9, 0.1,
                70, 0.7, (2, 4)),
    SegmentSpec("Enterprise", 0.1, 14, Decimal("93.00"), (2000, 60000), (8000, 60000), 250, 1.0,
                0.06, 35, 1.2, (3, 5)),
)  # fmt: skip
MOODS = ((HEALTHY, 0.6), (NEUTRAL, 0.22), (AT_RISK, 0.18))
CHURN_FACTOR = {HEALTHY: 0.5, NEUTRAL: 1.0, AT_RISK: 2.0}
WIN_BACK_CHANCE = 0.15
CHANNELS = tuple(Contact.Channel.values)


@dataclass(frozen=True)
class Story:
    """A scripted account for the demo CSM, so their portfolio shows every case on any size."""

    mood: str
    segment: int
    started_days_ago: int
    churn_at_renewal: int | None = None  # the renewal (0 = first) at which they leave
    win_back_after_days: int | None = None
    transfer: bool = False
    champion_left: bool = False


STORIES = (
    Story(HEALTHY, 1, 1000),  # loyal, renewal in ~3 months, confirmed
    Story(AT_RISK, 2, 2 * 365 + 305, champion_left=True),  # renewal in ~2 months, escalation
    Story(NEUTRAL, 0, 1050, churn_at_renewal=0, win_back_after_days=150),  # a win-back
    Story(AT_RISK, 1, 900, churn_at_renewal=1),  # churned some months ago
    Story(HEALTHY, 0, 40),  # onboarding
    Story(NEUTRAL, 1, 500, transfer=True),  # just handed over, not yet acknowledged
)


@dataclass(frozen=True)
class Ids:
    """Where new primary keys come from, per table (the writer reserves them in blocks)."""

    account: Callable[[], int]
    contact: Callable[[], int]
    interaction: Callable[[], int]


@dataclass
class Book:
    """The rows of one chunk of accounts, as tuples in the column order of
    ``demo.writer.TABLES``."""

    accounts: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    transfers: list = field(default_factory=list)
    churn_records: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    interactions: list = field(default_factory=list)
    present: list = field(default_factory=list)
    reads: list = field(default_factory=list)
    follow_ups: list = field(default_factory=list)
    feedback: list = field(default_factory=list)


@dataclass
class _Contract:
    start: dt.date
    end: dt.date | None
    cancelled: dt.date | None
    value: Decimal
    notice: dt.date | None = None
    confirmed: bool = False


class Person:
    """A contact while the story still decides who leaves and who is champion."""

    __slots__ = (
        "email", "id", "is_champion", "is_decision_maker", "left_on", "name", "phone",
        "preferences", "preferred_channel", "title",
    )  # fmt: skip

    def __init__(self, **values):
        for key, value in values.items():
            setattr(self, key, value)

    def row(self, account_id: int) -> tuple:
        return (
            self.id, account_id, self.name, self.email, self.phone, self.title,
            self.is_decision_maker, self.is_champion, self.preferred_channel, self.preferences,
            self.left_on,
        )  # fmt: skip


def budget_band(annual: float) -> str:
    for limit, band in (
        (10_000, BudgetBand.UNDER_10K),
        (50_000, BudgetBand.FROM_10K),
        (250_000, BudgetBand.FROM_50K),
        (1_000_000, BudgetBand.FROM_250K),
    ):
        if annual < limit:
            return band
    return BudgetBand.OVER_1M


class AccountStory(Draws):
    """Tells accounts one after the other from one random stream."""

    def __init__(
        self,
        *,
        rng,
        today: dt.date,
        staff: Staff,
        words: Vocabulary,
        ids: Ids,
        segment_ids: list[int],
        reason_ids: dict[str, int],
    ):
        super().__init__(rng=rng, today=today, history_days=HISTORY_DAYS)
        self.staff = staff
        self.words = words
        self.ids = ids
        self.segment_ids = segment_ids  # spec index → Segment id
        self.reason_ids = reason_ids  # reason key → ChurnReason id
        self.names: set[str] = set()
        self.contract_seq = 0
        self.all_csms = staff.all_csms
        self.activity = SpanActivity(
            rng=rng, today=today, history_days=HISTORY_DAYS, words=words, ids=ids
        )

    def tell(self, index: int, book: Book) -> None:
        """The ``index``-th account of the book: the first ones are the demo CSM's scripted
        stories, the others belong to a CSM drawn at random."""
        if index < len(STORIES):
            self.account(index, book, self.staff.demo_csm_id, STORIES[index])
        else:
            self.account(index, book, self.rng.choice(self.all_csms), None)

    # -- identity
    def company_name(self, trade: tuple[str, ...]) -> str:
        """A company name, some with words of its ``trade`` (e.g. "Logistics", "Freight")."""
        rng, words = self.rng, self.words
        shape = rng.random()
        if shape < 0.5:
            base = f"{rng.choice(words.name_parts_a)}{rng.choice(words.name_parts_b)} "
            base += rng.choice(trade)
        elif shape < 0.7:
            base = f"{rng.choice(words.last_names)} & {rng.choice(words.last_names)}"
        elif shape < 0.85:
            base = f"{rng.choice(words.last_names)} {rng.choice(trade)}"
        else:
            base = f"{rng.choice(words.name_parts_a)}{rng.choice(words.name_parts_b)}"
        legal = rng.choice(words.legal_forms)
        name, n = f"{base} {legal}", 2
        while name in self.names:
            name, n = f"{base} {n} {legal}", n + 1
        self.names.add(name)
        return name

    # -- contracts
    def renewal_value(self, value: Decimal, spec: SegmentSpec, mood: str) -> Decimal:
        r = self.rng.random()
        down = 0.25 if mood == AT_RISK else 0.08
        if r < 0.17:
            factor = self.rng.uniform(1.1, 1.5)
        elif r < 0.17 + down:
            factor = self.rng.uniform(0.6, 0.9)
        elif r < 0.5:
            factor = self.rng.uniform(1.03, 1.05)
        else:
            return value
        return money(float(value) * factor, spec.mrr_step)

    def lifecycle(self, spec: SegmentSpec, mood: str, story: Story | None):
        """Contracts and churn dates (with reasons) from the first start until today.

        Yearly contracts renew into a new contract from the day after they end; monthly
        subscriptions are open-ended and run until cancelled (a price change cancels the old
        one and starts a new one the same day). Each year a customer may leave, more likely
        when at risk; some who left come back later (a win-back)."""
        rng, today = self.rng, self.today
        if story is not None:
            start = today - dt.timedelta(days=story.started_days_ago)
        elif rng.random() < 0.55:  # already a customer when the history begins
            start = self.horizon - dt.timedelta(days=rng.randint(0, 364))
        else:
            start = self.day_between(self.horizon, today - ONE_DAY)
        if story is None and rng.random() < 0.6:
            start = start.replace(day=1)
        value = money(log_uniform(rng, *spec.mrr), spec.mrr_step)
        yearly = story is not None or rng.random() < spec.yearly_share
        p_churn = min(0.8, spec.annual_churn * CHURN_FACTOR[mood])
        contracts: list[_Contract] = []
        churns: list[tuple[dt.date, str]] = []
        period = contract_start = start
        renewal, won_back = 0, False
        while True:
            period_end = add_months(period, 12) - ONE_DAY
            if story is not None:
                stays = won_back or renewal != story.churn_at_renewal
            else:
                stays = rng.random() >= p_churn
            if yearly and period_end >= today:  # the running contract
                c = _Contract(period, period_end, None, value)
                if (period_end - today).days <= 120:
                    if story is not None:
                        c.confirmed = mood == HEALTHY
                    elif mood == AT_RISK and rng.random() < 0.4:
                        c.notice = max(period, today - dt.timedelta(days=rng.randint(1, 30)))
                    elif mood == HEALTHY and rng.random() < 0.7:
                        c.confirmed = True
                contracts.append(c)
                break
            if yearly and stays:
                contracts.append(_Contract(period, period_end, None, value, confirmed=True))
                value = self.renewal_value(value, spec, mood)
                period, renewal = period_end + ONE_DAY, renewal + 1
                continue
            if not yearly and stays:
                if period_end >= today:
                    contracts.append(_Contract(contract_start, None, None, value))
                    break
                new_value = self.renewal_value(value, spec, mood)
                if new_value != value:
                    contracts.append(_Contract(contract_start, None, period_end + ONE_DAY, value))
                    contract_start, value = period_end + ONE_DAY, new_value
                period, renewal = period_end + ONE_DAY, renewal + 1
                continue
            # they leave: a yearly contract is not renewed or cancelled during its term; a
            # monthly subscription is cancelled some month of this year
            if yearly and story is None and rng.random() < 0.2:
                gone = add_months(period, rng.randint(3, 10)).replace(day=1)
                notice = max(period, gone - dt.timedelta(days=rng.randint(20, 60)))
                contracts.append(_Contract(period, period_end, gone, value, notice=notice))
            elif yearly:
                gone = period_end + ONE_DAY
                notice = max(period, period_end - dt.timedelta(days=rng.randint(30, 90)))
                contracts.append(_Contract(period, period_end, None, value, notice=notice))
            else:
                gone = add_months(period, rng.randint(1, 12))
                if gone > today:  # not gone yet: notice given lately, or nothing known yet
                    if (gone - today).days <= 60:
                        notice = max(contract_start, today - dt.timedelta(days=rng.randint(1, 20)))
                        contracts.append(
                            _Contract(contract_start, None, gone, value, notice=notice)
                        )
                    else:
                        contracts.append(_Contract(contract_start, None, None, value))
                    break
                notice = max(contract_start, gone - dt.timedelta(days=30))
                contracts.append(_Contract(contract_start, None, gone, value, notice=notice))
            churns.append((gone, self.churn_reason(spec, mood)))
            if story is not None and story.win_back_after_days and not won_back:
                back = gone + dt.timedelta(days=story.win_back_after_days)
            elif story is None and rng.random() < WIN_BACK_CHANCE:
                back = gone + dt.timedelta(days=rng.randint(90, 540))
            else:
                break
            if back >= today:
                break
            won_back, renewal = True, 0
            period = contract_start = back
            value = money(float(value) * rng.uniform(0.7, 1.1), spec.mrr_step)
            yearly = story is not None or rng.random() < spec.yearly_share
        return contracts, churns

    def churn_reason(self, spec: SegmentSpec, mood: str) -> str:
        weights = [
            ("Price", 0.2),
            ("Product fit", 0.14),
            ("Lost champion", 0.12),
            ("Acquired", 0.06),
            ("Budget cuts", 0.22 if spec.name == "SMB" else 0.1),
            ("Went to competitor", 0.18),
            ("Service quality", 0.16 if mood == AT_RISK else 0.08),
        ]
        return pick(self.rng, weights)

    # -- people at the customer
    # -- people at the customer
    def contacts(self, spec, mood, first_day, churns, current, domain, story) -> list[Person]:
        rng, today, words = self.rng, self.today, self.words
        k = rng.randint(*spec.contacts)
        people, emails = [], set()
        while len(people) < k:
            first, last = rng.choice(words.first_names), rng.choice(words.last_names)
            if (first, last) in people:
                continue
            people.append((first, last))
        rows = []
        for i, (first, last) in enumerate(people):
            local, n = f"{ascii_name(first)}.{ascii_name(last)}", 2
            while local in emails:
                local, n = f"{ascii_name(first)}.{ascii_name(last)}{n}", n + 1
            emails.add(local)
            if i == 0:
                title = rng.choice(words.decision_maker_titles[spec.name])
            elif i == 1:
                title = rng.choice(words.champion_titles)
            else:
                title = rng.choice(words.user_titles)
            prefs = ""
            if rng.random() < 0.65:
                prefs = " ".join(rng.sample(words.preferences, rng.choice((1, 1, 2))))
            rows.append(
                Person(
                    id=self.ids.contact(),
                    name=f"{first} {last}",
                    email=f"{local}@{domain}",
                    phone=f"+49 {rng.randint(151, 179)} {rng.randint(1000000, 9999999)}",
                    title=title,
                    is_decision_maker=i == 0,
                    is_champion=i == 1 or (k == 2 and i == 0 and rng.random() < 0.2),
                    preferred_channel=rng.choice(CHANNELS),
                    preferences=prefs,
                    left_on=None,
                )
            )
        champion = rows[1]
        earliest = first_day + dt.timedelta(days=60)
        lost = [day for day, reason in churns if reason == "Lost champion"]
        if lost:
            left = lost[-1] - dt.timedelta(days=rng.randint(30, 150))
            champion.left_on = max(first_day + ONE_DAY, left)
        elif (
            current
            and mood == AT_RISK
            and earliest < today
            and (story.champion_left if story is not None else rng.random() < 0.5)
        ):
            champion.left_on = max(earliest, today - dt.timedelta(days=rng.randint(20, 200)))
        elif current and rng.random() < 0.05 and len(rows) > 2 and earliest < today:
            champion.left_on = self.day_between(earliest, today - ONE_DAY)
            rows[2].is_champion = True  # a new champion took over
        for person in rows[2:]:
            if earliest < today and not person.is_champion and rng.random() < 0.07:
                person.left_on = self.day_between(earliest, today - ONE_DAY)
        return rows

    # -- the whole account
    def account(self, index: int, book: Book, owner_id: int, story: Story | None) -> None:
        rng, today, staff = self.rng, self.today, self.staff
        if story is not None:
            spec_index, mood = story.segment, story.mood
        else:
            spec_index = pick(rng, [(i, s.share) for i, s in enumerate(SEGMENTS)])
            mood = pick(rng, MOODS)
        spec = SEGMENTS[spec_index]
        industry, trade = rng.choice(self.words.industries)
        name = self.company_name(trade)
        contracts, churns = self.lifecycle(spec, mood, story)
        team_index = staff.team_index[owner_id]
        account_id = self.ids.account()
        book.accounts.append(
            (
                account_id,
                name,
                f"{(ascii_name(name)[:4] or 'acct').upper()}-{index + 1:06d}",
                self.segment_ids[spec_index],
                industry,
                round(log_uniform(rng, *spec.employees)),
                budget_band(float(contracts[0].value) * 12 * rng.uniform(1.2, 3)),
                owner_id,
                staff.team_ids[team_index],
            )
        )
        for c in contracts:
            self.contract_seq += 1
            reference = f"CT-{c.start.year}-{self.contract_seq:07d}"
            book.contracts.append(
                (account_id, reference, c.start, c.end, c.cancelled, c.notice, c.confirmed, c.value)
            )
        spans = merge_spans(ContractTerms(c.start, c.end, c.cancelled) for c in contracts)
        current = any(last is None or last >= today for _, last in spans)
        first_day = contracts[0].start
        domain = f"{ascii_name(name.rsplit(' ', 1)[0])[:40] or 'customer'}.example"
        contacts = self.contacts(spec, mood, first_day, churns, current, domain, story)

        # a few accounts changed hands; before that, the previous owner did the work
        handed_over = previous_owner = None
        if current and (story.transfer if story is not None else rng.random() < 0.03):
            previous_owner, at = self.transfer(
                book, account_id, owner_id, team_index, first_day, story is not None
            )
            handed_over = at.astimezone(self.tz).date()

        def owner_on(day: dt.date) -> int:
            return previous_owner if handed_over and day < handed_over else owner_id

        teammates = [u for u in staff.csms_by_team[team_index] if u != owner_id]
        lead_id = staff.lead_by_team[team_index]

        def author_on(day: dt.date) -> int:
            r = rng.random()
            if r < 0.86 or not teammates:
                return owner_on(day)
            return rng.choice(teammates) if r < 0.96 else lead_id

        reason_by_day = dict(churns)
        for first, last in spans:
            ended = last is not None and last < today
            self.activity.span(
                book=book,
                account_id=account_id,
                spec=spec,
                mood=mood,
                contacts=contacts,
                first=first,
                last=last,
                reason=reason_by_day.get(last + ONE_DAY) if ended else None,
                owner_on=owner_on,
                author_on=author_on,
                owner_now=owner_id,
            )
        book.contacts.extend(person.row(account_id) for person in contacts)
        for day, reason in churns:
            book.churn_records.append(
                (
                    account_id,
                    day,
                    self.reason_ids[reason],
                    self.words.churn_notes[reason],
                    owner_on(day - ONE_DAY),
                )
            )

    def transfer(self, book, account_id, owner_id, team_index, first_day, scripted):
        """Record how the account came to its owner; returns (previous owner, when)."""
        rng, today, staff = self.rng, self.today, self.staff
        kind = "rebalance"
        if not scripted:
            kind = pick(rng, [("left", 0.4), ("rebalance", 0.4), ("team", 0.2)])
        if kind == "left":
            from_id = staff.former_by_team[team_index]
        elif kind == "team" and len(staff.team_ids) > 1:
            other = rng.choice([i for i in range(len(staff.team_ids)) if i != team_index])
            from_id = rng.choice(staff.csms_by_team[other])
        else:
            kind = "rebalance"
            others = [u for u in staff.csms_by_team[team_index] if u != owner_id]
            from_id = rng.choice(others or [staff.former_by_team[team_index]])
        days_ago = rng.randint(3, 20) if scripted else rng.randint(1, 540)
        day = max(first_day + ONE_DAY, today - dt.timedelta(days=days_ago))
        day = min(day, today - ONE_DAY)
        at = self.at(day)
        acknowledged = None
        if not scripted and ((today - day).days > 60 or rng.random() < 0.5):
            ack_day = min(day + dt.timedelta(days=rng.randint(0, 7)), today - ONE_DAY)
            acknowledged = max(at, self.at(ack_day, 18))
        notes = self.words.transfer_notes
        if rng.random() < 0.5:
            notes += self.words.transfer_notes_champion
        book.transfers.append(
            (
                account_id,
                from_id,
                owner_id,
                staff.lead_by_team[team_index],
                at,
                self.words.transfer_reasons[kind],
                notes,
                acknowledged,
            )
        )
        return from_id, at
