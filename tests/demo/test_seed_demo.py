import datetime as dt
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from crm.models import Role, Team, User
from customers.models import (
    Account,
    ChurnReason,
    ChurnRecord,
    Contact,
    Contract,
    CustomerSpan,
    OwnershipTransfer,
    Segment,
)
from demo.activity import LATE_DAYS
from demo.management.commands import seed_demo as seed_demo_command
from demo.staff import team_and_csm_numbers
from demo.story import STORIES
from demo.vocabulary import vocabularies
from demo.writer import flush_demo, seed_demo
from interactions.models import Feedback, FollowUp, Interaction, OpenProblem
from retention.models import SentimentReading

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 15)
EVERY_MODEL = (
    Team,
    User,
    Segment,
    ChurnReason,
    Account,
    Contact,
    Contract,
    CustomerSpan,
    OwnershipTransfer,
    ChurnRecord,
    Interaction,
    Interaction.contacts.through,
    FollowUp,
    OpenProblem,
    Feedback,
    SentimentReading,
)


def seed(accounts=30, **options) -> str:
    out = io.StringIO()
    call_command("seed_demo", accounts=accounts, stdout=out, **options)
    return out.getvalue()


def printed_logins(output: str) -> list[tuple[str, str, str]]:
    lines = output.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.split() == ["Role", "Username", "Password"]
    )
    return [tuple(re.split(r"\s{2,}", line.strip())) for line in lines[start + 2 :] if line.strip()]


def fingerprint() -> dict:
    """What must come out the same for the same seed (ids and timestamps of the run aside)."""
    return {
        "counts": {m._meta.label: m.objects.count() for m in EVERY_MODEL},
        "accounts": list(
            Account.objects.order_by("external_id").values_list(
                "name",
                "external_id",
                "segment__name",
                "industry",
                "employees",
                "budget_band",
                "owner__username",
                "mrr",
                "customer_since",
                "churned_on",
            )
        ),
        "contracts": list(
            Contract.objects.order_by("reference").values_list(
                "reference",
                "account__name",
                "start_date",
                "end_date",
                "cancelled_on",
                "monthly_value",
            )
        ),
        "interactions": list(
            Interaction.objects.order_by("account__external_id", "occurred_at", "summary")
            .annotate(present=Count("contacts"))
            .values_list("account__external_id", "kind", "occurred_at", "summary", "present")
        ),
        "users": list(User.objects.order_by("username").values_list("username", "team__name")),
    }


def test_small_demo_creates_every_kind_of_row():
    seed(accounts=30)

    for model in EVERY_MODEL:
        assert model.objects.exists(), model._meta.label
    assert Account.objects.count() == 30
    assert set(ChurnReason.objects.values_list("name", flat=True)) >= set(
        vocabularies()["en"].churn_reasons.values()
    )
    assert OpenProblem.objects.filter(status="resolved").exists()
    assert OpenProblem.objects.exclude(status="resolved").exists()
    assert FollowUp.objects.filter(done_at__isnull=False).exists()
    open_follow_ups = FollowUp.objects.filter(done_at__isnull=True)
    assert open_follow_ups.filter(due_on__gte=timezone.localdate()).exists()
    oldest = timezone.localdate() - dt.timedelta(days=LATE_DAYS)
    assert not open_follow_ups.filter(due_on__lt=oldest).exists()  # not years overdue
    assert set(Feedback.objects.values_list("kind", flat=True)) == {"nps", "csat"}
    assert OwnershipTransfer.objects.filter(acknowledged_at__isnull=True).exists()
    assert Contact.objects.filter(is_champion=True, left_on__isnull=False).exists()
    assert Contact.objects.exclude(preferences="").exists()


def test_printed_demo_users_can_log_in(client):
    output = seed(accounts=30)

    logins = printed_logins(output)
    assert [row[:3] for row in logins[:3]] == [
        ("Admin", "admin", "treue-admin"),
        ("Team lead", "lead", "treue-lead"),
        ("CSM", "csm", "treue-csm"),
    ]
    assert len(logins) == 5  # and one example of the other leads and CSMs
    for _role, username, password in logins:
        assert client.login(username=username, password=password), username
        client.logout()


def test_demo_users_have_their_roles_and_teams():
    seed(accounts=30)

    admin, lead, csm = (User.objects.get(username=u) for u in ("admin", "lead", "csm"))
    assert admin.is_staff and admin.is_superuser and admin.has_role(Role.ADMIN)
    first_team = Team.objects.get(name=vocabularies()["en"].team_names[0])
    assert lead.team == first_team and lead.has_role(Role.TEAM_LEAD)
    assert csm.team == first_team and csm.has_role(Role.CSM)
    teams = Team.objects.annotate(
        csms=Count("members", filter=Q(members__groups__name=Role.CSM, members__is_active=True)),
        leads=Count("members", filter=Q(members__groups__name=Role.TEAM_LEAD)),
    )
    assert len(teams) == 3
    assert all(team.csms >= 2 and team.leads == 1 for team in teams)
    assert not Account.objects.exclude(team=F("owner__team")).exists()


def test_same_seed_gives_the_same_book_after_a_flush():
    seed(accounts=30, seed=3)
    first = fingerprint()

    seed(accounts=30, seed=3, flush=True)

    assert fingerprint() == first
    seed(accounts=30, seed=4, flush=True)
    assert fingerprint()["accounts"] != first["accounts"]


def test_derived_fields_are_filled():
    seed(accounts=30)

    customers = Account.objects.filter(customer_since__isnull=False)
    assert customers.filter(mrr__gt=0).exists()
    assert not customers.filter(mrr=0).exists()
    assert customers.filter(next_renewal_on__isnull=False).exists()
    assert customers.filter(last_meeting_or_call_at__isnull=False).exists()
    churned = Account.objects.filter(churned_on__isnull=False)
    assert churned.exists()
    for account in churned:  # the reason recorded for the churn the ledger sees
        assert account.churn_records.filter(churned_on=account.churned_on).exists()
    win_backs = Account.objects.annotate(span_count=Count("spans")).filter(
        span_count__gte=2, customer_since__isnull=False
    )
    assert win_backs.exists()
    assert ChurnRecord.objects.filter(account__in=win_backs).exists()


def test_renewals_start_the_day_after_the_previous_contract_ends():
    seed(accounts=30)

    renewals = 0
    for account in Account.objects.prefetch_related("contracts"):
        contracts = sorted(account.contracts.all(), key=lambda c: c.start_date)
        starts = {c.start_date for c in contracts}
        for c in contracts:
            if c.end_date and c.renewal_confirmed and c.end_date < timezone.localdate():
                assert c.end_date + dt.timedelta(days=1) in starts, c.reference
                renewals += 1
    assert renewals > 0
    assert Contract.objects.filter(end_date__isnull=True).exists()  # monthly, open-ended
    assert Contract.objects.filter(cancelled_on__isnull=False).exists()


def test_demo_csm_portfolio_shows_every_case():
    seed(accounts=30)

    csm = User.objects.get(username="csm")
    today = timezone.localdate()
    mine = Account.objects.filter(owner=csm)
    assert mine.count() >= len(STORIES)
    assert mine.filter(customer_since__gt=today - dt.timedelta(days=90)).exists()  # onboarding
    assert mine.filter(churned_on__isnull=False).exists()
    assert mine.annotate(n=Count("spans")).filter(n__gte=2).exists()  # a win-back
    assert OwnershipTransfer.objects.filter(to_owner=csm, acknowledged_at__isnull=True).exists()
    at_risk = mine.filter(
        problems__severity="high",
        problems__resolved_at__isnull=True,
        contacts__left_on__isnull=False,
    ).distinct()
    assert at_risk.filter(next_renewal_on__lte=today + dt.timedelta(days=90)).exists()


def test_accounts_in_trouble_look_in_trouble():
    """Health scoring needs signal: customers with an open high-severity problem were met
    less recently, answered NPS worse, sounded worse in our notes and are read red by their
    owner more often than the others."""
    seed(accounts=200)

    today = timezone.localdate()
    customers = Account.objects.filter(
        customer_since__isnull=False, last_meeting_or_call_at__isnull=False
    )
    troubled = customers.filter(
        problems__severity="high", problems__resolved_at__isnull=True
    ).distinct()
    fine = customers.exclude(pk__in=troubled.values("pk"))

    def days_since_contact(accounts):
        days = [(today - a.last_meeting_or_call_at.date()).days for a in accounts]
        return sum(days) / len(days)

    def detractor_share(accounts):
        answers = Feedback.objects.filter(
            account__in=accounts, kind="nps", received_on__gte=today - dt.timedelta(days=180)
        )
        return answers.filter(score__lte=6).count() / answers.count()

    def negative_share(accounts):
        recent = Interaction.objects.filter(
            account__in=accounts, occurred_at__date__gte=today - dt.timedelta(days=180)
        ).exclude(tone="")
        return recent.filter(tone="negative").count() / recent.count()

    def red_read_share(accounts):
        reads = SentimentReading.objects.filter(account__in=accounts)
        return reads.filter(sentiment="red").count() / reads.count()

    assert troubled.count() >= 10 and fine.count() >= 50
    assert days_since_contact(troubled) > 2 * days_since_contact(fine)
    assert detractor_share(troubled) > 2 * detractor_share(fine)
    assert negative_share(troubled) > 2 * negative_share(fine)
    reads = SentimentReading.objects.filter(account__in=customers)
    assert (
        reads.filter(account__in=troubled, sentiment="red").count()
        > reads.filter(account__in=fine, sentiment="red").count()
    )


def test_rows_pass_model_validation():
    # Database constraints already refused any bad row at insert; this checks what only
    # Django validates: choices, lengths, email format.
    seed(accounts=30)

    for model in (
        Account,
        Contact,
        Contract,
        Interaction,
        FollowUp,
        OpenProblem,
        Feedback,
        SentimentReading,
    ):
        for row in model.objects.all()[:300]:
            row.full_clean(validate_unique=False, validate_constraints=False)
    for transfer in OwnershipTransfer.objects.all():
        transfer.full_clean(validate_unique=False)


def test_if_empty_is_a_no_op_on_a_seeded_database_but_prints_the_demo_users_again():
    seeded = printed_logins(seed(accounts=30))
    before = fingerprint()

    output = seed(accounts=50, if_empty=True)

    assert output.startswith("Accounts exist already: demo data not seeded.")
    assert fingerprint() == before
    assert printed_logins(output) == seeded  # the last thing `make run` shows before serving


def test_users_prints_only_the_demo_users_that_are_left():
    seeded = printed_logins(seed(accounts=30))
    User.objects.filter(username="lead").update(is_active=False)

    output = seed(users=True)

    assert output.lstrip().startswith("Demo users")
    logins = printed_logins(output)
    assert logins == [row for row in seeded if row[1] != "lead"]
    assert Account.objects.count() == 30  # nothing seeded or flushed


def test_users_after_the_worker_wait_until_a_worker_answers(monkeypatch):
    """`make run` prints the users once the worker's banner is on the screen (Procfile)."""
    seeded = printed_logins(seed(accounts=30))
    replies = iter([False, False, True])
    monkeypatch.setattr(seed_demo_command, "worker_answers", lambda: next(replies))
    monkeypatch.setattr(seed_demo_command.time, "sleep", lambda seconds: None)

    output = seed(users=True, after_worker=60)

    assert next(replies, "asked no more") == "asked no more"
    assert output.lstrip().startswith("Demo users") and printed_logins(output) == seeded


def test_users_after_no_worker_are_printed_when_the_wait_is_over(monkeypatch):
    seed(accounts=30)
    asked = []
    monkeypatch.setattr(seed_demo_command, "worker_answers", lambda: asked.append(1) and False)

    output = seed(users=True, after_worker=0.05)

    assert output.lstrip().startswith("No Celery worker answered in 0.05 s.")
    assert "Demo users and their passwords" in output and len(asked) >= 1


def test_users_on_a_database_without_the_demo_says_so(admin_user):
    assert seed(users=True).strip() == "No demo users: seed the demo to make them."


def test_refuses_a_database_with_accounts_unless_flushed(admin_user):
    seed(accounts=30)

    with pytest.raises(CommandError, match="--flush"):
        seed(accounts=30)

    output = seed(accounts=12, flush=True)
    assert "Deleted 30 accounts" in output
    assert Account.objects.count() == 12
    assert User.objects.filter(pk=admin_user.pk).exists()  # not a demo user: kept


def test_seeds_again_when_only_demo_users_are_left():
    seed(accounts=30)
    OwnershipTransfer.objects.all().delete()
    FollowUp.objects.all().delete()
    Interaction.objects.all().delete()
    Contract.objects.all().delete()
    Account.objects.all().delete()

    seed(accounts=10)

    assert User.objects.filter(username="csm").count() == 1
    assert Account.objects.count() == 10


def test_refuses_to_take_over_a_username_it_did_not_create():
    User.objects.create_user(username="admin", email="boss@company.example", password="x")

    with pytest.raises(CommandError, match="admin"):
        seed(accounts=5)
    assert not Account.objects.exists()


def test_needs_at_least_one_account():
    with pytest.raises(CommandError, match="at least 1"):
        seed(accounts=0)


def test_a_single_account_still_seeds():
    seed(accounts=1)

    assert Account.objects.get().owner.username == "csm"


def test_seed_is_reproducible_for_a_given_day():
    seed_demo(accounts=20, seed=5, today=TODAY)
    first = fingerprint()
    flush_demo()

    seed_demo(accounts=20, seed=5, today=TODAY)

    assert fingerprint() == first
    assert not Interaction.objects.filter(occurred_at__date__gte=TODAY).exists()


def test_team_and_csm_numbers_grow_with_the_book():
    assert team_and_csm_numbers(30) == (3, 6)
    assert team_and_csm_numbers(300) == (3, 6)
    assert team_and_csm_numbers(10_000) == (5, 33)
    assert team_and_csm_numbers(100_000) == (8, 333)


def _template(text: str) -> re.Pattern:
    """A summary template ("Call with {first} about {feature}") as a pattern of its texts."""
    return re.compile(re.sub(r"\\\{\w+\\\}", ".+", re.escape(text)))


def test_a_german_installation_gets_german_names_and_texts(settings):
    settings.LANGUAGE_CODE = "de"
    german = vocabularies()["de"]

    seed(accounts=30)

    assert set(Segment.objects.values_list("name", flat=True)) == set(german.segment_names.values())
    for name, industry in Account.objects.values_list("name", "industry"):
        assert industry in dict(german.industries), name
        assert name.endswith(german.legal_forms), name
    for name in Contact.objects.values_list("name", flat=True):
        first, last = name.split(" ", 1)
        assert first in german.first_names and last in german.last_names, name
    texts = [
        *german.summaries.values(),
        (german.kickoff, german.chased),
        german.leaving.values(),
        german.onboarding_done,
    ]
    patterns = [_template(t) for group in texts for t in group]
    for summary in Interaction.objects.values_list("summary", flat=True):
        assert any(p.fullmatch(summary) for p in patterns), summary
    assert set(User.objects.exclude(team=None).values_list("team__name", flat=True)) <= set(
        german.team_names
    )


def _story() -> dict:
    """The book without its words: what happened when, to how many (segments and churn
    reasons, reference data a flush keeps, aside)."""
    book = [m for m in EVERY_MODEL if m not in (Segment, ChurnReason)]
    return {
        "counts": {m._meta.label: m.objects.count() for m in book},
        "contracts": list(
            Contract.objects.order_by("reference").values_list(
                "reference", "start_date", "end_date", "cancelled_on", "monthly_value"
            )
        ),
        "interactions": list(
            Interaction.objects.order_by("occurred_at", "kind", "tone")
            .annotate(present=Count("contacts"))
            .values_list("kind", "occurred_at", "tone", "present")
        ),
        "follow_ups": list(FollowUp.objects.order_by("due_on", "done_at").values_list("due_on")),
    }


def test_the_same_seed_tells_the_same_story_in_german():
    seed_demo(accounts=25, seed=7, today=TODAY, language="en")
    english = _story()
    english_names = set(Account.objects.values_list("name", flat=True))
    flush_demo()

    seed_demo(accounts=25, seed=7, today=TODAY, language="de")

    assert _story() == english
    assert not english_names & set(Account.objects.values_list("name", flat=True))
