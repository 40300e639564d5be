"""Things that read the documented relationship, scoped through ``crm.scoping``."""

import datetime as dt
from dataclasses import dataclass
from itertools import pairwise

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from crm import scoping
from customers import selectors as customer_selectors
from customers.models import Account, Contact, no_contact_since

from .models import Feedback, FollowUp, Interaction, OpenProblem, follow_up_overdue

DUE_SOON_DAYS = 7


def interactions_for(user) -> QuerySet[Interaction]:
    """Interactions (not deleted) on accounts ``user`` may read."""
    qs = Interaction.objects.alive().select_related("account", "author")
    return scoping.visible(user, qs, via="account")


def interaction_for(user, pk: int) -> Interaction:
    return get_object_or_404(interactions_for(user).prefetch_related("contacts"), pk=pk)


def can_edit_interaction(user, interaction: Interaction) -> bool:
    """Its author (while they can still read the account) or whoever may change the account."""
    return interaction.author_id == user.pk or scoping.can_edit(user, interaction.account)


def editable_interaction_for(user, pk: int) -> Interaction:
    """An interaction ``user`` may edit, or 404 (never 403)."""
    interaction = interaction_for(user, pk)
    if not can_edit_interaction(user, interaction):
        raise Http404
    return interaction


def _editable(user, model, pk: int, *related: str):
    qs = scoping.editable(user, model.objects.select_related("account", *related), via="account")
    return get_object_or_404(qs, pk=pk)


def editable_follow_up_for(user, pk: int) -> FollowUp:
    """A follow-up on an account ``user`` may change, or one they own themselves."""
    qs = FollowUp.objects.select_related("account", "owner")
    mine = scoping.visible(user, qs, via="account").filter(owner=user)
    return get_object_or_404(scoping.editable(user, qs, via="account") | mine, pk=pk)


def editable_problem_for(user, pk: int) -> OpenProblem:
    return _editable(user, OpenProblem, pk, "opened_by")


def editable_feedback_for(user, pk: int) -> Feedback:
    return _editable(user, Feedback, pk, "contact")


def contact_choices(account: Account, *, keep=()) -> QuerySet[Contact]:
    """Who can be present at an interaction with ``account``: its current contacts (and any
    already chosen, so an edit does not drop someone who has since left)."""
    keep_ids = [c.pk for c in keep]
    return account.contacts.filter(Q(left_on__isnull=True) | Q(pk__in=keep_ids)).order_by(
        "-is_champion", "-is_decision_maker", "name"
    )


def follow_up_owner_choices(account: Account) -> QuerySet:
    """Who can keep a promise made to ``account``: the active people of its team and owner."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    condition = Q(pk=account.owner_id)
    if account.team_id is not None:
        condition |= Q(team_id=account.team_id)
    return users.filter(condition)


# --- the portfolio ---


def _count(qs: QuerySet) -> Coalesce:
    """A correlated COUNT per account (one subquery, no join fan-out)."""
    counted = qs.order_by().values("account_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_relationship_counts(accounts: QuerySet[Account], *, today: dt.date) -> QuerySet:
    """Annotate open problems, open follow-ups, overdue follow-ups and follow-ups due soon."""
    problems = OpenProblem.objects.filter(account_id=OuterRef("pk")).exclude(
        status=OpenProblem.Status.RESOLVED
    )
    follow_ups = FollowUp.objects.filter(account_id=OuterRef("pk"))
    return accounts.annotate(
        open_problems=_count(problems),
        high_problems=_count(problems.filter(severity=OpenProblem.Severity.HIGH)),
        follow_ups_overdue=_count(follow_ups.overdue_on(today)),
        follow_ups_due=_count(follow_ups.due_by(today + dt.timedelta(days=DUE_SOON_DAYS))),
    )


@dataclass
class PortfolioFilters:
    scope: str = "mine"  # mine | team | all
    search: str = ""
    segment_id: int | None = None
    renewal_within: int | None = None
    no_contact_for: int | None = None


def portfolio_scopes(user) -> list[str]:
    """The views of the book a user can switch between."""
    team = ["team"] if scoping.leads_a_team(user) else []
    return ["mine", *team, *(["all"] if user.is_admin_role else [])]


def portfolio(user, filters: PortfolioFilters, *, today: dt.date | None = None) -> QuerySet:
    """The accounts of a portfolio (own, team or all within ``user``'s scope), filtered and
    annotated with what a CSM acts on. Unordered: the caller sorts (by risk when scored)."""
    today = today or timezone.localdate()
    qs = customer_selectors.accounts_for(user, search=filters.search)
    scope = filters.scope if filters.scope in portfolio_scopes(user) else "mine"
    if scope == "mine":
        qs = qs.filter(owner=user)
    elif scope == "team":
        qs = qs.filter(team_id=user.team_id)
    if filters.segment_id:
        qs = qs.filter(segment_id=filters.segment_id)
    if filters.renewal_within is not None:
        due = customer_selectors.renewals_due(today, filters.renewal_within)
        qs = qs.filter(pk__in=due.values("account_id"))
    if filters.no_contact_for is not None:
        qs = qs.filter(without_contact_for(filters.no_contact_for))
    return with_relationship_counts(qs, today=today)


def due_follow_ups_for(user, *, today: dt.date | None = None) -> QuerySet[FollowUp]:
    """``user``'s own open follow-ups due today or overdue, oldest first."""
    today = today or timezone.localdate()
    qs = FollowUp.objects.due_by(today).filter(owner=user)
    return scoping.visible(user, qs, via="account").select_related("account").order_by("due_on")


# --- the account page and the handover brief ---


def recently_done_follow_ups_of(account: Account, *, limit: int = 5) -> QuerySet[FollowUp]:
    return (
        account.follow_ups.filter(done_at__isnull=False)
        .select_related("owner")
        .order_by("-done_at")[:limit]
    )


def open_problems_of(account: Account) -> QuerySet[OpenProblem]:
    """Unresolved problems, the most severe and oldest first."""
    from django.db.models import Case, When

    severity = Case(
        When(severity=OpenProblem.Severity.HIGH, then=0),
        When(severity=OpenProblem.Severity.MEDIUM, then=1),
        default=2,
    )
    return (
        account.problems.exclude(status=OpenProblem.Status.RESOLVED)
        .select_related("opened_by")
        .order_by(severity, "opened_at")
    )


def feedback_of(account: Account, *, limit: int = 10) -> QuerySet[Feedback]:
    """The latest feedback, each with its category by the thresholds in force."""
    qs = account.feedback.with_category().select_related("contact", "author")
    return qs.order_by("-received_on", "-pk")[:limit]


def last_interactions_of(account: Account, *, limit: int = 10) -> QuerySet[Interaction]:
    return (
        account.interactions.alive()
        .select_related("author")
        .prefetch_related("contacts")
        .order_by("-occurred_at")[:limit]
    )


def team_members_met(account: Account) -> QuerySet:
    """Who on our side has met or called the customer: distinct authors of meetings and calls,
    with how often and when last."""
    from django.contrib.auth import get_user_model

    met = Interaction.objects.contacts_made().filter(account=account)
    return (
        get_user_model()
        .objects.filter(interactions__in=met)
        .annotate(
            times=Count("interactions", filter=Q(interactions__in=met)),
            last_met=Max("interactions__occurred_at", filter=Q(interactions__in=met)),
        )
        .order_by("-last_met")
    )


def contacts_last_met(account: Account) -> QuerySet[Contact]:
    """The account's contacts with when one of us last met or called them."""
    last = (
        Interaction.objects.contacts_made()
        .filter(contacts=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return customer_selectors.contacts_of(account).annotate(last_met=Subquery(last))


def handover_brief(account: Account, *, today: dt.date | None = None) -> dict:
    """Everything a new owner needs on one page (DESIGN.md "Handover")."""
    today = today or timezone.localdate()
    met = list(team_members_met(account))
    return {
        "contacts": contacts_last_met(account),
        "contracts": customer_selectors.contracts_of(account),
        "problems": open_problems_of(account),
        "follow_ups": customer_selectors.open_follow_ups_on(account),
        "interactions": last_interactions_of(account, limit=8),
        "feedback": feedback_of(account, limit=5),
        "transfers": account.transfers.select_related("from_owner", "to_owner")[:3],
        "met_by": met,
        "single_threaded": len(met) <= 1,
        "today": today,
    }


# --- the team lead's dashboard ---


def activity_per_csm(accounts: QuerySet[Account], *, today: dt.date | None = None) -> list[dict]:
    """Per person owning or working on ``accounts``: accounts owned, MRR, open and overdue
    follow-ups, and interactions of the last 30 days by kind. Four grouped queries."""
    from django.contrib.auth import get_user_model
    from django.db.models import Sum

    today = today or timezone.localdate()
    since = timezone.now() - dt.timedelta(days=30)
    ids = accounts.order_by().values("pk")
    rows: dict[int, dict] = {}

    def row(user_id: int) -> dict:
        return rows.setdefault(
            user_id,
            {
                "accounts": 0,
                "mrr": 0,
                "overdue": 0,
                "open_follow_ups": 0,
                "interactions": 0,
                "meetings": 0,
                "calls": 0,
            },
        )

    # COUNT(*) and of columns never empty rather than of ids: the follow-ups and interactions
    # are counted from their covering indexes alone (``followup_open_account_idx``,
    # ``interaction_window_idx``).
    for r in (
        accounts.order_by()
        .filter(owner__isnull=False)
        .values("owner_id")
        .annotate(n=Count("*"), mrr=Sum("mrr"))
    ):
        row(r["owner_id"]).update(accounts=r["n"], mrr=r["mrr"])
    for r in (
        FollowUp.objects.open()
        .filter(account_id__in=ids)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("*"), overdue=Count("due_on", filter=follow_up_overdue(today)))
    ):
        row(r["owner_id"]).update(open_follow_ups=r["n"], overdue=r["overdue"])
    for r in (
        Interaction.objects.alive()
        .filter(account_id__in=ids, occurred_at__gte=since)
        .order_by()
        .values("author_id")
        .annotate(
            n=Count("*"),
            meetings=Count("kind", filter=Q(kind=Interaction.Kind.MEETING)),
            calls=Count("kind", filter=Q(kind=Interaction.Kind.CALL)),
        )
    ):
        row(r["author_id"]).update(interactions=r["n"], meetings=r["meetings"], calls=r["calls"])
    people = get_user_model().objects.in_bulk(list(rows))
    result = [{"user": people[pk], **data} for pk, data in rows.items() if pk in people]
    return sorted(result, key=lambda r: (-r["overdue"], str(r["user"])))


def without_contact_for(days: int) -> Q:
    """Accounts with no meeting or call in the last ``days`` (or none ever): a filter."""
    return no_contact_since(timezone.now() - dt.timedelta(days=days))


def versions_of(interaction: Interaction) -> list:
    """Every saved version of an interaction, newest first, with who saved it and the fields
    that changed against the version before (from the audit history): their names as
    ``changed_fields``, their verbose names (translated when shown) as ``changed_labels``."""
    versions = list(interaction.history.select_related("history_user").order_by("-history_date"))
    for newer, older in pairwise(versions):
        newer.changed_fields = [
            change.field for change in newer.diff_against(older, included_fields=VERSIONED).changes
        ]
    if versions:
        versions[-1].changed_fields = []
    for version in versions:  # the fields' names in the reader's language
        version.changed_labels = [
            Interaction._meta.get_field(name).verbose_name for name in version.changed_fields
        ]
    return versions


VERSIONED = ["kind", "occurred_at", "summary", "notes", "tone", "next_steps"]
