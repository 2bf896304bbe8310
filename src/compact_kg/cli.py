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

import contextlib
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
    click.echo(f"error: {_without_package_paths(str(error))}", err=True)
    sys.exit(error.exit_code)


def _without_package_paths(message: str) -> str:
    """``.../site-packages/compact_kg/_graph/queries`` becomes ``queries of the package's
    copy``: a message names what to fix, not where pip put the files."""
    import re

    from compact_kg.paths import package_paths

    package = package_paths()
    if package is None or str(package.root) not in message:
        return message
    return re.sub(re.escape(str(package.root)) + r"(?:/([^\s:;,'\"()]*))?",
                  lambda m: f"{m[1] or 'the graph'} of the package's copy", message)


def _quiet_broken_pipe() -> NoReturn:
    """Stop quietly when standard output is a pipe that its reader closed (as `head` does):
    nothing more can be written, so say nothing; the next flush must not fail again."""
    import os

    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_ERROR)


class _CompactKGGroup(click.Group):
    """A click group that turns every error of every command into one line and an exit status.

    Our own errors carry their message and exit code; an unexpected exception is reported in
    one line too (with a request to report it), never as a traceback.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # `compact-kg validate | head -1`: the reader has gone
            _quiet_broken_pipe()
        except CompactKGError as error:
            _fail(error)
        except (RecursionError, MemoryError) as error:
            _fail(CompactKGError(
                f"the input is too large or too deeply nested ({type(error).__name__})"))
        except Exception as error:  # never a traceback: say what failed, in one line
            reason = " ".join(str(error).split())[:300] or type(error).__name__
            _fail(CompactKGError(f"unexpected problem: {type(error).__name__}: {reason}. "
                                 "Please report it."))


_HOME_KEY = "compact_kg.home"


def _remember_home(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    ctx.meta[_HOME_KEY] = value  # read by _project_paths in every command


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """`--version`: the package's version, the dataset's, and where the data comes from."""
    if not value or ctx.resilient_parsing:
        return
    home = _locate_home()
    missing = home.missing()
    click.echo(f"compact-kg {__version__}, dataset {home.dataset_version() or 'unknown'}")
    click.echo(f"data: {home.describe()}"
               + (f" (incomplete: no {', '.join(missing)})" if missing else ""))
    ctx.exit()


@click.group(cls=_CompactKGGroup, epilog=_EPILOG,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", metavar="DIR", type=click.Path(file_okay=False), is_eager=True,
              expose_value=False, callback=_remember_home,
              help="Work on the working copy in DIR (see `compact-kg init`) instead of the "
                   "package's own copy of the graph. Default: $COMPACT_KG_HOME, else the "
                   "working copy around the current folder, else the package's copy.")
@click.option("--version", is_flag=True, expose_value=False, callback=_print_version,
              help="Show the version of compact-kg and of the dataset, and where the data "
                   "comes from, and exit.")
def cli() -> None:
    """Linked open data about Local Compacts in England: validate, query, submit, publish."""


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script (errors are handled by the group: one line each)."""
    cli.main(args=argv, prog_name="compact-kg", standalone_mode=True)


# ---------------------------------------------------------------------------------------
# Commands. Each command below parses, calls one library function, prints.
# ---------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------
# Queries: `compact-kg query` and `compact-kg load` (section owned by the queries module).
# ---------------------------------------------------------------------------------------

def _locate_home():  # -> compact_kg.paths.ProjectPaths (imported lazily)
    """The home chosen by --home, $COMPACT_KG_HOME or the current folder (unchecked)."""
    import os
    from pathlib import Path

    from compact_kg.paths import locate_home

    context = click.get_current_context(silent=True)
    home = context.meta.get(_HOME_KEY) if context is not None else None
    if home:
        return locate_home(home, setting="--home")
    if os.environ.get("COMPACT_KG_HOME"):
        return locate_home(os.environ["COMPACT_KG_HOME"], setting="COMPACT_KG_HOME")
    try:
        cwd = Path.cwd()
    except OSError:  # the current folder was removed
        cwd = None
    return locate_home(cwd=cwd)


def _project_paths():  # -> compact_kg.paths.ProjectPaths (imported lazily)
    """The home to work on (see compact_kg.paths): checked, so that a missing file is
    reported with the setting to change."""
    return _locate_home().check()


def _writable_paths(data_dir: str | None):  # -> compact_kg.paths.ProjectPaths
    """The home, for a command that stores into its data/ (unless --data-dir is given)."""
    paths = _project_paths()
    if data_dir is None and paths.is_package_copy:
        raise CompactKGError(
            "the copy of the graph that comes with the package cannot be changed; make a "
            "working copy with `compact-kg init DIR`, then use `compact-kg --home DIR ...` "
            "(or set COMPACT_KG_HOME=DIR)")
    return paths


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
@click.option("--default-graph", metavar="IRI",
              help="With --endpoint: query this named graph as the default graph "
                   "(sent as default-graph-uri; e.g. the graph of `load --graph`).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0,
              show_default=True, help="Seconds before the query is stopped.")
def query_command(name: str | None, list_queries: bool, params: tuple[str, ...], fmt: str,
                  endpoint: str | None, default_graph: str | None, timeout: float) -> None:
    """Run the saved query NAME (a file of queries/) or a .rq file at a PATH.

    Read-only queries only: updates, SERVICE, FROM and FROM NAMED are refused. A query
    whose name ends in -violation is a check: it exits with 1 when it returns rows.
    """
    from compact_kg import queries

    paths = _project_paths()
    if list_queries:
        click.echo(_catalogue_listing(queries.load_catalogue(paths.queries_dir)), nl=False)
        return
    if name is None:
        raise click.UsageError("give a query NAME or PATH, or --list")
    if default_graph is not None and endpoint is None:
        raise click.UsageError("--default-graph needs --endpoint")
    saved = queries.find_query(name, paths.queries_dir)
    values = _parse_param_options(params)
    queries.bind_parameters(saved, values)  # fail fast, before loading the store
    if endpoint is not None:
        result = queries.run_remote(saved, endpoint, timeout, values,
                                    default_graph=default_graph)
    else:
        from compact_kg.store import dataset_files, load_store

        store = load_store(dataset_files(paths))
        result = queries.run_embedded(saved, store, values, timeout)
    click.echo(queries.format_result(result, fmt), nl=False)
    if saved.is_violation and result.rows:
        sys.exit(EXIT_NONCONFORMANT)


def _catalogue_listing(catalogue: list) -> str:
    if not catalogue:
        return "no saved queries\n"
    width = max(len(saved.name) for saved in catalogue)
    lines = []
    for saved in catalogue:
        lines.append(f"{saved.name.ljust(width)}  {saved.title}")
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
    count = upload(endpoint, files, graph_iri)
    target = f"graph <{graph_iri}>" if graph_iri else "the default graph"
    click.echo(f"loaded {count} triples from {len(files)} files into {target} of {endpoint}")


# ---------------------------------------------------------------------------------------
# validate (branch `shapes`)
# ---------------------------------------------------------------------------------------


@cli.command("validate", epilog=_EPILOG)
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "turtle", "sarif"]),
              default="text", show_default=True,
              help="How to print the report (sarif: for submissions only).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Check submissions against this data folder instead of data/.")
@click.option("--no-cache", is_flag=True,
              help="Check submissions without the dataset index kept in the cache folder "
                   "($COMPACT_KG_CACHE, else $XDG_CACHE_HOME/compact-kg).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def validate_command(paths: tuple[str, ...], fmt: str, data_dir: str | None, no_cache: bool,
                     quiet: bool) -> None:
    """Check data against the shapes in ontology/shapes.ttl.

    With no PATH, validates the whole dataset (data/**/*.ttl, plus the queries/*-violation.rq
    checks). With PATHs of files inside data/, validates those Turtle files with the dataset
    as context and reports only problems about what they describe. Any other PATH is a
    submission (Turtle, N-Triples, JSON-LD, RDF/XML, or a folder of CSV forms): it is read
    through the safe door and checked against the dataset, with the line of each problem
    and a completeness score (see `compact-kg submit`).
    """
    from pathlib import Path

    if paths and not _all_in_data_dir([Path(p) for p in paths], data_dir):
        with _prescan(data_dir, no_cache):
            _validate_submissions_command(paths, fmt, data_dir, no_cache, quiet)  # below
        return
    from compact_kg.validate import format_report, validate_dataset, validate_files

    if fmt == "sarif":
        _fail(CompactKGError("--format sarif is for submissions; use text, json or turtle"))
    project = _project_paths()
    report = (validate_files([Path(p) for p in paths], project) if paths
              else validate_dataset(project))
    if fmt == "text":
        click.echo(f"data: {project.describe()}")
    click.echo(format_report(report, fmt), nl=False)  # type: ignore[arg-type]
    sys.exit(EXIT_OK if report.conforms else EXIT_NONCONFORMANT)


# --- publish, serve, diff (publishing helper) ------------------------------------------


@cli.command("publish")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder to write the site into (replaced if it exists).")
@click.option("--base-uri", default=None,
              help="Rewrite every IRI of https://w3id.org/compact-kg/ to this base (ends in /).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def publish_command(out_dir: str, base_uri: str | None, quiet: bool) -> None:
    """Write the graph as a static linked-data site: pages, RDF per resource, dumps, VoID."""
    from pathlib import Path

    from compact_kg.progress import progress_bar
    from compact_kg.publish import publish_site

    with progress_bar("publishing resource pages", quiet=quiet) as progress:
        summary = publish_site(Path(out_dir), base_uri=base_uri, paths=_project_paths(),
                               progress=progress)
    click.echo(f"published {summary.triples} triples, {summary.resources} resource pages, "
               f"{summary.files} files to {summary.out_dir} in {summary.seconds:.1f} s "
               f"(base {summary.base_uri})")


_QUEUE_OPTION = click.option(
    "--queue", "queue_dir", type=click.Path(file_okay=False, path_type=str), default=None,
    help="The queue folder (default: $COMPACT_KG_QUEUE, else review-queue/ beside data/).")


def _queue_dir(queue_dir: str | None):  # -> pathlib.Path
    import os
    from pathlib import Path

    chosen = queue_dir or os.environ.get("COMPACT_KG_QUEUE")
    if chosen:
        return Path(chosen)
    paths = _project_paths()
    if paths.is_package_copy:
        raise CompactKGError("the package's own copy of the graph has no review queue; give "
                             "one with --queue DIR or COMPACT_KG_QUEUE, or use a working copy "
                             "(compact-kg --home DIR, see `compact-kg init`)")
    return paths.root / "review-queue"


@cli.command("serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind; only loopback addresses are accepted.")
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Deadline in seconds for each SPARQL query.")
@click.option("--base-uri", default=None, help="As for publish.")
@click.option("--submissions", is_flag=True,
              help="Also serve the submission pages at /submit: upload, check, send for review.")
@_QUEUE_OPTION
@click.option("--max-connections", default=100, show_default=True, type=click.IntRange(1, 10000),
              help="Connections open at once; past it the longest-idle one is closed, or 503.")
@click.option("--read-timeout", default=5.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds a client has to send its request line and headers.")
@click.option("--keep-alive", default=5.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds an idle connection is kept open for a next request.")
def serve_command(port: int, host: str, timeout: float, base_uri: str | None,
                  submissions: bool, queue_dir: str | None, max_connections: int,
                  read_timeout: float, keep_alive: float) -> None:
    """Serve the site with content negotiation and a read-only SPARQL endpoint at /sparql.

    With --submissions, people can upload a case study at /submit (Turtle, a zip of the CSV
    forms or a workbook), read its report and send it to the review queue (see `review`).
    """
    from compact_kg.serve import ConnectionLimits, serve_forever

    queue = _queue_dir(queue_dir) if submissions else None
    serve_forever(host=host, port=port, timeout=timeout, base_uri=base_uri, paths=_project_paths(),
                  submissions=queue,
                  limits=ConnectionLimits(max_connections, read_timeout, keep_alive),
                  announce=lambda url: click.echo(f"serving compact-kg at {url} (Ctrl-C stops)"))


@cli.command("diff")
@click.argument("old", type=click.Path(exists=True))
@click.argument("new", type=click.Path(exists=True))
def diff_command(old: str, new: str) -> None:
    """List triples added and removed between two releases (Turtle files or folders)."""
    from pathlib import Path

    from compact_kg.diff import diff_graphs

    click.echo(diff_graphs(Path(old), Path(new)).render())


# ---------------------------------------------------------------------------------------
# new, convert, submit; validate for submissions (branch `submit`)
# ---------------------------------------------------------------------------------------

_PAUSE_ENV = "COMPACT_KG_TEST_PAUSE_BEFORE_RENAME"


def _all_in_data_dir(paths: list, data_dir: str | None) -> bool:
    from pathlib import Path

    root = (_project_paths().data_dir if data_dir is None else Path(data_dir)).resolve()
    for path in paths:
        resolved = path.resolve()
        if path.is_dir() or path.suffix.lower() != ".ttl" or not resolved.is_relative_to(root):
            return False
    return True


def _cache_dir(no_cache: bool):  # -> pathlib.Path | None
    """Where the dataset index is kept: $COMPACT_KG_CACHE, else the XDG cache folder."""
    import os

    from compact_kg.index import default_cache_dir

    return None if no_cache else default_cache_dir(os.environ)


def _prescan(data_dir: str | None, no_cache: bool):  # -> a context manager
    """List the data files in the background while the command imports its tools
    (see compact_kg.index.prescanning)."""
    import contextlib

    if no_cache:
        return contextlib.nullcontext()
    from pathlib import Path

    from compact_kg.index import prescanning

    return prescanning(Path(data_dir) if data_dir else _project_paths().data_dir,
                       _cache_dir(no_cache))


def _import_the_checker() -> None:
    """Import what checking a submission needs (pySHACL) now, while the data files are
    being listed (see _prescan), rather than after."""
    import pyshacl  # noqa: F401

    import compact_kg.validate  # noqa: F401


def _validate_submissions_command(paths: tuple[str, ...], fmt: str, data_dir: str | None,
                                  no_cache: bool = False, quiet: bool = False) -> None:
    from pathlib import Path

    from compact_kg.progress import progress_bar
    from compact_kg.submissions import format_check, validate_submissions

    _import_the_checker()
    with progress_bar("indexing the dataset", quiet=quiet) as progress:
        checks = validate_submissions([Path(p) for p in paths], _project_paths(),
                                      data_dir=Path(data_dir) if data_dir else None,
                                      cache_dir=_cache_dir(no_cache), progress=progress)
    click.echo(format_check(checks, fmt), nl=False)
    sys.exit(EXIT_OK if all(c.conforms for c in checks) else EXIT_NONCONFORMANT)


@cli.group("new", epilog=_EPILOG)
def new_group() -> None:
    """Start a new submission: a Turtle skeleton or a set of CSV forms."""


@new_group.command("case-study", epilog=_EPILOG)
@click.option("--area", default=None, help="An area already in the dataset, e.g. Merton "
              "(any case). Without it, the skeleton also describes a new area and its council.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the skeleton to this file (never overwritten) instead of stdout.")
@click.option("--year", type=int, default=None, help="Year for new identifiers (default: now).")
def new_case_study_command(area: str | None, out: str | None, year: int | None) -> None:
    """Write a ready-to-fill Turtle skeleton of a case study.

    The comments explain every field in plain English and list the allowed values; every
    value you must supply contains TODO. Fill it in, then run `compact-kg validate FILE`.
    """
    from pathlib import Path

    from compact_kg.context import DatasetContext
    from compact_kg.templates import case_study_template

    context = DatasetContext.load(_project_paths())
    text = case_study_template(context, area, year)
    if out is None:
        click.echo(text, nl=False)
        return
    target = Path(out)
    try:
        with target.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        _fail(CompactKGError(f"{target}: the file already exists; choose another name"))
    except OSError as error:
        _fail(CompactKGError(f"{target}: cannot write the file ({error.strerror})"))
    click.echo(f"Wrote {target}. Fill in every TODO, then run: compact-kg validate {target}")


@new_group.command("form", epilog=_EPILOG)
@click.argument("folder", type=click.Path(file_okay=False, path_type=str))
def new_form_command(folder: str) -> None:
    """Write blank CSV forms (one per part of a case study) and a README.txt into FOLDER."""
    from pathlib import Path

    from compact_kg.context import DatasetContext
    from compact_kg.forms import write_form

    context = DatasetContext.load(_project_paths())
    written = write_form(Path(folder), context)
    for path in written:  # type: ignore[union-attr]
        click.echo(f"Wrote {path}")
    click.echo(f"Fill in the CSV files, then run: compact-kg validate {folder}")


@new_group.command("workbook", epilog=_EPILOG)
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
def new_workbook_command(file: str) -> None:
    """Write a blank Excel workbook FILE.xlsx: a README sheet, one sheet per form, drop-down
    lists for every vocabulary column."""
    from pathlib import Path

    from compact_kg.context import DatasetContext
    from compact_kg.workbook import write_workbook

    written = write_workbook(Path(file), DatasetContext.load(_project_paths()))
    click.echo(f"Wrote {written}")
    click.echo(f"Fill in the sheets, then run: compact-kg validate {file}")


@cli.command("convert", epilog=_EPILOG)
@click.argument("form_dir", metavar="FORM", type=click.Path(path_type=str))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="The Turtle file to write (never overwritten).")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Resolve names against this data folder instead of data/.")
def convert_command(form_dir: str, out: str, data_dir: str | None) -> None:
    """Turn a filled CSV form folder or workbook (`compact-kg new form`, `new workbook`) into
    a Turtle submission.

    Every problem is reported with the CSV file, row and column (or the sheet and cell) it
    comes from; the Turtle is written only when every value could be converted. The result
    is then validated.
    """
    from pathlib import Path

    from compact_kg.submissions import convert_and_check, format_check

    target = Path(out)
    if target.exists():
        _fail(CompactKGError(f"{target}: the file already exists; choose another name"))
    check, written = convert_and_check(Path(form_dir), target,
                              _project_paths(),
                              data_dir=Path(data_dir) if data_dir else None)  # type: ignore[misc]
    click.echo(format_check([check], "text"), nl=False)
    if written:
        click.echo(f"Wrote {target}.")
    else:
        click.echo("Nothing written: fix the values above in the form, then run convert "
                   "again.")
    sys.exit(EXIT_OK if check.conforms else EXIT_NONCONFORMANT)


@cli.command("submit", epilog=_EPILOG)
@click.argument("submission", type=click.Path(path_type=str))
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Store into this data folder instead of data/.")
@click.option("--no-cache", is_flag=True,
              help="Check without the dataset index kept in the cache folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def submit_command(submission: str, data_dir: str | None, no_cache: bool, quiet: bool) -> None:
    """Validate a submission and store it in data/submissions/ if it conforms.

    Accepts Turtle, N-Triples, JSON-LD, RDF/XML or a CSV form folder; stores pretty Turtle
    with the standard prefixes. Refuses a submission that describes again anything data/
    already has. The file is written atomically: an interrupted submit leaves data/ as it was.
    """
    import os
    from pathlib import Path

    with _prescan(data_dir, no_cache):  # before the imports below, which it overlaps
        from compact_kg.progress import progress_bar
        from compact_kg.submissions import format_check, submit

        _import_the_checker()
        try:
            pause = float(os.environ.get(_PAUSE_ENV, "0") or 0)
        except ValueError:
            pause = 0.0
        with progress_bar("indexing the dataset", quiet=quiet) as progress:
            result = submit(Path(submission), _writable_paths(data_dir),
                            data_dir=Path(data_dir) if data_dir else None,
                            pause_before_rename=pause, cache_dir=_cache_dir(no_cache),
                            progress=progress)
    click.echo(format_check([result.check], "text"),  # type: ignore[union-attr]
               nl=False)
    if result.stored is None:  # type: ignore[union-attr]
        click.echo("Not submitted: fix the violations above, then submit again.")
        sys.exit(EXIT_NONCONFORMANT)
    stored = result.stored  # type: ignore[union-attr]
    if stored.is_relative_to(Path.cwd()):
        stored = stored.relative_to(Path.cwd())
    click.echo(f"Submitted: wrote {stored}")
    for name, count in result.counts.items():  # type: ignore[union-attr]
        click.echo(f"  {count} x {name}")
    for iri in result.case_studies:  # type: ignore[union-attr]
        click.echo(f"  new case study: {iri}")


# ---------------------------------------------------------------------------------------
# init: a working copy of the graph (compact_kg.workingcopy)
# ---------------------------------------------------------------------------------------


@cli.command("init", epilog=_EPILOG)
@click.argument("folder", type=click.Path(path_type=str))
def init_command(folder: str) -> None:
    """Write a working copy of the graph into FOLDER (new or empty), to add case studies to.

    It holds ontology/, data/ and queries/ of the copy in use (the package's own, unless
    --home or COMPACT_KG_HOME names another) and a README.md for curators. Run commands
    inside FOLDER, or name it with `compact-kg --home FOLDER` or COMPACT_KG_HOME=FOLDER.
    """
    from pathlib import Path

    from compact_kg.workingcopy import init_working_copy

    source = _project_paths()
    init_working_copy(Path(folder), source)
    click.echo(f"Wrote a working copy to {folder} (ontology/, data/, queries/, README.md), "
               f"copied from the {source.describe()}.")
    click.echo(f"Use it from inside {folder}, or with: compact-kg --home {folder} validate")


# ---------------------------------------------------------------------------------------
# review: the curator's queue of submissions (compact_kg.review)
# ---------------------------------------------------------------------------------------

@cli.group("review", cls=_CompactKGGroup, epilog=_EPILOG)
def review_group() -> None:
    """Review submissions sent for review before they enter data/.

    `review add` (or the server's submission page) queues a conforming submission; a curator
    lists the queue, shows an entry (its report and the triples it would add), and approves
    it (checked again against the dataset, then stored as `submit` stores it) or rejects it
    with a reason. Entries are never deleted.
    """


@review_group.command("list", epilog=_EPILOG)
@_QUEUE_OPTION
@click.option("--state", type=click.Choice(["queued", "approved", "rejected", "all"]),
              default="queued", show_default=True, help="Which entries to list.")
def review_list_command(queue_dir: str | None, state: str) -> None:
    """List the queue: ID, state, when it came, who sent it, the file."""
    from compact_kg.review import list_entries

    entries = [e for e in list_entries(_queue_dir(queue_dir)) if state in ("all", e.state)]
    for entry in entries:
        click.echo(f"{entry.id}  {entry.state:<8}  {entry.received}  "
                   f"{entry.submitter_name} <{entry.submitter_email}>  {entry.filename}")
    click.echo(f"({len(entries)} {'entries' if len(entries) != 1 else 'entry'})")


@review_group.command("show", epilog=_EPILOG)
@click.argument("entry_id", metavar="ID")
@_QUEUE_OPTION
def review_show_command(entry_id: str, queue_dir: str | None) -> None:
    """Show an entry: its report and what it would add, grouped by resource."""
    from compact_kg.review import show_entry

    click.echo(show_entry(_queue_dir(queue_dir), entry_id, _project_paths()), nl=False)


@review_group.command("add", epilog=_EPILOG)
@click.argument("submission", type=click.Path(path_type=str))
@click.option("--name", required=True, help="The submitter's name.")
@click.option("--email", required=True, help="The submitter's e-mail address.")
@_QUEUE_OPTION
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Check against this data folder instead of data/.")
def review_add_command(submission: str, name: str, email: str, queue_dir: str | None,
                       data_dir: str | None) -> None:
    """Queue a conforming submission (a file or CSV forms) for a curator's review."""
    from pathlib import Path

    from compact_kg.review import enqueue

    entry = enqueue(_queue_dir(queue_dir), Path(submission), name=name, email=email,
                    paths=_project_paths(), data_dir=Path(data_dir) if data_dir else None)
    click.echo(f"Queued for review as {entry.id}. A curator will approve or reject it.")


@review_group.command("approve", epilog=_EPILOG)
@click.argument("entry_id", metavar="ID")
@_QUEUE_OPTION
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Store into this data folder instead of data/.")
def review_approve_command(entry_id: str, queue_dir: str | None, data_dir: str | None) -> None:
    """Check an entry against the dataset as it is now and store it, as `submit` does."""
    from pathlib import Path

    from compact_kg.review import approve

    result = approve(_queue_dir(queue_dir), entry_id, _writable_paths(data_dir),
                     data_dir=Path(data_dir) if data_dir else None)
    click.echo(result.report, nl=False)
    if result.stored is None:
        click.echo(f"Not approved: {entry_id} no longer conforms (see above); it stays queued.")
        sys.exit(EXIT_NONCONFORMANT)
    click.echo(f"Approved {entry_id}: wrote {result.stored}")


@review_group.command("reject", epilog=_EPILOG)
@click.argument("entry_id", metavar="ID")
@click.option("--why", required=True, metavar="TEXT", help="Why (the submitter reads it).")
@_QUEUE_OPTION
def review_reject_command(entry_id: str, why: str, queue_dir: str | None) -> None:
    """Reject an entry, keeping it and the reason."""
    from compact_kg.review import reject

    entry = reject(_queue_dir(queue_dir), entry_id, why)
    click.echo(f"Rejected {entry.id}: {entry.reason}")
