"""The CPU a page costs per request, and where it goes (issue 18).

    .venv/bin/python bench/profile_page.py                        # CPU ms of every page
    .venv/bin/python bench/profile_page.py portfolio --profile    # and pyinstrument's tree
    .venv/bin/python bench/profile_page.py --runs 40 --baseline /tmp/old-checkout

Renders each page ``--runs`` times in this process through Django's test ``Client`` as the
persona of ``bench_pages.personas()`` (DEBUG off, cached templates, the garbage collector tuned
as ``crm/wsgi.py`` tunes it: as served), after one warm-up render, and prints per request:
the CPU time of this process (``time.process_time``: the Python side, far less sensitive to
the shared machine's load than wall time), the wall time, and the queries with the time spent
in them. ``--profile`` runs the renders under pyinstrument
(a dev dependency, never used by the application) and prints its call tree per page.

The pages are those of the load test (``bench/locustfile.py``: portfolio, account page, the
log form the account page loads through htmx, logging an interaction by the htmx POST) plus
the at-risk list (red only, as an admin) and the team dashboard (as the CSM's team lead).

``--baseline DIR`` measures another checkout (e.g. ``git archive main | tar -x -C DIR``; this
script is copied into its ``bench/`` when missing) against this one, each in a child process on
its own code and the same database, alternately ``--rounds`` times (each page's lowest median
counts), and prints each page's CPU before → after and their ratio.

Database: ``BENCH_DATABASE_URL`` as for ``bench/bench_pages.py`` (a copy of the 100,000-account
demo book). Logging an interaction adds interactions to that copy.
"""

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_pages

ROOT = bench_pages.ROOT

PAGES = ("portfolio", "account", "log_form", "log", "at_risk_red", "team_dashboard")


def requests(who: dict) -> dict:
    """Each page as (user, method, url, data, headers, expected text)."""
    from django.urls import reverse
    from django.utils import timezone

    csm, lead, admin, account = who["csm"], who["lead"], who["admin"], who["account"]
    account_url = account.get_absolute_url()
    log_url = reverse("interactions:log")
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"http://testserver{account_url}"}
    occurred = (timezone.now() - dt.timedelta(minutes=5)).replace(microsecond=0)
    body = {
        "account": account.pk,
        "source": "account",
        "kind": "call",
        "occurred_at": occurred.isoformat(),
        "summary": "profile_page.py call",
        "notes": "Walked through the renewal; they want the usage report first.",
        "tone": "positive",
        "next_steps": "",
        "follow_up_title": "",
        "follow_up_due": "",
    }
    return {
        "portfolio": (csm, "get", reverse("retention:portfolio"), None, {}, None),
        "account": (csm, "get", account_url, None, {}, "log-panel"),
        "log_form": (
            csm,
            "get",
            f"{log_url}?account={account.pk}&source=account",
            None,
            hx,
            'data-testid="log-form"',
        ),
        "log": (csm, "post", log_url, body, hx, 'data-testid="log-saved"'),
        "at_risk_red": (admin, "get", reverse("retention:at_risk") + "?band=red", None, {}, None),
        "team_dashboard": (lead, "get", reverse("retention:team_dashboard"), None, {}, None),
    }


def render(client, method, url, data, headers, expect):
    response = getattr(client, method)(url, data, **headers) if data else client.get(url, **headers)
    content = (
        b"".join(response.streaming_content)
        if hasattr(response, "streaming_content")
        else response.content
    )
    assert response.status_code == 200, (url, response.status_code, content[:300])
    if expect:
        assert expect.encode() in content, (url, expect)


def measure(pages: list[str], runs: int, profile: bool) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from crm.runtime import tune_garbage_collector

    who = bench_pages.personas()
    table = requests(who)
    tune_garbage_collector()  # as the server's workers do (crm/wsgi.py)
    clients, results = {}, {}
    for page in pages:
        user, *request = table[page]
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client()
            client.force_login(user)
        render(client, *request)  # warm: caches, connection, templates
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        cpu, wall = [], []
        for _ in range(runs):
            c0, w0 = time.process_time(), time.perf_counter()
            render(client, *request)
            cpu.append(time.process_time() - c0)
            wall.append(time.perf_counter() - w0)
        if profiler:
            profiler.stop()
        with CaptureQueriesContext(connection) as queries:
            render(client, *request)
        results[page] = {
            "cpu": statistics.median(cpu),
            "cpu_mean": statistics.fmean(cpu),
            "wall": statistics.median(wall),
            "queries": len(queries),
            "sql": sum(float(q["time"]) for q in queries.captured_queries),
        }
        if profiler:
            print(f"\n===== {page}: {runs} requests =====")
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    return results


def report(pages, results: dict, before: dict | None, runs: int) -> None:
    print(f"\n{runs} requests per page, median per request (CPU: this process)")
    header = f"{'page':<16} {'CPU':>9} {'wall':>9} {'queries':>8} {'in SQL':>9}"
    print(header + (f" {'CPU before':>11} {'after/before':>13}" if before else ""))
    for page, r in results.items():
        line = (
            f"{page:<16} {r['cpu'] * 1000:>7.1f}ms {r['wall'] * 1000:>7.1f}ms "
            f"{r['queries']:>8} {r['sql'] * 1000:>7.1f}ms"
        )
        if before and page in before:
            b = before[page]
            line += f" {b['cpu'] * 1000:>9.1f}ms {r['cpu'] / b['cpu']:>13.2f}"
            line += f"   (queries before {b['queries']})"
        print(line)
    if before:
        total_after = sum(r["cpu"] for r in results.values())
        total_before = sum(before[p]["cpu"] for p in results if p in before)
        print(
            f"{'all':<16} {total_after * 1000:>7.1f}ms{'':>29}"
            f" {total_before * 1000:>9.1f}ms {total_after / total_before:>13.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", help="some of: " + ", ".join(PAGES))
    parser.add_argument("--runs", type=int, default=20, help="requests per page")
    parser.add_argument("--profile", action="store_true", help="print pyinstrument's tree")
    parser.add_argument("--baseline", help="another checkout to measure first, for before/after")
    parser.add_argument("--rounds", type=int, default=2, help="alternations with --baseline")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--template", default="treue_bench_health", help="database to copy")
    args = parser.parse_args()
    pages = args.pages or list(PAGES)
    if unknown := set(pages) - set(PAGES):
        parser.error(f"unknown pages {sorted(unknown)}: choose from {', '.join(PAGES)}")

    before = None
    if args.baseline:
        # Both checkouts measured in child processes, alternately, ``--rounds`` times; each page's
        # lowest median counts: a burst of load on the shared machine then weighs on neither.
        root = Path(args.baseline).resolve()
        script = root / "bench" / "profile_page.py"
        if not script.exists():  # an older checkout: measured by this script, on its code
            shutil.copy(__file__, script)
        if not args.json:
            bench_pages.ensure_database(accounts=100_000, template=args.template, reseed=False)
        sides = {"before": (root, script), "after": (ROOT, Path(__file__).resolve())}
        runs = {"before": [], "after": []}
        for _ in range(args.rounds):
            for side, (checkout, path) in sides.items():
                out = subprocess.run(
                    [sys.executable, str(path), "--json", "--runs", str(args.runs), *pages],
                    cwd=checkout,
                    env=dict(os.environ, PYTHONPATH=str(checkout)),
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                runs[side].append(json.loads(out.strip().splitlines()[-1]))
        before, results = (
            {p: min((r[p] for r in runs[s]), key=lambda x: x["cpu"]) for p in pages}
            for s in ("before", "after")
        )
        report(pages, results, before, args.runs)
        return

    if not args.json:
        bench_pages.ensure_database(accounts=100_000, template=args.template, reseed=False)
    bench_pages.setup_django()
    results = measure(pages, args.runs, args.profile)
    if args.json:
        print(json.dumps(results))
        return

    report(pages, results, before, args.runs)


if __name__ == "__main__":
    main()
