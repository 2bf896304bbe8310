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


# --- publish, serve, diff (publishing helper) ------------------------------------------


@cli.command("publish")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the site into (replaced if it exists).")
@click.option("--base-uri", default=None,
              help="Rewrite every IRI of https://w3id.org/compact-kg/ to this base (ends in /).")
def publish_command(out_dir: str, base_uri: str | None) -> None:
    """Write the graph as a static linked-data site: pages, RDF per resource, dumps, VoID."""
    from pathlib import Path

    from compact_kg.publish import publish_site

    summary = publish_site(Path(out_dir), base_uri=base_uri)
    click.echo(f"published {summary.triples} triples, {summary.resources} resource pages, "
               f"{summary.files} files to {summary.out_dir} in {summary.seconds:.1f} s "
               f"(base {summary.base_uri})")


@cli.command("serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; only loopback addresses are accepted.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Deadline in seconds for each SPARQL query.")
@click.option("--base-uri", default=None, help="As for publish.")
def serve_command(port: int, host: str, timeout: float, base_uri: str | None) -> None:
    """Serve the site with content negotiation and a read-only SPARQL endpoint at /sparql."""
    from compact_kg.serve import serve_forever

    serve_forever(host=host, port=port, timeout=timeout, base_uri=base_uri,
                  announce=lambda url: click.echo(f"serving compact-kg at {url} (Ctrl-C stops)"))


@cli.command("diff")
@click.argument("old", type=click.Path(exists=True))
@click.argument("new", type=click.Path(exists=True))
def diff_command(old: str, new: str) -> None:
    """List triples added and removed between two releases (Turtle files or folders)."""
    from pathlib import Path

    from compact_kg.diff import diff_graphs

    click.echo(diff_graphs(Path(old), Path(new)).render())
