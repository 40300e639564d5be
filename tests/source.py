"""Reading the project's own source, for the tests that hold a rule to its one home."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("crm", "customers", "interactions", "retention")


def copies(pattern: str, *, homes: set[str], folders=APPS, suffixes=(".py",)) -> list[str]:
    """Each line matching ``pattern`` in ``folders`` (migrations aside) outside the files of
    ``homes`` (paths from the repository's root), as ``path:line: text``."""
    found = re.compile(pattern)
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*"))
        if path.suffix in suffixes
        and "migrations" not in path.parts
        and str(path.relative_to(ROOT)) not in homes
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if found.search(line)
    ]
