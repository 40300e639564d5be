"""The demo book of business (``manage.py seed_demo``): it writes into every app, so it stands
above them all; no app imports it."""


class DemoError(Exception):
    """The demo cannot be written as asked; the message says why."""
