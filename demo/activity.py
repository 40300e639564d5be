"""What we did with an account during one of its customer spans: meetings, calls, emails and
notes (with the follow-ups they promised and who was present), open problems, NPS and CSAT
answers, and the owner's own read of the account.

Pure, like ``demo.story``: rows are appended to the chunk's ``Book``; ids come from ``Ids``.
"""

import datetime as dt

from interactions.models import Interaction, Tone

from .draw import ONE_DAY, Draws, pick, poisson
from .vocabulary import BAD, GOOD, MIXED, Vocabulary

HEALTHY, NEUTRAL, AT_RISK = "healthy", "neutral", "at_risk"  # an account's mood
# An open promise is at most this many days late: the book ends today, and what was due
# before then was kept (a CSM's list is not years overdue).
LATE_DAYS = 7
OTHER_INTERACTIONS = 0.6  # of the segment's interaction rate, besides the rhythm
RHYTHM_DAYS = 200  # the score history's 90 days and the 90-day window of its oldest score
RHYTHM = {HEALTHY: (0.5, 1.0), NEUTRAL: (1.0, 2.0), AT_RISK: (0.8, 1.7)}  # × cadence
STEADY = {  # the tone noted after a regular meeting, by mood (unless it went badly)
    HEALTHY: [(Tone.POSITIVE, 0.95), (Tone.NEUTRAL, 0.05)],
    NEUTRAL: [(Tone.NEUTRAL, 0.9), (Tone.POSITIVE, 0.05), (Tone.NEGATIVE, 0.05)],
    AT_RISK: [(Tone.NEUTRAL, 0.6), (Tone.NEGATIVE, 0.4)],
}
READS = {  # the owner's own read of the account, by mood
    HEALTHY: [("green", 0.8), ("amber", 0.2)],
    NEUTRAL: [("amber", 0.7), ("green", 0.2), ("red", 0.1)],
    AT_RISK: [("red", 0.75), ("amber", 0.25)],
}
RESOLVE_DAYS = {"low": 7, "medium": 14, "high": 21}  # mean days to resolve a problem
ONBOARDING_DAYS = 90  # a new customer's first 90 days (DESIGN.md, "Health model")
ONBOARDING = (  # the steps of the default onboarding playbook after the kickoff: day, kind
    (14, "meeting"),  # success plan agreed
    (30, "meeting"),  # user training
    (45, "call"),  # check-in
    (60, "email"),  # the CSAT survey
    (90, "meeting"),  # the 90-day review that ends onboarding
)


class SpanActivity(Draws):
    """Tells what happened during a customer span, from the story's random stream."""

    def __init__(self, *, rng, today: dt.date, history_days: int, words: Vocabulary, ids):
        super().__init__(rng=rng, today=today, history_days=history_days)
        self.words = words
        self.ids = ids

    def tone(self, day, mood, ended, last) -> str:
        r = self.rng.random()
        if ended and (last - day).days <= 150:
            return BAD if r < 0.6 else MIXED
        if not ended and mood == AT_RISK and (self.today - day).days <= 200:
            return BAD if r < 0.65 else MIXED
        if mood == HEALTHY:
            return GOOD if r < 0.8 else MIXED
        if mood == NEUTRAL:
            return MIXED if r < 0.6 else GOOD if r < 0.9 else BAD
        return MIXED if r < 0.6 else GOOD if r < 0.85 else BAD

    def noted_tone(self, tone: str) -> str:
        r = self.rng.random()
        if tone == GOOD:
            return Tone.POSITIVE if r < 0.75 else Tone.NEUTRAL
        if tone == BAD:
            return Tone.NEGATIVE if r < 0.75 else Tone.NEUTRAL
        if r < 0.6:
            return Tone.NEUTRAL
        return Tone.POSITIVE if r < 0.8 else Tone.NEGATIVE

    def span(
        self, *, book, account_id, spec, mood, contacts, first, last, reason, owner_on, author_on,
        owner_now,
    ) -> None:  # fmt: skip
        """Interactions, follow-ups, problems and feedback during one customer span."""
        rng, today, words = self.rng, self.today, self.words
        yesterday = today - ONE_DAY
        ended = last is not None and last < today
        window_first = max(first, self.horizon)
        window_last = min(last, yesterday) if last is not None else yesterday
        if window_first > window_last:
            return
        cadence = spec.cadence_days
        days = (window_last - window_first).days + 1
        # Besides the meetings at the account's cadence (the rhythm below), at this rate: the
        # book keeps about ten interactions an account, a million at 100,000 accounts.
        factor = {HEALTHY: 1.1, NEUTRAL: 0.9, AT_RISK: 0.6}[mood] * OTHER_INTERACTIONS
        n = poisson(rng, days / spec.interaction_gap_days * factor)

        # when did we last meet or call: the engagement measure compares it with the cadence
        cut, touch = window_last, None
        if not ended:
            if mood == HEALTHY:
                touch = today - dt.timedelta(days=rng.randint(1, cadence))
            elif mood == NEUTRAL:
                touch = today - dt.timedelta(days=rng.randint(cadence // 2, 2 * cadence))
                cut = touch
            else:  # we stopped meeting them some time ago
                cut = today - dt.timedelta(days=2 * cadence + rng.randint(7, 60))
                touch = cut
        # Before the last touch we met them at about their cadence (closer when healthy),
        # over the last RHYTHM_DAYS: the days the score history and its windows look at.
        rhythm_first = max(window_first, today - dt.timedelta(days=RHYTHM_DAYS))
        rhythm = []
        if touch is not None:
            low, high = RHYTHM[mood]
            day = touch - dt.timedelta(days=round(cadence * rng.uniform(low, high)))
            while day >= rhythm_first:
                rhythm.append(day)
                day -= dt.timedelta(days=max(1, round(cadence * rng.uniform(low, high))))

        def active(day):
            return [c for c in contacts if c.left_on is None or day < c.left_on]

        def log(day, kind, tone, summary=None, present=None, noted=None):
            people = active(day)
            if present is None:
                present = []
                if kind in Interaction.CONTACT_KINDS and people and rng.random() < 0.8:
                    present = rng.sample(people, min(len(people), rng.choice((1, 1, 2, 3))))
            named = present[0] if present else (rng.choice(people) if people else None)
            first_name = named.name.split(" ", 1)[0] if named else words.the_customer
            summary = (summary or rng.choice(words.summaries[(kind, tone)])).format(
                first=first_name,
                feature=rng.choice(words.features),
                dept=rng.choice(words.departments),
                doc=rng.choice(words.documents),
            )
            notes = rng.choice(words.notes[tone]) if rng.random() < 0.7 else ""
            noted = noted or self.noted_tone(tone)
            if kind in ("email", "note") and rng.random() < 0.5:
                noted = ""
            author = author_on(day)
            interaction_id = self.ids.interaction()
            next_steps = ""
            if rng.random() < (0.35 if kind in Interaction.CONTACT_KINDS else 0.12):
                next_steps = self.follow_up(
                    book, account_id, interaction_id, day, ended, author, owner_now, mood
                )
            book.interactions.append(
                (
                    interaction_id,
                    account_id,
                    kind,
                    self.at(day),
                    author,
                    summary[:200],
                    notes,
                    noted,
                    next_steps,
                )
            )
            book.present.extend((interaction_id, contact.id) for contact in present)
            return interaction_id

        kickoff = None
        if first >= self.horizon:  # a new customer starts with a kickoff
            tone = GOOD if mood != AT_RISK else MIXED
            kickoff = log(first, "meeting", tone, summary=words.kickoff)
        kinds = (("meeting", 0.3), ("call", 0.3), ("email", 0.25), ("note", 0.15))
        for _ in range(n):
            day = self.day_between(window_first, window_last)
            kind = pick(rng, kinds)
            if kind in Interaction.CONTACT_KINDS and (
                day > cut or (rhythm and day >= rhythm_first)
            ):
                if day >= rhythm_first:
                    continue  # the rhythm below has the meetings and calls of these days
                kind = "email"
            tone = self.tone(day, mood, ended, window_last)
            steady = None
            if rhythm and day >= rhythm_first and tone != BAD:
                steady = pick(rng, STEADY[mood])
            log(day, kind, tone, noted=steady)

        def meet(day, tone):  # a meeting or call with the champion and decision maker
            people = active(day)
            key = [c for c in people if c.is_champion or c.is_decision_maker]
            if len(key) > 1 and rng.random() < 0.4:
                key = [rng.choice(key)]
            # what the owner notes after a regular meeting follows the account's mood
            # (STEADY), so the CSM sentiment measure does not flip with every note
            noted = pick(rng, STEADY[mood]) if tone != BAD else None
            kind = rng.choice(("meeting", "call"))
            log(day, kind, tone, present=key or people[:1], noted=noted)

        for day in reversed(rhythm):
            meet(day, self.tone(day, mood, ended, window_last))
        if touch is not None and touch >= window_first:
            meet(touch, GOOD if mood == HEALTHY else MIXED)
        if not ended and mood == AT_RISK:
            for _ in range(rng.randint(1, 2)):
                day = self.day_between(max(window_first, cut + ONE_DAY), yesterday)
                log(day, "email", BAD, summary=words.chased)
        if not ended and rng.random() < 0.45:  # an owner who records their own read
            day = today - dt.timedelta(days=rng.randint(1, 40))
            read = pick(rng, READS[mood])
            while day >= max(window_first, rhythm_first):  # about monthly, within its 45 days
                if rng.random() < 0.1:  # the read changes now and then
                    read = pick(rng, READS[mood])
                book.reads.append(
                    (
                        account_id,
                        owner_on(day),
                        read,
                        rng.choice(words.csm_reads[read]),
                        self.at(day),
                    )
                )
                day -= dt.timedelta(days=rng.randint(25, 45))
        if ended and reason and days > 5:
            day = window_last - dt.timedelta(days=rng.randint(5, min(40, days - 1)))
            log(day, "note", BAD, summary=words.leaving[reason])

        self.problems(
            book, account_id, spec, mood, window_first, window_last, ended, days, owner_on, active
        )
        self.surveys(book, account_id, mood, window_first, window_last, ended, owner_on, active)
        if kickoff is not None and not ended and (today - first).days < ONBOARDING_DAYS:
            self.onboarding(book, account_id, mood, first, kickoff, owner_now, log)

    def onboarding(self, book, account_id, mood, first, kickoff_id, owner_now, log) -> None:
        """The onboarding steps agreed at the kickoff: those whose day has come were done
        (an account at risk may be a few days late with the last one), the rest are promised
        to the owner, due on their day."""
        rng, today, words = self.rng, self.today, self.words
        steps = zip(ONBOARDING, words.onboarding_done, words.onboarding_todo, strict=True)
        for (offset, kind), done, todo in steps:
            day = first + dt.timedelta(days=offset)
            late = mood == AT_RISK and 0 < (today - day).days <= LATE_DAYS and rng.random() < 0.5
            if day < today and not late:
                log(day, kind, GOOD if mood == HEALTHY else MIXED, summary=done)
            else:
                book.follow_ups.append((account_id, kickoff_id, todo, day, owner_now, None))

    def follow_up(self, book, account_id, interaction_id, day, ended, author, owner_now, mood):
        """A promise made in an interaction; returns its title (the interaction's next step)."""
        rng, today = self.rng, self.today
        yesterday = today - ONE_DAY
        words = self.words
        title = rng.choice(words.follow_up_titles).format(
            doc=rng.choice(words.documents),
            dept=rng.choice(words.departments),
            feature=rng.choice(words.features),
        )
        due = day + dt.timedelta(days=rng.randint(2, 21))
        if ended or (today - due).days > LATE_DAYS:
            done_rate = 1.0
        elif due < today:
            done_rate = {HEALTHY: 0.75, NEUTRAL: 0.55, AT_RISK: 0.3}[mood]  # a few days late
        else:
            done_rate = 0.15
        done_at = None
        if rng.random() < done_rate:
            done_day = min(day + dt.timedelta(days=rng.randint(0, (due - day).days + 3)), yesterday)
            done_at = self.at(done_day, 18)
        # open promises are the current owner's; done ones stay with whoever kept them
        owner = author if done_at is not None else owner_now
        book.follow_ups.append((account_id, interaction_id, title, due, owner, done_at))
        return title

    def problems(self, book, account_id, spec, mood, first, last, ended, days, owner_on, active):
        rng, today = self.rng, self.today
        cap = self.at(today - ONE_DAY, 23)
        factor = {HEALTHY: 0.6, NEUTRAL: 1.0, AT_RISK: 1.8}[mood]
        slow = {HEALTHY: 0.6, NEUTRAL: 1.0, AT_RISK: 1.6}[mood]
        wanted = []  # (day, severity, days to resolve it; None: not resolved)
        for _ in range(poisson(rng, days / 365 * spec.problems_per_year * factor)):
            day = self.day_between(first, last)
            severity = pick(rng, [("low", 0.45), ("medium", 0.35), ("high", 0.2)])
            # Open as long as it takes to resolve, so a past day has as many open problems
            # as today; a few are never resolved (and some left open when a customer left).
            lasts = rng.expovariate(1 / (RESOLVE_DAYS[severity] * slow))
            if rng.random() < (0.1 if ended else 0.08 if mood != HEALTHY else 0):
                lasts = None
            wanted.append((day, severity, lasts))
        if not ended and mood == AT_RISK:
            wanted.append((today - dt.timedelta(days=rng.randint(10, 70)), "high", None))
        elif not ended and mood == NEUTRAL and rng.random() < 0.35:
            wanted.append((today - dt.timedelta(days=rng.randint(3, 25)), "low", None))
        for day, severity, lasts in wanted:
            day = max(day, first)
            title, category = rng.choice(self.words.problems)
            people = active(day)
            description = (
                self.words.reported_by.format(name=rng.choice(people).name) if people else ""
            )
            opened = self.at(day)
            resolved = None
            if lasts is not None:
                resolved = opened + dt.timedelta(hours=max(2, round(lasts * 24)))
            if resolved is None or resolved > cap:
                status, resolved, resolution = rng.choice(("open", "open", "in_progress")), None, ""
            else:
                status, resolution = "resolved", rng.choice(self.words.resolutions)
            book.problems.append(
                (
                    account_id,
                    title,
                    description,
                    category,
                    severity,
                    status,
                    opened,
                    owner_on(day),
                    resolved,
                    resolution,
                )
            )
            if resolved is not None and rng.random() < 0.45:  # a CSAT survey after the fix
                received = resolved.astimezone(self.tz).date()
                self.answer(
                    book, account_id, "csat", received, ended, last, mood, owner_on,
                    active(received),
                )  # fmt: skip

    def surveys(self, book, account_id, mood, first, last, ended, owner_on, active):
        """Twice-yearly NPS surveys (some answered), and a recent answer that fits the mood."""
        rng, today = self.rng, self.today
        for year in range(first.year, last.year + 1):
            for month in (3, 9):
                day = dt.date(year, month, 15)
                if first <= day <= last and rng.random() < 0.45:
                    self.answer(
                        book, account_id, "nps", day, ended, last, mood, owner_on, active(day)
                    )
        forced = None
        if not ended and mood == AT_RISK and rng.random() < 0.85:
            forced = "detractor"
        elif not ended and mood == HEALTHY and rng.random() < 0.5:
            forced = "promoter"
        if forced:
            day = max(first, today - dt.timedelta(days=rng.randint(5, 150)))
            self.answer(
                book, account_id, "nps", day, ended, last, mood, owner_on, active(day), forced
            )

    def answer(
        self, book, account_id, kind, day, ended, last, mood, owner_on, people, forced=None
    ) -> None:
        rng = self.rng
        if forced is None:
            category = pick(
                rng,
                {
                    GOOD: [("promoter", 0.65), ("passive", 0.28), ("detractor", 0.07)],
                    MIXED: [("promoter", 0.25), ("passive", 0.45), ("detractor", 0.3)],
                    BAD: [("promoter", 0.04), ("passive", 0.26), ("detractor", 0.7)],
                }[self.tone(day, mood, ended, last)],
            )
        else:
            category = forced
        if kind == "nps":
            low, high = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}[category]
        else:
            low, high = {"promoter": (5, 5), "passive": (4, 4), "detractor": (1, 3)}[category]
        contact = None
        if people:
            champions = [c for c in people if c.is_champion]
            if champions and rng.random() < 0.5:
                contact = rng.choice(champions)
            else:
                contact = rng.choice(people)
        comment = rng.choice(self.words.feedback_comments[category]) if rng.random() < 0.6 else ""
        book.feedback.append(
            (
                account_id,
                contact.id if contact else None,
                owner_on(day),
                kind,
                rng.randint(low, high),
                day,
                comment,
            )
        )
