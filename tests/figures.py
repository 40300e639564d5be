"""What the reliability tests tried and what held, printed at the end of every run.

The fault, load and backup tests (issue 8) call ``record``; ``tests/conftest.py`` prints
the collected lines in pytest's terminal summary, so CI's log shows the figures without
``-s``.
"""

RECORDED: list[tuple[str, str]] = []


def record(title: str, text: str) -> None:
    """Keep ``text`` under ``title`` for the summary, and print it (seen with ``-s``)."""
    RECORDED.append((title, text))
    print(f"\n{title}\n{text}")
