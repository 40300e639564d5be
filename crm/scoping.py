"""The one place that decides what a user may see and edit.

Every view, form choice, export and API endpoint scopes its queryset here. Rules (DESIGN.md):
an admin sees and edits everything; a team lead sees and edits the accounts of their team;
a CSM reads the accounts of their team and edits only their own. Anything else is invisible
(views answer 404, never 403, so nothing leaks that it exists).

The functions take the lookup path from the queryset's model to the account (``via``), so this
module needs no import of the apps above it:
``visible(user, Contact.objects.all(), via="account")``.
"""

from django.db.models import Q, QuerySet

from .models import Role


def _path(via: str, field: str) -> str:
    return f"{via}__{field}" if via else field


def visible(user, queryset: QuerySet, *, via: str = "") -> QuerySet:
    """Rows of ``queryset`` whose account ``user`` may read."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_admin_role:
        return queryset
    condition = Q(**{_path(via, "owner"): user})
    if user.team_id is not None:
        condition |= Q(**{_path(via, "team_id"): user.team_id})
    return queryset.filter(condition)


def visible_in_team(user, queryset: QuerySet, team_id: int, *, via: str = "") -> QuerySet:
    """``visible(user, queryset).filter(team=team_id)``, said so the database can use the
    team's index alone: everyone in a team reads all of its rows (``visible``), an admin all
    rows, anyone else only the rows they own there."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    rows = queryset.filter(**{_path(via, "team_id"): team_id})
    if user.is_admin_role or (user.team_id is not None and user.team_id == team_id):
        return rows
    return rows.filter(**{_path(via, "owner"): user})


def editable(user, queryset: QuerySet, *, via: str = "") -> QuerySet:
    """Rows of ``queryset`` whose account ``user`` may change."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_admin_role:
        return queryset
    if user.is_team_lead and user.team_id is not None:
        return queryset.filter(
            Q(**{_path(via, "team_id"): user.team_id}) | Q(**{_path(via, "owner"): user})
        )
    return queryset.filter(**{_path(via, "owner"): user})


def visible_people(user, queryset: QuerySet) -> QuerySet:
    """The people (rows of ``queryset``, users) ``user`` may see and name, e.g. as a
    follow-up's owner: an admin everyone; anyone else themselves and the members of their
    team. Nobody else's name or id is offered or confirmed to exist."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_admin_role:
        return queryset
    condition = Q(pk=user.pk)
    if user.team_id is not None:
        condition |= Q(team_id=user.team_id)
    return queryset.filter(condition)


def visible_teams(user, queryset: QuerySet) -> QuerySet:
    """The teams (rows of ``queryset``) ``user`` may pick in a report's filter: an admin every
    team, anyone else their own."""
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_admin_role:
        return queryset
    return queryset.filter(pk=user.team_id) if user.team_id is not None else queryset.none()


def can_manage(user) -> bool:
    """Whether ``user`` leads: a team lead or an admin. They hand accounts over, see their
    team's (an admin: every team's) at-risk list and dashboard, and read the company's
    retention figures. Every page, template (``nav.is_lead``), API permission and service
    that asks "team lead or admin" asks this."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_team_lead or user.is_admin_role


def leads_a_team(user) -> bool:
    """Whether ``user`` leads (``can_manage``) and has a team of their own: they switch to
    their team's portfolio and calendar and hand its accounts to its members."""
    return can_manage(user) and user.team_id is not None


def team_leads(queryset: QuerySet) -> QuerySet:
    """The active team leads among ``queryset`` (users)."""
    return queryset.filter(groups__name=Role.TEAM_LEAD, is_active=True)


def handover_targets(user, queryset: QuerySet) -> QuerySet:
    """Whom (rows of ``queryset``, users) ``user`` may hand accounts to: nobody unless they
    lead a team (their team's people) or are an admin (everyone)."""
    if not (leads_a_team(user) or (can_manage(user) and user.is_admin_role)):
        return queryset.none()  # a CSM, or a lead without a team
    return visible_people(user, queryset)


def can_edit(user, account) -> bool:
    """Whether ``user`` may change ``account`` (an object, not a queryset)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin_role:
        return True
    if account.owner_id == user.pk:
        return True
    return bool(user.is_team_lead and user.team_id and account.team_id == user.team_id)
