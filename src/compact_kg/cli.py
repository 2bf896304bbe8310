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
# Queries: `compact-kg query` and `compact-kg load` (section owned by the queries module).
# ---------------------------------------------------------------------------------------

def _project_paths():  # -> compact_kg.paths.ProjectPaths (imported lazily)
    """The checkout to work on: $COMPACT_KG_HOME, or the one this package came from."""
    import os

    from compact_kg.paths import default_paths

    return default_paths(os.environ.get("COMPACT_KG_HOME") or None)


def _parse_param_options(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--param {pair!r} must be written NAME=VALUE")
        if name.strip() in values:
            raise click.UsageError(f"--param {name.strip()!r} is given twice")
        values[name.strip()] = value
    return values


@cli.command("query", epilog=_EPILOG)
@click.argument("name", required=False)
@click.option("--list", "list_queries", is_flag=True, help="List the saved queries and exit.")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A value for a query parameter (repeatable).")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]),
              default="table", show_default=True, help="Output format.")
@click.option("--endpoint", metavar="URL",
              help="Run on a remote SPARQL endpoint (an Oxigraph base URL http://HOST:PORT, "
                   "or any query URL) instead of the embedded store.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Seconds before the query is stopped.")
def query_command(name: str | None, list_queries: bool, params: tuple[str, ...], fmt: str,
                  endpoint: str | None, timeout: float) -> None:
    """Run the saved query NAME (a file of queries/) or a .rq file at a PATH.

    Read-only queries only: updates, SERVICE, FROM and FROM NAMED are refused. A query
    whose name ends in -violation is a check: it exits with 1 when it returns rows.
    """
    from compact_kg import queries

    paths = _project_paths()
    try:
        if list_queries:
            click.echo(_catalogue_listing(queries.load_catalogue(paths.queries_dir)), nl=False)
            return
        if name is None:
            raise click.UsageError("give a query NAME or PATH, or --list")
        saved = queries.find_query(name, paths.queries_dir)
        values = _parse_param_options(params)
        queries.bind_parameters(saved, values)  # fail fast, before loading the store
        if endpoint is not None:
            result = queries.run_remote(saved, endpoint, timeout, values)
        else:
            from compact_kg.store import dataset_files, load_store

            store = load_store(dataset_files(paths))
            result = queries.run_embedded(saved, store, values, timeout)
    except CompactKGError as error:
        _fail(error)
    click.echo(queries.format_result(result, fmt), nl=False)
    if saved.is_violation and result.rows:
        sys.exit(EXIT_NONCONFORMANT)


def _catalogue_listing(catalogue: list) -> str:
    if not catalogue:
        return "no saved queries\n"
    lines = []
    for saved in catalogue:
        lines.append(f"{saved.name}  {saved.title}")
        for param in saved.params:
            default = "required" if param.required else f"default {param.default}"
            lines.append(
                f"    --param {param.name}=<{param.type}>  {param.description} ({default})"
            )
    return "\n".join(lines) + "\n"


@cli.command("load", epilog=_EPILOG)
@click.option("--endpoint", required=True, metavar="URL",
              help="The server: an Oxigraph base URL http://HOST:PORT (its /store is used), "
                   "or any SPARQL 1.1 Graph Store URL.")
@click.option("--graph", "graph_iri", metavar="IRI",
              help="Load into this named graph instead of the default graph.")
def load_command(endpoint: str, graph_iri: str | None) -> None:
    """Replace a graph of a SPARQL server with the dataset (ontology, vocabularies, data)."""
    from compact_kg.endpoint import upload
    from compact_kg.store import dataset_files

    files = dataset_files(_project_paths())
    try:
        count = upload(endpoint, files, graph_iri)
    except CompactKGError as error:
        _fail(error)
    target = f"graph <{graph_iri}>" if graph_iri else "the default graph"
    click.echo(f"loaded {count} triples from {len(files)} files into {target} of {endpoint}")


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
