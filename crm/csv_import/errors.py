"""The problems of a file: each with its line, all collected before the file is refused, and
capped so that a file with a million bad rows costs no more to report than one with a thousand."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

# At most this many problems are kept and shown (the first by line), with a count of the rest.
MAX_ERRORS = 1000
# A message longer than this is cut: it quotes values, which are bounded, but stay safe.
MAX_MESSAGE = 1000


@dataclass(frozen=True, order=True)
class RowError:
    """One problem, at a physical line of the file (the header is line 1), or of the whole file
    (line None)."""

    line: int | None
    message: str

    def __str__(self) -> str:
        if self.line is None:
            return str(self.message)
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


def _order(error: RowError) -> tuple[int, str]:
    return (error.line or 0, error.message)


class ImportFailed(Exception):
    """The file was refused: nothing was written. ``errors`` lists the first ``MAX_ERRORS``
    problems by line; ``total`` counts them all."""

    def __init__(self, errors: Iterable[RowError], *, total: int | None = None):
        errors = sorted(errors, key=_order)
        self.errors = errors[:MAX_ERRORS]
        self.total = max(total or 0, len(errors))
        super().__init__("\n".join(str(e) for e in self.errors))

    @property
    def more(self) -> int:
        """How many problems there are beyond those listed."""
        return self.total - len(self.errors)


class ErrorList:
    """Collects the problems of a file; ``raise_if_any`` refuses it. Keeps the first
    ``MAX_ERRORS`` by line (sorting now and then, so memory stays bounded) and counts the rest."""

    def __init__(self) -> None:
        self.count = 0
        self.bad_lines: set[int] = set()
        self._kept: list[RowError] = []

    def add(self, line: int | None, message: str) -> None:
        self.count += 1
        if line is not None:
            self.bad_lines.add(line)
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        self._kept.append(RowError(line, message))
        if len(self._kept) >= 2 * MAX_ERRORS:
            self._kept.sort(key=_order)
            del self._kept[MAX_ERRORS:]

    def __bool__(self) -> bool:
        return self.count > 0

    def raise_if_any(self) -> None:
        if self.count:
            raise ImportFailed(self._kept, total=self.count)


def refuse(message: str, line: int | None = None) -> ImportFailed:
    """The ``ImportFailed`` of one problem of the whole file (or of one line)."""
    return ImportFailed([RowError(line, message)])
