"""How fast surveys go out and how fast the answer page is (issue 17).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/treue_surveys \\
        .venv/bin/python bench/bench_surveys.py [--sends 10000] [--runs 50]

Against the database of ``DATABASE_URL`` (PostgreSQL; migrated first). It writes its own book:
``--sends`` accounts of one CSM, each with one decision maker, in one team (removed again at
the end). Printed, each with its ratio to the target:

- queue: what the bulk send of a selection does, as a lead, all accounts selected: the
  scope, the decision makers, the skip rules, every send row written with its token hash,
  and the delivery batches handed over at commit. The batches are captured instead of going
  to Redis, so the figure is the request's own work (target 2 s). The view itself takes at
  most DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) ids in one request;
- deliver: the batches delivered one after another in this process, as one worker would,
  to Django's locmem email backend (target 120 s);
- answer page: the median GET and POST of ``/s/<token>/`` (target 100 ms).
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/treue_surveys")
os.environ.setdefault("DEBUG", "false")  # measured as served: cached templates, no query log
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

QUEUE_TARGET, DELIVER_TARGET, PAGE_TARGET = 2.0, 120.0, 0.100


def ratio(seconds: float, target: float) -> str:
    return f"{seconds * 1000:9.1f} ms  ({seconds / target:.2f} of {target * 1000:.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    call_command("migrate", verbosity=0)
    setup_test_environment()  # the locmem email backend, mail.outbox
    settings.ALLOWED_HOSTS = ["*"]
    settings.SURVEY_RATE_LIMIT = 10**9  # measure the page, not the limiter
    settings.SITE_URL = "http://testserver"

    from django.contrib.auth.models import Group
    from django.db import transaction

    from crm.models import Role, Team, User
    from customers import selectors as customer_selectors
    from customers.models import Account, Contact
    from interactions.models import SurveySend
    from interactions.surveys import services

    team = Team.objects.create(name=f"Bench surveys {time.time_ns()}")
    lead = User.objects.create(username=f"bench-lead-{team.pk}", team=team)
    lead.groups.add(Group.objects.get_or_create(name=Role.TEAM_LEAD.value)[0])
    csm = User.objects.create(username=f"bench-csm-{team.pk}", team=team)
    csm.groups.add(Group.objects.get_or_create(name=Role.CSM.value)[0])
    try:
        accounts = Account.objects.bulk_create(
            Account(name=f"Bench survey {team.pk}-{i}", owner=csm, team=team)
            for i in range(args.sends)
        )
        Contact.objects.bulk_create(
            Contact(
                account=a,
                name=f"Person {i}",
                email=f"p{i}@bench.example",
                is_decision_maker=True,
            )
            for i, a in enumerate(accounts)
        )
        batches: list = []
        services.deliver_later = batches.append  # captured: the broker is not measured
        started = time.perf_counter()
        # What the bulk view does with a selection (the view itself takes at most
        # DATA_UPLOAD_MAX_NUMBER_FIELDS ids in one request): scope, recipients, send.
        chosen = customer_selectors.editable_accounts_for(lead).filter(
            pk__in=[a.pk for a in accounts]
        )
        with transaction.atomic():
            result = services.send_surveys(
                account=None,
                contacts=services.default_recipients(chosen),
                kind="nps",
                sender=lead,
            )
        queued = time.perf_counter() - started
        assert len(result.queued_ids) == args.sends, result.skipped_counts
        sends = SurveySend.objects.filter(account__team=team).count()
        print(f"queue    {sends:,} sends in {len(batches)} batches  {ratio(queued, QUEUE_TARGET)}")

        started = time.perf_counter()
        for batch in batches:
            services.deliver(batch)
        delivered = time.perf_counter() - started
        print(f"deliver  {len(mail.outbox):,} emails (locmem)  {ratio(delivered, DELIVER_TARGET)}")

        tokens = [token for batch in batches for _pk, token in batch]
        anonymous = Client()
        gets, posts = [], []
        for i in range(args.runs):
            path = f"/s/{tokens[i]}/"
            started = time.perf_counter()
            assert anonymous.get(path).status_code == 200
            gets.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert anonymous.post(path, {"score": str(i % 11), "comment": "ok"}).status_code == 200
            posts.append(time.perf_counter() - started)
        print(f"answer page GET  median {ratio(statistics.median(gets), PAGE_TARGET)}")
        print(f"answer page POST median {ratio(statistics.median(posts), PAGE_TARGET)}")
    finally:
        Account.objects.filter(team=team).delete()
        User.objects.filter(team=team).delete()
        team.delete()


if __name__ == "__main__":
    main()
