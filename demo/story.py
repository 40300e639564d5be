"""A realistic, reproducible demo book of business for ``manage.py seed_demo``.

Everything is drawn from one ``random.Random(seed)`` and dated relative to one ``today``, so the
same seed on the same day gives the same rows (names, references, dates, values). Accounts are
generated in chunks of ``ACCOUNT_CHUNK``: each chunk's rows are built in memory as plain tuples
(ids handed out beforehand, so children name their parents without a round trip) and bulk
inserted, with ``COPY`` on PostgreSQL and ``bulk_create`` elsewhere; memory stays bounded
however large the book is. The derived fields (spans, MRR, customer since, last interaction...)
are then computed by the service the nightly task uses, ``customers.services.rebuild_derived``.

Each account gets a latent *mood* (healthy, neutral, at risk) that drives everything a health
score reads: how often it renews, how recently we met, the sentiment of our notes, open
problems, NPS answers and whether its champion left. Churned accounts turn sour before they
leave, so the history has signal too.

This module writes every app's rows, which is why it lives in the ``demo`` app, above all the
others.
"""

import datetime as dt
import math
import random
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.db.models import NOT_PROVIDED, ProtectedError
from django.test.utils import override_settings
from django.utils import timezone

from crm.models import Role, Team, User
from customers.ledger import ContractTerms, merge_spans
from customers.models import (
    Account,
    BudgetBand,
    ChurnReason,
    ChurnRecord,
    Contact,
    Contract,
    CustomerSpan,
    OwnershipTransfer,
    Segment,
)
from customers.services import rebuild_derived
from demo import DemoError
from interactions.models import Feedback, FollowUp, Interaction, OpenProblem, Sentiment
from retention.models import SentimentReading

# --- the demo's fixed facts -------------------------------------------------------------------

DEMO_EMAIL_DOMAIN = "demo.treue.example"  # marks the users the demo made (and --flush removes)
SHARED_PASSWORD = "treue-demo"
DEMO_LOGINS = (  # (role, username, password, first name, last name)
    (Role.ADMIN, "admin", "treue-admin", "Andrea", "Berger"),
    (Role.TEAM_LEAD, "lead", "treue-lead", "Lena", "Hoffmann"),
    (Role.CSM, "csm", "treue-csm", "Carla", "Weber"),
)
TEAM_NAMES = (
    "Team North",
    "Team South",
    "Team East",
    "Team West",
    "Team Central",
    "Team Alps",
    "Team Coast",
    "Team Rhine",
)
CHURN_REASONS = (
    "Price",
    "Product fit",
    "Lost champion",
    "Acquired",
    "Budget cuts",
    "Went to competitor",
    "Service quality",
)
ACCOUNTS_PER_CSM = 300
INSERT_BATCH = 5000  # rows per INSERT statement
ACCOUNT_CHUNK = 1000  # accounts whose rows are held in memory at once (~30k rows)
HISTORY_DAYS = 3 * 365
ONE_DAY = dt.timedelta(days=1)

HEALTHY, NEUTRAL, AT_RISK = "healthy", "neutral", "at_risk"
GOOD, MIXED, BAD = "good", "mixed", "bad"


@dataclass(frozen=True)
class SegmentSpec:
    name: str
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

# --- word lists -------------------------------------------------------------------------------

FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Elena", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Katrin",
    "Lukas", "Mia", "Niklas", "Olga", "Paul", "Quentin", "Rosa", "Simon", "Tara", "Uwe", "Vera",
    "Wim", "Xenia", "Yusuf", "Zoe", "Amir", "Birgit", "Chloé", "Dariusz", "Emma", "Fatima",
    "Georg", "Hanna", "Ilias", "Jana", "Karim", "Laura", "Marco", "Nora", "Oskar", "Priya",
    "Rafael", "Sofia", "Tobias", "Ulrike", "Viktor", "Wiebke", "Leon", "Marie", "Noah", "Lea",
    "Erik", "Sara", "Tim", "Julia", "Jan", "Lisa", "Max", "Sophie", "Aylin", "Mehmet", "Sven",
    "Ingrid", "Pierre", "Camille", "Giulia", "Matteo", "Lucía", "Diego", "Kenji", "Mei",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
    "Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Krause", "Lehmann", "Köhler",
    "Maier", "Huber", "Kaiser", "Fuchs", "Peters", "Lang", "Scholz", "Möller", "Weiß", "Jung",
    "Hahn", "Keller", "Vogel", "Roth", "Beck", "Lorenz", "Baumann", "Franke", "Albrecht",
    "Yilmaz", "Kowalski", "Novak", "Rossi", "Dubois", "Jansen", "de Vries", "Nielsen", "García",
    "Silva", "Andersson", "O'Brien", "Smith", "Brown", "Tanaka", "Nguyen", "Popescu", "Horvat",
)  # fmt: skip
NAME_PARTS_A = (
    "Nord", "Süd", "Blue", "Green", "Silver", "Gold", "Bright", "Clear", "Swift", "True", "Alp",
    "Rhein", "Elb", "Stern", "Sun", "Oak", "Pine", "Stone", "Iron", "Cloud", "River", "Lake",
    "Red", "White", "Black", "Nova", "Terra", "Aqua", "Falk", "Wolf", "Bären", "Adler", "Luna",
    "Sol", "Polar", "Alpha", "Delta", "Vector", "Prime", "Urban",
)  # fmt: skip
NAME_PARTS_B = (
    "wave", "licht", "stern", "feld", "berg", "werk", "line", "point", "bridge", "gate", "field",
    "stone", "tek", "path", "port", "haus", "hof", "mark", "leaf", "peak", "crest", "form",
    "flow", "well", "wind", "spring", "ridge", "land", "wise", "core",
)  # fmt: skip
INDUSTRIES = {  # industry: words that go into company names of that industry
    "Software": ("Software", "Systems", "Labs", "Digital", "Solutions"),
    "Logistics": ("Logistik", "Logistics", "Freight", "Spedition", "Transport"),
    "Manufacturing": ("Maschinenbau", "Werke", "Industries", "Components", "Fertigung"),
    "Healthcare": ("Health", "Klinik", "Care", "Medical", "Pflege"),
    "Retail": ("Handel", "Retail", "Stores", "Markt", "Shop"),
    "Financial services": ("Finanz", "Capital", "Invest", "Partners", "Treuhand"),
    "Education": ("Akademie", "Learning", "Schule", "Campus", "Education"),
    "Energy": ("Energie", "Energy", "Power", "Solar", "Stadtwerke"),
    "Media": ("Media", "Verlag", "Studios", "Publishing", "Agentur"),
    "Construction": ("Bau", "Construction", "Immobilien", "Projektbau", "Hochbau"),
    "Hospitality": ("Hotels", "Gastro", "Hospitality", "Resorts", "Catering"),
    "Automotive": ("Automotive", "Autohaus", "Mobility", "Fahrzeugtechnik", "Motors"),
    "Professional services": ("Consulting", "Beratung", "Advisory", "Kanzlei", "Services"),
    "Telecommunications": ("Telecom", "Networks", "Connect", "Kommunikation", "Fiber"),
    "Food & beverage": ("Foods", "Lebensmittel", "Brauerei", "Feinkost", "Kaffee"),
    "Pharma": ("Pharma", "Biotech", "Life Sciences", "Diagnostics", "Labor"),
    "Insurance": ("Versicherung", "Assekuranz", "Insurance", "Risk", "Vorsorge"),
}  # fmt: skip
LEGAL_FORMS = (
    "GmbH", "GmbH", "GmbH", "AG", "GmbH & Co. KG", "KG", "SE", "Ltd", "Inc.", "B.V.", "S.A.S.",
    "S.r.l.", "AB", "ApS", "e.K.", "OHG",
)  # fmt: skip
DECISION_MAKER_TITLES = {
    "SMB": ("Managing Director", "Owner", "CEO", "Head of Operations"),
    "Mid-market": ("COO", "VP Operations", "Head of IT", "CFO", "Head of Customer Service"),
    "Enterprise": ("VP Customer Operations", "CIO", "Director Procurement", "SVP Operations"),
}
CHAMPION_TITLES = (
    "Operations Manager", "Team Lead Customer Service", "Project Manager", "IT Administrator",
    "Head of Sales Operations", "Process Owner", "Product Owner", "Office Manager",
)  # fmt: skip
USER_TITLES = (
    "Sales Representative", "Accountant", "Support Agent", "Marketing Manager", "Controller",
    "Data Analyst", "HR Business Partner", "Purchasing Agent", "Developer", "Key User",
)  # fmt: skip
PREFERENCES = (
    "Prefers calls before 10am.", "No meetings on Fridays.", "Loves cycling — ask about the "
    "last race.", "Wants an agenda 24 hours before every meeting.", "Prefers email over calls.",
    "Works part-time, not reachable on Wednesdays.", "Speaks German and English; prefers "
    "German.", "Hates long slide decks: bring numbers.", "Has two kids; school holidays are "
    "off-limits.", "Big football fan (FC St. Pauli).", "Likes to be addressed by first name.",
    "Only video calls with camera on.", "Reads messages late in the evening.", "Vegetarian — "
    "keep it in mind for the onsite lunch.", "Plays in a jazz band on weekends.", "Wants "
    "monthly usage reports as PDF.", "Does not like surprises on invoices: warn early.",
    "Travels a lot, best reached on mobile.", "Coffee lover; meet at the café downstairs.",
    "Prefers short WhatsApp-style chats.", "Runs marathons; training in the mornings.",
    "Wants the CFO in copy for anything about pricing.", "Responds fastest on Teams.",
    "Keen gardener.", "Do not call during month-end close.",
)  # fmt: skip
FEATURES = (
    "the reporting module", "the API", "SSO", "the mobile app", "the Salesforce sync",
    "automations", "the dashboard", "the export", "user roles", "the new editor",
)  # fmt: skip
DEPARTMENTS = ("sales", "support", "finance", "operations", "marketing", "IT", "the warehouse")
DOCUMENTS = (
    "renewal quote", "QBR deck", "training schedule", "API documentation", "release notes",
    "security whitepaper", "usage report", "onboarding plan", "invoice correction",
)  # fmt: skip
SUMMARIES = {
    ("meeting", GOOD): (
        "QBR with {first}: usage up, team happy with {feature}",
        "Roadmap session with {first} and the {dept} team",
        "Onsite workshop on {feature}",
        "Expansion talk: more seats for {dept}",
        "Success review with {first}: goals met",
    ),
    ("meeting", MIXED): (
        "QBR with {first}: adoption flat in {dept}",
        "Review of open tickets with {first}",
        "Training for new users in {dept}",
        "Planning meeting about {feature}",
    ),
    ("meeting", BAD): (
        "Escalation meeting about {feature}",
        "Tense QBR: {first} questions the value",
        "Renewal meeting: strong price pushback",
        "Crisis call with {first} about outages",
    ),
    ("call", GOOD): (
        "Check-in with {first}: all good",
        "Call with {first} about rolling out {feature} to {dept}",
        "Reference call arranged with {first}",
    ),
    ("call", MIXED): (
        "Check-in call with {first}",
        "Call about the open invoice question",
        "Call with {first}: questions on {feature}",
    ),
    ("call", BAD): (
        "Call with {first}: unhappy about response times",
        "{first} mentioned they are looking at alternatives",
        "Call about budget cuts in {dept}",
    ),
    ("email", GOOD): (
        "Sent the {doc} to {first}",
        "{first} thanked us for the quick fix",
        "Shared release notes on {feature}",
    ),
    ("email", MIXED): (
        "Sent the {doc}",
        "Asked {first} for feedback on {feature}",
        "Follow-up email after the call",
    ),
    ("email", BAD): (
        "Chased {first} for a meeting — no reply yet",
        "Complaint email from {first} about {feature}",
        "{first} asked for the cancellation terms",
    ),
    ("note", GOOD): (
        "Internal: {first} is our strongest advocate",
        "Internal: upsell potential in {dept}",
    ),
    ("note", MIXED): (
        "Internal: usage of {feature} is low",
        "Internal: new stakeholders in {dept}",
    ),
    ("note", BAD): (
        "Internal: budget freeze rumoured",
        "Internal: competitor demo seen at the customer",
        "Internal: renewal at risk",
    ),
}
NOTES = {
    GOOD: (
        "They see clear value and want to extend the rollout.",
        "Positive atmosphere, no open issues.",
        "Adoption is above plan; they asked about the premium tier.",
    ),
    MIXED: (
        "Some frustration with slow tickets, otherwise fine.",
        "They need more training before they roll out further.",
        "Budget for next year is not decided yet.",
    ),
    BAD: (
        "Several complaints, they are unhappy with the last release.",
        "Usage dropped sharply since last quarter.",
        "They hinted at evaluating a competitor.",
    ),
}
FOLLOW_UP_TITLES = (
    "Send the {doc}", "Schedule training for {dept}", "Check the bug fix with support",
    "Prepare the renewal offer", "Introduce our product manager for {feature}",
    "Share the customer story draft", "Book the next QBR", "Answer the pricing question",
)  # fmt: skip
PROBLEMS = (
    ("Export to Excel times out", "blocker"), ("SSO login fails for some users", "blocker"),
    ("Invoice shows the wrong VAT", "complaint"), ("Slow support replies", "complaint"),
    ("Data sync with the ERP is stuck", "escalation"), ("Dashboard numbers do not match",
    "complaint"), ("API rate limit hit during month-end", "blocker"), ("Missing audit log "
    "for compliance", "escalation"), ("Mobile app crashes on Android", "complaint"),
    ("Contract terms disputed", "escalation"), ("Outage during the sales kick-off", "escalation"),
)  # fmt: skip
RESOLUTIONS = (
    "Fixed in the next release; confirmed by the customer.",
    "Configuration changed with their admin.",
    "Credit note issued and explained.",
    "Workaround documented; customer accepted it.",
    "Escalated to engineering, hotfix deployed.",
)
FEEDBACK_COMMENTS = {
    "promoter": ("Great support, keep it up!", "Saves us hours every week.", "Easy to use."),
    "passive": ("Works, but reporting could be better.", "OK value for money.", ""),
    "detractor": ("Too expensive for what we use.", "Support takes too long.", "Buggy lately."),
}
CHURN_NOTES = {
    "Price": "Found a cheaper tool and would not move on price.",
    "Product fit": "Our product never matched their process.",
    "Lost champion": "Our champion left and nobody picked it up.",
    "Acquired": "Acquired by a group that standardises on another tool.",
    "Budget cuts": "Company-wide budget cuts.",
    "Went to competitor": "Moved to a competitor after a long evaluation.",
    "Service quality": "Too many unresolved tickets.",
}
CSM_READS = {  # the owner's own read of an account, with the reason they give
    "green": ("Happy and expanding to a second team.", "Strong champion, renewal looks safe."),
    "amber": ("Adoption is flat; we need an executive sponsor.", "New stakeholders, the "
              "relationship needs rebuilding."),
    "red": ("Champion gone and an escalation open: the renewal is at risk.", "They are "
            "evaluating a competitor; we need a rescue plan."),
}  # fmt: skip
TRANSFER_REASONS = {
    "left": "CSM left the company",
    "rebalance": "Portfolio rebalancing",
    "team": "Account moved to another region",
}
CHANNELS = tuple(Contact.Channel.values)

# --- small helpers ----------------------------------------------------------------------------


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _money(value: float, step: int) -> Decimal:
    return Decimal(max(step, round(value / step) * step)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _pick(rng: random.Random, weighted):
    r = rng.random() * sum(w for _, w in weighted)
    for value, weight in weighted:
        r -= weight
        if r < 0:
            return value
    return weighted[-1][0]


def _budget_band(annual: float) -> str:
    for limit, band in (
        (10_000, BudgetBand.UNDER_10K),
        (50_000, BudgetBand.FROM_10K),
        (250_000, BudgetBand.FROM_50K),
        (1_000_000, BudgetBand.FROM_250K),
    ):
        if annual < limit:
            return band
    return BudgetBand.OVER_1M


# --- the staff --------------------------------------------------------------------------------


@dataclass
class Staff:
    """The people the demo made, by id, as the account generator needs them."""

    lead_by_team: list[int]  # team index → lead user id
    csms_by_team: list[list[int]]  # team index → active CSM ids
    former_by_team: list[int]  # team index → an inactive CSM who left the company
    team_ids: list[int]
    demo_csm_id: int
    example_usernames: dict[str, str]  # role → a generated username with the shared password
    users: int = 0
    team_index: dict[int, int] = field(default_factory=dict)  # CSM id → team index

    def __post_init__(self):
        for index, members in enumerate(self.csms_by_team):
            self.team_index.update(dict.fromkeys(members, index))


def team_and_csm_numbers(accounts: int) -> tuple[int, int]:
    """3–8 teams growing with the book; about one CSM per 300 accounts, at least two a team."""
    teams = max(3, min(len(TEAM_NAMES), 3 + accounts // 5000))
    return teams, max(2 * teams, round(accounts / ACCOUNTS_PER_CSM))


def _create_staff(rng: random.Random, accounts: int) -> Staff:
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
    teams = [Team.objects.get_or_create(name=name)[0] for name in TEAM_NAMES[:n_teams]]
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    shared_hash = make_password(SHARED_PASSWORD)
    users: list[tuple[User, Role]] = []

    def person(team: Team | None, role: Role, **extra) -> User:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        username, n = f"{_ascii(first)}.{_ascii(last)}", 2
        while username in taken:
            username, n = f"{_ascii(first)}.{_ascii(last)}{n}", n + 1
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
    User.objects.bulk_create([u for u, _ in users], batch_size=INSERT_BATCH)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=groups[r.value].pk) for u, r in users],
        batch_size=INSERT_BATCH,
    )
    return Staff(
        lead_by_team=[u.pk for u in leads],
        csms_by_team=[[u.pk for u in members] for members in csms],
        former_by_team=[u.pk for u in former],
        team_ids=[t.pk for t in teams],
        demo_csm_id=fixed[Role.CSM].pk,
        example_usernames={
            Role.TEAM_LEAD.value: leads[1].username,
            Role.CSM.value: csms[1][0].username,
        },
        users=len(users),
    )


# --- writing rows -----------------------------------------------------------------------------


class _Ids:
    """Primary keys handed out before the insert, so a child row can name its parent without
    a query per row. PostgreSQL reserves them from the table's sequence; other databases
    count on from the highest id (the seed holds the write transaction)."""

    BLOCK = 10_000

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.free: list[int] = []
        self.sequence: str | None = None  # PostgreSQL
        self.next_local: int | None = None  # elsewhere

    def take(self) -> int:
        if not self.free:
            self._refill()
        return self.free.pop()

    def _refill(self) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if self.sequence is None:
                    meta = self.model._meta
                    cursor.execute(
                        "SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column]
                    )
                    self.sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    [self.sequence, self.BLOCK],
                )
                ids = [row[0] for row in cursor.fetchall()]
        else:
            if self.next_local is None:
                top = self.model.objects.aggregate(top=models.Max("pk"))["top"]
                self.next_local = (top or 0) + 1
            ids = list(range(self.next_local, self.next_local + self.BLOCK))
            self.next_local += self.BLOCK
        self.free = ids[::-1]  # pop() hands them out in ascending order


class _Table:
    """Writes plain tuples into one model's table: ``COPY`` on PostgreSQL (three to four times
    faster than ``bulk_create``, measured), ``bulk_create`` elsewhere. Columns the generator does
    not give get what Django would put there (``auto_now`` → now, the field default, NULL), so
    both paths write the same rows and the database constraints check them."""

    def __init__(self, model: type[models.Model], columns: tuple[str, ...], now: dt.datetime):
        self.model = model
        self.columns = columns  # attnames, in the order of the generator's tuples
        self.label = model._meta.label
        fill_columns, fill = [], []
        for f in model._meta.concrete_fields:
            if f.attname in columns or f.primary_key or f.db_default is not NOT_PROVIDED:
                continue  # given, or left to the database (an omitted id is generated)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            else:
                raise DemoError(f"The demo gives no value for {self.label}.{f.name}.")
            fill_columns.append(f.column)
            fill.append(f.get_db_prep_save(value, connection))
        self.fill = tuple(fill)
        quote = connection.ops.quote_name
        names = [model._meta.get_field(a).column for a in columns] + fill_columns
        self.copy_sql = (
            f"COPY {quote(model._meta.db_table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
        )

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        if connection.vendor == "postgresql":
            fill = self.fill
            with connection.cursor() as cursor, cursor.cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    copy.write_row(row + fill)
        else:
            model, columns = self.model, self.columns
            model.objects.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows],
                batch_size=INSERT_BATCH,
            )


TABLES = (  # (name in _Book, model, columns of its tuples) in insert order
    ("accounts", Account, (
        "id", "name", "external_id", "segment_id", "industry", "employees", "budget_band",
        "owner_id", "team_id",
    )),
    ("contracts", Contract, (
        "account_id", "reference", "start_date", "end_date", "cancelled_on", "notice_given_on",
        "renewal_confirmed", "monthly_value",
    )),
    ("contacts", Contact, (
        "id", "account_id", "name", "email", "phone", "title", "is_decision_maker",
        "is_champion", "preferred_channel", "preferences", "left_on",
    )),
    ("transfers", OwnershipTransfer, (
        "account_id", "from_owner_id", "to_owner_id", "transferred_by_id", "transferred_at",
        "reason", "handover_notes", "acknowledged_at",
    )),
    ("churn_records", ChurnRecord, (
        "account_id", "churned_on", "reason_id", "notes", "recorded_by_id",
    )),
    ("problems", OpenProblem, (
        "account_id", "title", "description", "category", "severity", "status", "opened_at",
        "opened_by_id", "resolved_at", "resolution",
    )),
    ("interactions", Interaction, (
        "id", "account_id", "kind", "occurred_at", "author_id", "summary", "notes", "sentiment",
        "next_steps",
    )),
    ("present", Interaction.contacts.through, ("interaction_id", "contact_id")),
    ("reads", SentimentReading, ("account_id", "author_id", "sentiment", "comment", "recorded_at")),
    ("follow_ups", FollowUp, (
        "account_id", "interaction_id", "title", "due_on", "owner_id", "done_at",
    )),
    ("feedback", Feedback, (
        "account_id", "contact_id", "author_id", "kind", "score", "received_on", "comment",
    )),
)  # fmt: skip


@dataclass
class _Book:
    """The rows of one chunk of accounts, as tuples in the column order of ``TABLES``."""

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


# --- one account's story ----------------------------------------------------------------------


@dataclass
class _Contract:
    start: dt.date
    end: dt.date | None
    cancelled: dt.date | None
    value: Decimal
    notice: dt.date | None = None
    confirmed: bool = False


class _Person:
    """A contact while the generator still decides who leaves and who is champion."""

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


class _Generator:
    """Draws accounts one after the other from one random stream."""

    def __init__(self, *, rng, staff, today, segment_ids, reason_ids):
        self.rng = rng
        self.staff = staff
        self.today = today
        self.horizon = today - dt.timedelta(days=HISTORY_DAYS)
        self.segment_ids = segment_ids  # spec index → Segment id
        self.reason_ids = reason_ids  # name → ChurnReason id
        self.tz = timezone.get_current_timezone()
        self.names: set[str] = set()
        self.contract_seq = 0
        self.all_csms = [uid for members in staff.csms_by_team for uid in members]
        self.industries = tuple(INDUSTRIES)
        self.account_ids = _Ids(Account)
        self.contact_ids = _Ids(Contact)
        self.interaction_ids = _Ids(Interaction)

    # -- time
    def at(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        rng = self.rng
        hour = rng.randint(8, 17) if hour is None else hour
        return dt.datetime(day.year, day.month, day.day, hour, rng.choice((0, 15, 30, 45)),
                           tzinfo=self.tz)  # fmt: skip

    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    # -- identity
    def company_name(self, industry: str) -> str:
        rng = self.rng
        shape = rng.random()
        if shape < 0.5:
            base = f"{rng.choice(NAME_PARTS_A)}{rng.choice(NAME_PARTS_B)} "
            base += rng.choice(INDUSTRIES[industry])
        elif shape < 0.7:
            base = f"{rng.choice(LAST_NAMES)} & {rng.choice(LAST_NAMES)}"
        elif shape < 0.85:
            base = f"{rng.choice(LAST_NAMES)} {rng.choice(INDUSTRIES[industry])}"
        else:
            base = f"{rng.choice(NAME_PARTS_A)}{rng.choice(NAME_PARTS_B)}"
        legal = rng.choice(LEGAL_FORMS)
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
        return _money(float(value) * factor, spec.mrr_step)

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
        value = _money(_log_uniform(rng, *spec.mrr), spec.mrr_step)
        yearly = story is not None or rng.random() < spec.yearly_share
        p_churn = min(0.8, spec.annual_churn * CHURN_FACTOR[mood])
        contracts: list[_Contract] = []
        churns: list[tuple[dt.date, str]] = []
        period = contract_start = start
        renewal, won_back = 0, False
        while True:
            period_end = _add_months(period, 12) - ONE_DAY
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
                gone = _add_months(period, rng.randint(3, 10)).replace(day=1)
                notice = max(period, gone - dt.timedelta(days=rng.randint(20, 60)))
                contracts.append(_Contract(period, period_end, gone, value, notice=notice))
            elif yearly:
                gone = period_end + ONE_DAY
                notice = max(period, period_end - dt.timedelta(days=rng.randint(30, 90)))
                contracts.append(_Contract(period, period_end, None, value, notice=notice))
            else:
                gone = _add_months(period, rng.randint(1, 12))
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
            value = _money(float(value) * rng.uniform(0.7, 1.1), spec.mrr_step)
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
        return _pick(self.rng, weights)

    # -- people at the customer
    def contacts(self, spec, mood, first_day, churns, current, domain, story) -> list[_Person]:
        rng, today = self.rng, self.today
        k = rng.randint(*spec.contacts)
        people, emails = [], set()
        while len(people) < k:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if (first, last) in people:
                continue
            people.append((first, last))
        rows = []
        for i, (first, last) in enumerate(people):
            local, n = f"{_ascii(first)}.{_ascii(last)}", 2
            while local in emails:
                local, n = f"{_ascii(first)}.{_ascii(last)}{n}", n + 1
            emails.add(local)
            if i == 0:
                title = rng.choice(DECISION_MAKER_TITLES[spec.name])
            elif i == 1:
                title = rng.choice(CHAMPION_TITLES)
            else:
                title = rng.choice(USER_TITLES)
            prefs = ""
            if rng.random() < 0.65:
                prefs = " ".join(rng.sample(PREFERENCES, rng.choice((1, 1, 2))))
            rows.append(
                _Person(
                    id=self.contact_ids.take(),
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
    def account(self, index: int, book: _Book, owner_id: int, story: Story | None) -> None:
        rng, today, staff = self.rng, self.today, self.staff
        if story is not None:
            spec_index, mood = story.segment, story.mood
        else:
            spec_index = _pick(rng, [(i, s.share) for i, s in enumerate(SEGMENTS)])
            mood = _pick(rng, MOODS)
        spec = SEGMENTS[spec_index]
        industry = rng.choice(self.industries)
        name = self.company_name(industry)
        contracts, churns = self.lifecycle(spec, mood, story)
        team_index = staff.team_index[owner_id]
        account_id = self.account_ids.take()
        book.accounts.append(
            (
                account_id,
                name,
                f"{(_ascii(name)[:4] or 'acct').upper()}-{index + 1:06d}",
                self.segment_ids[spec_index],
                industry,
                round(_log_uniform(rng, *spec.employees)),
                _budget_band(float(contracts[0].value) * 12 * rng.uniform(1.2, 3)),
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
        domain = f"{_ascii(name.rsplit(' ', 1)[0])[:40] or 'customer'}.example"
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
            self.span_activity(
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
                    CHURN_NOTES[reason],
                    owner_on(day - ONE_DAY),
                )
            )

    def transfer(self, book, account_id, owner_id, team_index, first_day, scripted):
        """Record how the account came to its owner; returns (previous owner, when)."""
        rng, today, staff = self.rng, self.today, self.staff
        kind = "rebalance"
        if not scripted:
            kind = _pick(rng, [("left", 0.4), ("rebalance", 0.4), ("team", 0.2)])
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
        notes = "Renewal talks start next quarter. Open problems are listed on the account."
        if rng.random() < 0.5:
            notes += " The champion prefers short calls."
        book.transfers.append(
            (
                account_id,
                from_id,
                owner_id,
                staff.lead_by_team[team_index],
                at,
                TRANSFER_REASONS[kind],
                notes,
                acknowledged,
            )
        )
        return from_id, at

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

    def sentiment(self, tone: str) -> str:
        r = self.rng.random()
        if tone == GOOD:
            return Sentiment.POSITIVE if r < 0.75 else Sentiment.NEUTRAL
        if tone == BAD:
            return Sentiment.NEGATIVE if r < 0.75 else Sentiment.NEUTRAL
        if r < 0.6:
            return Sentiment.NEUTRAL
        return Sentiment.POSITIVE if r < 0.8 else Sentiment.NEGATIVE

    def span_activity(
        self, *, book, account_id, spec, mood, contacts, first, last, reason, owner_on, author_on,
        owner_now,
    ) -> None:  # fmt: skip
        """Interactions, follow-ups, problems and feedback during one customer span."""
        rng, today = self.rng, self.today
        yesterday = today - ONE_DAY
        ended = last is not None and last < today
        window_first = max(first, self.horizon)
        window_last = min(last, yesterday) if last is not None else yesterday
        if window_first > window_last:
            return
        cadence = spec.cadence_days
        days = (window_last - window_first).days + 1
        factor = {HEALTHY: 1.1, NEUTRAL: 0.9, AT_RISK: 0.6}[mood]
        n = _poisson(rng, days / spec.interaction_gap_days * factor)

        # when did we last meet or call: the engagement measure compares it with the cadence
        cut, touch = window_last, None
        if not ended:
            if mood == HEALTHY:
                touch = today - dt.timedelta(days=rng.randint(1, cadence))
            elif mood == NEUTRAL:
                touch = today - dt.timedelta(days=rng.randint(cadence + 1, 2 * cadence))
                cut = touch
            else:
                cut = today - dt.timedelta(days=2 * cadence + rng.randint(7, 60))

        def active(day):
            return [c for c in contacts if c.left_on is None or day < c.left_on]

        def log(day, kind, tone, summary=None, present=None):
            people = active(day)
            if present is None:
                present = []
                if kind in Interaction.CONTACT_KINDS and people and rng.random() < 0.8:
                    present = rng.sample(people, min(len(people), rng.choice((1, 1, 2, 3))))
            named = present[0] if present else (rng.choice(people) if people else None)
            first_name = named.name.split(" ", 1)[0] if named else "the customer"
            summary = (summary or rng.choice(SUMMARIES[(kind, tone)])).format(
                first=first_name,
                feature=rng.choice(FEATURES),
                dept=rng.choice(DEPARTMENTS),
                doc=rng.choice(DOCUMENTS),
            )
            notes = rng.choice(NOTES[tone]) if rng.random() < 0.7 else ""
            sentiment = self.sentiment(tone)
            if kind in ("email", "note") and rng.random() < 0.5:
                sentiment = ""
            author = author_on(day)
            interaction_id = self.interaction_ids.take()
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
                    sentiment,
                    next_steps,
                )
            )
            book.present.extend((interaction_id, contact.id) for contact in present)

        if first >= self.horizon:  # a new customer starts with a kickoff
            tone = GOOD if mood != AT_RISK else MIXED
            log(first, "meeting", tone, summary="Kickoff with {first}: onboarding plan agreed")
        kinds = (("meeting", 0.3), ("call", 0.3), ("email", 0.25), ("note", 0.15))
        for _ in range(n):
            day = self.day_between(window_first, window_last)
            kind = _pick(rng, kinds)
            if kind in Interaction.CONTACT_KINDS and day > cut:
                kind = "email"
            log(day, kind, self.tone(day, mood, ended, window_last))
        if touch is not None and touch >= window_first:
            people = active(touch)
            key = [c for c in people if c.is_champion or c.is_decision_maker]
            tone = GOOD if mood == HEALTHY else MIXED
            log(touch, rng.choice(("meeting", "call")), tone, present=key or people[:1])
        if not ended and mood == AT_RISK:
            for _ in range(rng.randint(1, 2)):
                day = self.day_between(max(window_first, cut + ONE_DAY), yesterday)
                log(day, "email", BAD, summary="Chased {first} for a meeting — no reply yet")
        if not ended and rng.random() < 0.45:  # the owner's own read, within its 45 days
            read = _pick(
                rng,
                {
                    HEALTHY: [("green", 0.8), ("amber", 0.2)],
                    NEUTRAL: [("amber", 0.7), ("green", 0.2), ("red", 0.1)],
                    AT_RISK: [("red", 0.75), ("amber", 0.25)],
                }[mood],
            )
            day = max(window_first, today - dt.timedelta(days=rng.randint(1, 40)))
            book.reads.append(
                (account_id, owner_now, read, rng.choice(CSM_READS[read]), self.at(day))
            )
        if ended and reason and days > 5:
            day = window_last - dt.timedelta(days=rng.randint(5, min(40, days - 1)))
            log(day, "note", BAD, summary=f"Customer told us they leave: {reason.lower()}")

        self.problems(
            book, account_id, spec, mood, window_first, window_last, ended, days, owner_on, active
        )
        self.surveys(book, account_id, mood, window_first, window_last, ended, owner_on, active)

    def follow_up(self, book, account_id, interaction_id, day, ended, author, owner_now, mood):
        """A promise made in an interaction; returns its title (the interaction's next step)."""
        rng, today = self.rng, self.today
        yesterday = today - ONE_DAY
        title = rng.choice(FOLLOW_UP_TITLES).format(
            doc=rng.choice(DOCUMENTS), dept=rng.choice(DEPARTMENTS), feature=rng.choice(FEATURES)
        )
        due = day + dt.timedelta(days=rng.randint(2, 21))
        if ended:
            done_rate = 0.97
        elif due < today:
            done_rate = {HEALTHY: 0.93, NEUTRAL: 0.8, AT_RISK: 0.5}[mood]
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
        wanted = []  # (day, severity, unresolved?)
        for _ in range(_poisson(rng, days / 365 * spec.problems_per_year * factor)):
            day = self.day_between(first, last)
            severity = _pick(rng, [("low", 0.45), ("medium", 0.35), ("high", 0.2)])
            if ended:
                unresolved = rng.random() < 0.1
            elif (today - day).days <= 45:
                unresolved = rng.random() < 0.6
            else:
                unresolved = rng.random() < 0.08 and mood != HEALTHY
            wanted.append((day, severity, unresolved))
        if not ended and mood == AT_RISK:
            wanted.append((today - dt.timedelta(days=rng.randint(10, 70)), "high", True))
        elif not ended and mood == NEUTRAL and rng.random() < 0.35:
            wanted.append((today - dt.timedelta(days=rng.randint(3, 25)), "low", True))
        for day, severity, unresolved in wanted:
            day = max(day, first)
            title, category = rng.choice(PROBLEMS)
            people = active(day)
            description = f"Reported by {rng.choice(people).name}." if people else ""
            opened = self.at(day)
            if unresolved:
                status, resolved, resolution = rng.choice(("open", "open", "in_progress")), None, ""
            else:
                delta = dt.timedelta(hours=rng.randint(2, 30 * 24))
                status, resolved = "resolved", max(opened, min(opened + delta, cap))
                resolution = rng.choice(RESOLUTIONS)
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
            category = _pick(
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
        comment = rng.choice(FEEDBACK_COMMENTS[category]) if rng.random() < 0.6 else ""
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


# --- the run ----------------------------------------------------------------------------------


@dataclass
class SeedResult:
    counts: dict[str, int]
    logins: list[tuple[str, str, str]]  # (role, username, password)
    seconds_generate: float
    seconds_insert: float
    seconds_derive: float
    insert_seconds_by_table: dict[str, float]


def book_is_empty() -> bool:
    return not Account.objects.exists()


def seed_demo(
    *,
    accounts: int,
    seed: int = 1,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SeedResult:
    """Write a demo book of ``accounts`` accounts (with staff, contracts and history) into a
    database without accounts, all or nothing, and compute the derived fields. Same seed and
    today, same rows."""
    if accounts < 1:
        raise DemoError("The demo needs at least one account.")
    today = today or timezone.localdate()
    rng = random.Random(seed)
    counts: Counter = Counter()
    seconds: Counter = Counter()
    generate = 0.0
    # One transaction for the whole run: a seed that fails or is interrupted leaves nothing
    # behind, so the next ``seed_demo --if-empty`` simply starts again. PostgreSQL (MVCC) and
    # SQLite both carry a few million uncommitted rows without trouble, and nobody else can
    # be waiting for rows that do not exist yet.
    with transaction.atomic():
        if not book_is_empty():
            raise DemoError("The database already holds accounts.")
        if connection.vendor == "postgresql":
            # Check foreign keys at the end of each COPY instead of queueing millions of
            # deferred checks until the commit (same checks, bounded server memory).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        _remove_demo_staff()  # left over by an earlier demo whose accounts were deleted
        segment_ids = []
        for spec in SEGMENTS:
            segment, _ = Segment.objects.get_or_create(
                name=spec.name,
                defaults={
                    "expected_cadence_days": spec.cadence_days,
                    "benchmark_retention_rate": spec.benchmark,
                },
            )
            segment_ids.append(segment.pk)
        reason_ids = {
            name: ChurnReason.objects.get_or_create(name=name)[0].pk for name in CHURN_REASONS
        }
        staff = _create_staff(rng, accounts)
        counts.update(
            {
                User._meta.label: staff.users,
                Team._meta.label: len(staff.team_ids),
                Segment._meta.label: len(segment_ids),
                ChurnReason._meta.label: len(reason_ids),
            }
        )
        gen = _Generator(
            rng=rng, staff=staff, today=today, segment_ids=segment_ids, reason_ids=reason_ids
        )
        now = timezone.now()
        tables = [(name, _Table(model, columns, now)) for name, model, columns in TABLES]
        stories = min(len(STORIES), accounts)
        for chunk_start in range(0, accounts, ACCOUNT_CHUNK):
            started = time.perf_counter()
            book = _Book()
            for index in range(chunk_start, min(accounts, chunk_start + ACCOUNT_CHUNK)):
                if index < stories:
                    gen.account(index, book, staff.demo_csm_id, STORIES[index])
                else:
                    gen.account(index, book, rng.choice(gen.all_csms), None)
            generate += time.perf_counter() - started
            for name, table in tables:
                rows = getattr(book, name)
                started = time.perf_counter()
                table.write(rows)
                seconds[table.label] += time.perf_counter() - started
                counts[table.label] += len(rows)
            del book
            if progress is not None:
                progress(min(accounts, chunk_start + ACCOUNT_CHUNK), accounts)
        started = time.perf_counter()
        rebuild_derived(today=today)
        derive = time.perf_counter() - started
        counts[CustomerSpan._meta.label] = CustomerSpan.objects.count()
    logins = [(role.value, username, password) for role, username, password, *_ in DEMO_LOGINS]
    for role, username in staff.example_usernames.items():
        logins.append((f"{role} (every other)", username, SHARED_PASSWORD))
    return SeedResult(
        counts=dict(counts),
        logins=logins,
        seconds_generate=generate,
        seconds_insert=sum(seconds.values()),
        seconds_derive=derive,
        insert_seconds_by_table=dict(seconds),
    )


# --- removing the demo ------------------------------------------------------------------------

FLUSH_CHUNK = 2000


def _remove_demo_staff() -> int:
    users = User.objects.filter(email__iendswith=f"@{DEMO_EMAIL_DOMAIN}")
    removed = users.count()
    try:
        users.delete()
    except ProtectedError as exc:
        raise DemoError(
            f"Demo users are still referenced by other rows ({exc}); delete those first."
        ) from exc
    Team.objects.filter(name__in=TEAM_NAMES, members__isnull=True).delete()
    return removed


def flush_demo() -> dict[str, int]:
    """Delete every account with everything that hangs on it (in any app), then the users and
    teams the demo made. Segments and churn reasons (reference data) stay. Returns how many
    accounts and demo users went."""
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    # Rows that protect their account (interactions, contracts...) go first, found from the
    # model graph so rows of apps added later are covered too.
    protecting = [
        rel
        for rel in Account._meta.related_objects
        if rel.on_delete is models.PROTECT and not rel.many_to_many
    ]
    # No audit history for deleting demo rows: it would be noise, written one row at a time.
    with transaction.atomic(), override_settings(SIMPLE_HISTORY_ENABLED=False):
        # In chunks, through the ORM: cascades reach every app's rows (health scores, flags...)
        # while only one chunk's rows are ever collected in memory.
        for i in range(0, len(ids), FLUSH_CHUNK):
            chunk = ids[i : i + FLUSH_CHUNK]
            for rel in protecting:
                rel.related_model.objects.filter(**{f"{rel.field.name}__in": chunk}).delete()
            Account.objects.filter(pk__in=chunk).delete()
        users = _remove_demo_staff()
    return {"accounts": len(ids), "users": users}
