"""The demo's people: teams, their leads and CSMs, and the three logins the README names.

Every user the demo makes has an address at ``DEMO_EMAIL_DOMAIN``; that is how a flush knows
which users are the demo's to remove.
"""

import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db.models import ProtectedError

from crm.models import Role, Team, User

from . import DemoError
from .vocabulary import Vocabulary, ascii_name, vocabularies

DEMO_EMAIL_DOMAIN = "demo.treue.example"  # marks the users the demo made (and --flush removes)
SHARED_PASSWORD = "treue-demo"
DEMO_LOGINS = (  # (role, username, password, first name, last name)
    (Role.ADMIN, "admin", "treue-admin", "Andrea", "Berger"),
    (Role.TEAM_LEAD, "lead", "treue-lead", "Lena", "Hoffmann"),
    (Role.CSM, "csm", "treue-csm", "Carla", "Weber"),
)
MAX_TEAMS = 8  # every vocabulary names eight teams
ACCOUNTS_PER_CSM = 300


@dataclass
class Staff:
    """The people the demo made, by id, as the account generator needs them."""

    lead_by_team: list[int]  # team index → lead user id
    csms_by_team: list[list[int]]  # team index → active CSM ids
    former_by_team: list[int]  # team index → an inactive CSM who left the company
    team_ids: list[int]
    demo_csm_id: int
    users: int = 0
    team_index: dict[int, int] = field(default_factory=dict)  # CSM id → team index

    def __post_init__(self):
        for index, members in enumerate(self.csms_by_team):
            self.team_index.update(dict.fromkeys(members, index))

    @property
    def all_csms(self) -> list[int]:
        return [uid for members in self.csms_by_team for uid in members]


def team_and_csm_numbers(accounts: int) -> tuple[int, int]:
    """3–8 teams growing with the book; about one CSM per 300 accounts, at least two a team."""
    teams = max(3, min(MAX_TEAMS, 3 + accounts // 5000))
    return teams, max(2 * teams, round(accounts / ACCOUNTS_PER_CSM))


def create_staff(rng: random.Random, accounts: int, words: Vocabulary) -> Staff:
    """Teams, leads, CSMs (and one CSM per team who has left) for a book of ``accounts``,
    named from ``words``. Refuses when a user holds a demo login's name."""
    n_teams, n_csms = team_and_csm_numbers(accounts)
    clash = set(
        User.objects.filter(username__in=[login[1] for login in DEMO_LOGINS]).values_list(
            "username", flat=True
        )
    )
    if clash:
        raise DemoError(
            f"Users named {', '.join(sorted(clash))} exist and were not made by the demo: "
            "rename them before seeding the demo."
        )
    taken = {name.lower() for name in User.objects.values_list("username", flat=True)}
    taken |= {login[1] for login in DEMO_LOGINS}
    teams = [Team.objects.get_or_create(name=name)[0] for name in words.team_names[:n_teams]]
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    shared_hash = make_password(SHARED_PASSWORD)
    users: list[tuple[User, Role]] = []

    def person(team: Team | None, role: Role, **extra) -> User:
        first, last = rng.choice(words.first_names), rng.choice(words.last_names)
        username, n = f"{ascii_name(first)}.{ascii_name(last)}", 2
        while username in taken:
            username, n = f"{ascii_name(first)}.{ascii_name(last)}{n}", n + 1
        taken.add(username)
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{DEMO_EMAIL_DOMAIN}",
            password=shared_hash,
            team=team,
            **extra,
        )
        users.append((user, role))
        return user

    fixed = {}  # the demo logins, by role
    for role, username, password, first, last in DEMO_LOGINS:
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{DEMO_EMAIL_DOMAIN}",
            password=make_password(password),
            team=None if role == Role.ADMIN else teams[0],
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        users.append((user, role))
        fixed[role] = user
    leads = [fixed[Role.TEAM_LEAD]] + [person(t, Role.TEAM_LEAD) for t in teams[1:]]
    csms: list[list[User]] = [[] for _ in teams]
    csms[0].append(fixed[Role.CSM])
    for i in range(1, n_csms):
        csms[i % n_teams].append(person(teams[i % n_teams], Role.CSM))
    former = [person(t, Role.CSM, is_active=False) for t in teams]
    User.objects.bulk_create([u for u, _ in users])
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=groups[r.value].pk) for u, r in users]
    )
    return Staff(
        lead_by_team=[u.pk for u in leads],
        csms_by_team=[[u.pk for u in members] for members in csms],
        former_by_team=[u.pk for u in former],
        team_ids=[t.pk for t in teams],
        demo_csm_id=fixed[Role.CSM].pk,
        users=len(users),
    )


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, username, password) of the demo's users in the database: the fixed logins and
    the first other lead and CSM (every other one has the same password). The passwords are
    the demo's, unless someone changed them since."""
    made = User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}", is_active=True)
    fixed = [login[1] for login in DEMO_LOGINS]
    present = set(made.filter(username__in=fixed).values_list("username", flat=True))
    logins = [
        (role.value, username, password)
        for role, username, password, *_ in DEMO_LOGINS
        if username in present
    ]
    for role in (Role.TEAM_LEAD, Role.CSM):
        other = made.filter(groups__name=role.value).exclude(username__in=fixed).order_by("pk")
        if username := other.values_list("username", flat=True).first():
            logins.append((f"{role.value} (every other)", username, SHARED_PASSWORD))
    return logins


def remove_demo_staff() -> int:
    """Delete the users the demo made and its teams left without members; returns how many
    users went. Refuses while rows that must not be lost still name a demo user."""
    users = User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")
    removed = users.count()
    try:
        users.delete()
    except ProtectedError as exc:
        raise DemoError(
            f"Demo users are still referenced by other rows ({exc}); delete those first."
        ) from exc
    names = {name for words in vocabularies().values() for name in words.team_names}
    Team.objects.filter(name__in=names, members__isnull=True).delete()
    return removed
