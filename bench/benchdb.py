"""The bench databases: created once (a file copy of another bench's book when one exists),
then migrated and reused. Shared by the bench scripts; not a bench itself."""

import time


def create_database(url: str, *, templates: list[str], reseed: bool, wait: float = 0) -> None:
    """Create the database of ``url`` when it is missing (dropped first with ``reseed``): a
    copy of the first of ``templates`` that exists, waiting up to ``wait`` s for nobody to be
    connected to it, or else empty."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:

        def exists(db: str) -> bool:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            return conn.execute(query, [db]).fetchone() is not None

        def busy(db: str) -> int:
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
            return conn.execute(query, [db]).fetchone()[0]

        if reseed and exists(name):
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if exists(name):
            return
        template = next((t for t in templates if not reseed and t and exists(t)), None)
        if template and busy(template) and wait:
            print(f"Waiting up to {wait:.0f} s for {template} to be free …", flush=True)
            deadline = time.monotonic() + wait
            while busy(template) and time.monotonic() < deadline:
                time.sleep(5)
        if template and not busy(template):
            print(f"Copying database {template} to {name} …", flush=True)
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def seed_if_empty(url: str, *, accounts: int, manage) -> None:
    """``seed_demo --accounts N`` into a database without accounts (``manage`` runs a
    management command against it); says so when it holds another number."""
    import psycopg

    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT count(*) FROM customers_account").fetchone()[0]
    if have == 0:
        print(f"Seeding {accounts:,} demo accounts (a few minutes) …", flush=True)
        manage("seed_demo", "--accounts", str(accounts), "--flush")
    elif have != accounts:
        print(f"Note: the database holds {have:,} accounts (asked for {accounts:,}).")
