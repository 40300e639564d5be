import argparse
import sys
import textwrap
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from crm.csv_import.errors import ImportFailed
from crm.csv_import.reading import check_size, max_bytes
from crm.csv_import.runner import importers, run_import

HELP = """Import accounts, contacts, contracts or interactions from a CSV file: all rows or none.

The file is UTF-8 (a byte order mark is fine), comma- or semicolon-separated (German Excel),
with one header row naming the columns, in any order. Dates are YYYY-MM-DD or DD.MM.YYYY; in a
semicolon-separated file numbers may be written 1.234,50. A column not listed here is an error;
a listed column may be left out (the stored value stays as it is) or left empty (the value is
cleared), unless it is required (*). Rows are matched to stored ones, so importing the same file
twice changes nothing. When any row is bad nothing is written and the bad rows are reported
with their line numbers (the header is line 1; the first 1,000 problems and a count of the
rest); the exit status is then 1. --dry-run checks the file and reports what it would do
without writing. A file over IMPORT_MAX_BYTES ({max_mb} MB) is refused before it is read.

Columns:
{columns}
"""


class RawHelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def describe_columns() -> str:
    lines = []
    for importer in importers().values():
        lines.append(f"  {importer.kind} (matched by {importer.matched_by}):")
        for column in importer.columns:
            name = column.name + ("*" if column.required else "")
            text = f"    {name:<19} {column.help}".rstrip()
            lines.extend(textwrap.wrap(text, width=96, subsequent_indent=" " * 24))
    return "\n".join(lines)


def read(file: str) -> bytes:
    """The file's bytes (``-``: standard input), refused before reading when over the limit."""
    if file == "-":
        data = sys.stdin.buffer.read(max_bytes() + 1)
    else:
        path = Path(file)
        check_size(path.stat().st_size)
        data = path.read_bytes()
    check_size(len(data))
    return data


class Command(BaseCommand):
    help = "Import accounts, contacts, contracts or interactions from a CSV file."

    def create_parser(self, prog_name, subcommand, **kwargs):
        self.help = HELP.format(columns=describe_columns(), max_mb=max_bytes() // 2**20)
        return super().create_parser(
            prog_name, subcommand, formatter_class=RawHelpFormatter, **kwargs
        )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(importers()))
        parser.add_argument("file", help="path of the CSV file, or - for standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count, but write nothing"
        )

    def handle(self, *args, kind, file, dry_run, **options):
        try:
            data = read(file)
            result = run_import(kind=kind, data=data, dry_run=dry_run)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except ImportFailed as failed:
            for error in failed.errors:
                self.stderr.write(str(error))
            if failed.more:
                self.stderr.write(
                    f"... and {failed.more} more (the first {len(failed.errors)} are listed)"
                )
            problems = failed.total
            raise CommandError(
                f"{file}: {problems} problem{'s' if problems != 1 else ''}; nothing was written."
            ) from None
        for note in result.notes:
            self.stdout.write(note)
        self.stdout.write(result.summary())
