"""The ``compact-kg`` command line: a thin layer over the library.

Each command parses its arguments, calls one library function, prints the result and
maps our exceptions to exit codes:

    0  success, or the data conforms (warnings allowed)
    1  the data does not conform (violations found)
    2  unreadable input, refused input, or a usage error

Heavy libraries (rdflib, pyshacl, pyoxigraph) are imported inside the commands, so that
``compact-kg --help`` starts quickly.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from compact_kg import __version__
from compact_kg.errors import CompactKGError

EXIT_OK = 0
EXIT_NONCONFORMANT = 1
EXIT_ERROR = 2

_EPILOG = (
    "Exit status: 0 ok or conforms, 1 does not conform, 2 unreadable input or usage error."
)


def _fail(error: CompactKGError) -> NoReturn:
    """Print a library error as one line on stderr and exit with its status."""
    click.echo(f"error: {error}", err=True)
    sys.exit(error.exit_code)


@click.group(epilog=_EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="compact-kg")
def cli() -> None:
    """Linked open data about Local Compacts in England: validate, query, submit, publish."""


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script; never shows a traceback."""
    try:
        cli.main(args=argv, prog_name="compact-kg", standalone_mode=True)
    except CompactKGError as error:
        _fail(error)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except (RecursionError, MemoryError) as error:
        click.echo(f"error: the input is too large or too deeply nested ({type(error).__name__})",
                   err=True)
        sys.exit(EXIT_ERROR)


# ---------------------------------------------------------------------------------------
# Commands. Each command below parses, calls one library function, prints.
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# validate (branch `shapes`)
# ---------------------------------------------------------------------------------------


@cli.command("validate", epilog=_EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle"]), default="text",
              show_default=True, help="How to print the report.")
def validate_command(paths: tuple[str, ...], fmt: str) -> None:
    """Check data against the shapes in ontology/shapes.ttl.

    With no PATH, validates the whole dataset (data/**/*.ttl, plus the queries/*-violation.rq
    checks). With PATHs, validates those Turtle files with the dataset as context and reports
    only problems about what they describe.
    """
    from pathlib import Path

    from compact_kg.validate import format_report, validate_dataset, validate_files

    try:
        report = validate_files([Path(p) for p in paths]) if paths else validate_dataset()
    except CompactKGError as error:
        _fail(error)
    click.echo(format_report(report, fmt), nl=False)  # type: ignore[arg-type]
    sys.exit(EXIT_OK if report.conforms else EXIT_NONCONFORMANT)
