"""The submission desk: the web pages through which someone without a terminal submits a case
study (``compact-kg serve --submissions``).

``GET /submit`` shows an upload form (no JavaScript needed); ``POST /submit`` takes a Turtle
file, a zip of the CSV forms or an Excel workbook, checks it exactly as ``compact-kg
validate`` does and shows the report in plain English, grouped by rule, with the line or the
cell of each problem, the completeness score and the did-you-mean suggestions. When it
conforms the page offers to send it, with the submitter's name and e-mail address, to the
curator's review queue (:mod:`compact_kg.review`); ``GET /submit/ID`` then shows its state.

What an upload can do is bounded: at most :data:`MAX_UPLOAD_BYTES`; a zip may hold only the
CSV forms (by name, each bounded, no folders kept, no links); a workbook is read as
:mod:`compact_kg.workbook` reads one. Uploads are kept in a private staging folder beside the
queue until they are sent or an hour passes, and are never written into ``data/``; a queued
submission is one file written atomically. The library is plain functions of the request
(method, path, content type, body), so the server only routes to :meth:`Desk.handle`.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs

from compact_kg.errors import CompactKGError, InputError
from compact_kg.paths import ProjectPaths

__all__ = ["MAX_UPLOAD_BYTES", "Desk", "DeskResponse"]

MAX_UPLOAD_BYTES = 5_000_000
"""The largest upload taken (the body of the request)."""
STAGING_SECONDS = 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,40}")
_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{8}")
_SUFFIXES = {".ttl": "Turtle", ".zip": "CSV forms (zip)", ".xlsx": "Excel workbook"}
_MAX_ZIP_MEMBERS = 20


@dataclass
class DeskResponse:
    """What the server sends back: status, content type, body and extra headers."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class Desk:
    """The submission pages of one server: the dataset at ``paths``, the queue at
    ``queue_dir`` (staged uploads in its ``.staging`` folder)."""

    def __init__(self, paths: ProjectPaths, queue_dir: Path, data_dir: Path | None = None,
                 *, nav: list[tuple[str, str]] | None = None) -> None:
        from jinja2 import Environment, PackageLoader, select_autoescape

        self.paths = paths
        self.queue_dir = Path(queue_dir)
        self.data_dir = data_dir
        self.staging = self.queue_dir / ".staging"
        self.nav = nav or [("Home", "/"), ("Submit a case study", "/submit")]
        self.env = Environment(loader=PackageLoader("compact_kg", "templates"),
                               autoescape=select_autoescape(default=True),
                               trim_blocks=True, lstrip_blocks=True)

    # --- routing ---------------------------------------------------------------------------

    def handles(self, path: str) -> bool:
        """Whether ``path`` is one of the desk's pages."""
        return path == "/submit" or path.startswith("/submit/")

    def handle(self, method: str, path: str, content_type: str = "",
               body: bytes = b"") -> DeskResponse:
        """Answer one request for a desk page."""
        try:
            if path == "/submit" and method in ("GET", "HEAD"):
                return self._page("submit.html", title="Submit a case study")
            if path == "/submit" and method == "POST":
                return self._upload(content_type, body)
            if path == "/submit/send" and method == "POST":
                return self._send(content_type, body)
            if path == "/submit/case-study.xlsx" and method in ("GET", "HEAD"):
                return self._blank_workbook()
            if method in ("GET", "HEAD") and _ID.fullmatch(path.removeprefix("/submit/")):
                return self._status(path.removeprefix("/submit/"))
        except _Refused as refusal:
            return self._page("submit.html", status=refusal.status, title="Submit a case study",
                              problem=refusal.message)
        if method not in ("GET", "HEAD", "POST"):
            return DeskResponse(405, "text/plain; charset=utf-8", b"not allowed here\n",
                                {"Allow": "GET, HEAD, POST"})
        return self._page("submit.html", status=404, title="Not found",
                          problem="There is no such page; start again from the form below.")

    # --- pages -----------------------------------------------------------------------------

    def _page(self, template: str, status: int = 200, **context: object) -> DeskResponse:
        from compact_kg import __version__

        html = self.env.get_template(template).render(
            nav=self.nav, version=__version__, limit=f"{MAX_UPLOAD_BYTES // 1_000_000} MB",
            kinds=list(_SUFFIXES.values()), **context)
        return DeskResponse(status, "text/html; charset=utf-8", html.encode("utf-8"),
                            {"Cache-Control": "no-store"})

    def _upload(self, content_type: str, body: bytes) -> DeskResponse:
        fields = _multipart(content_type, body)
        upload = fields.get("file")
        if upload is None or not upload[1]:
            raise _Refused(400, "Choose a file to upload (Turtle, a zip of the CSV forms, or "
                           "an Excel workbook).")
        filename, data = upload
        token, staged = self._stage(filename, data)
        checks = self._check(staged)
        return self._page("submit.html", title="Your case study", report=_report(checks),
                          filename=filename, token=token if checks.conforms else None)

    def _send(self, content_type: str, body: bytes) -> DeskResponse:
        from compact_kg.review import enqueue

        if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            raise _Refused(415, "Send the form on this page.")
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        token = form.get("token", "")
        folder = self.staging / token if _TOKEN.fullmatch(token) else None
        if folder is None or not folder.is_dir():
            raise _Refused(400, "This upload is no longer here (uploads are kept for an hour); "
                           "upload the file again.")
        staged = _staged_file(folder)
        try:
            entry = enqueue(self.queue_dir, staged, name=form.get("name", ""),
                            email=form.get("email", ""), paths=self.paths,
                            data_dir=self.data_dir, filename=staged.name)
        except InputError as error:  # the name or the address: ask again, keep the upload
            checks = self._check(staged)
            return self._page("submit.html", status=400, title="Your case study",
                              report=_report(checks), filename=staged.name, token=token,
                              problem=error.reason, name=form.get("name", ""),
                              email=form.get("email", ""))
        except CompactKGError as error:
            raise _Refused(400, str(error)) from None
        shutil.rmtree(folder, ignore_errors=True)
        return DeskResponse(303, "text/plain; charset=utf-8", b"sent\n",
                            {"Location": f"/submit/{entry.id}"})

    def _blank_workbook(self) -> DeskResponse:
        """A blank workbook of the forms, made from the dataset's vocabularies as they are."""
        import tempfile

        from compact_kg.context import DatasetContext
        from compact_kg.workbook import write_workbook

        with tempfile.TemporaryDirectory(prefix="compact-kg-workbook-") as folder:
            path = write_workbook(Path(folder) / "case-study.xlsx",
                                  DatasetContext.load(self.paths, self.data_dir))
            data = path.read_bytes()
        return DeskResponse(200, "application/vnd.openxmlformats-officedocument."
                            "spreadsheetml.sheet", data,
                            {"Content-Disposition": 'attachment; filename="case-study.xlsx"',
                             "Cache-Control": "no-store"})

    def _status(self, entry_id: str) -> DeskResponse:
        from compact_kg.errors import ReviewError
        from compact_kg.review import get_entry

        try:
            entry = get_entry(self.queue_dir, entry_id)
        except ReviewError:
            raise _Refused(404, "There is no submission with that number.") from None
        return self._page("submission.html", title=f"Submission {entry.id}", entry=entry)

    # --- uploads ---------------------------------------------------------------------------

    def _stage(self, filename: str, data: bytes) -> tuple[str, Path]:
        name = PurePosixPath(filename.replace("\\", "/")).name
        suffix = Path(name).suffix.lower()
        if suffix not in _SUFFIXES:
            raise _Refused(415, f"{name or 'The file'} is not a Turtle file (.ttl), a zip of "
                           "the CSV forms (.zip) or an Excel workbook (.xlsx).")
        if len(data) > MAX_UPLOAD_BYTES:
            raise _Refused(413, f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB; "
                           "a case study fits in far less.")
        self._sweep()
        token = secrets.token_urlsafe(18)
        folder = self.staging / token
        folder.mkdir(parents=True, mode=0o700)
        safe = re.sub(r"[^A-Za-z0-9._-]", "-", Path(name).stem)[:60].strip(".-") or "upload"
        if suffix == ".zip":
            forms = folder / f"{safe}-forms"
            forms.mkdir()
            _unzip_forms(data, forms, name)
            return token, forms
        target = folder / f"{safe}{suffix}"
        target.write_bytes(data)
        return token, target

    def _sweep(self) -> None:
        """Remove staged uploads older than an hour."""
        if not self.staging.is_dir():
            return
        cutoff = time.time() - STAGING_SECONDS
        for folder in self.staging.iterdir():
            with contextlib.suppress(OSError):
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder)

    def _check(self, staged: Path) -> object:
        from compact_kg.submissions import validate_submissions

        try:
            return validate_submissions([staged], self.paths, self.data_dir)[0]
        except CompactKGError as error:
            raise _Refused(400, _without_folder(str(error), staged)) from None


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _staged_file(folder: Path) -> Path:
    """The one file (or forms folder) an upload was staged as."""
    entries = sorted(folder.iterdir())
    if len(entries) != 1:
        raise _Refused(400, "This upload is no longer complete; upload the file again.")
    return entries[0]


def _without_folder(message: str, staged: Path) -> str:
    """A message about a staged file, naming the file as the submitter knows it."""
    return message.replace(str(staged.parent) + "/", "")


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str, bytes]]:
    """The fields of a ``multipart/form-data`` body: name -> (filename, bytes)."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise _Refused(415, "Upload the file with the form on this page.")
    if len(body) > MAX_UPLOAD_BYTES + 64_000:
        raise _Refused(413, f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise _Refused(400, "The upload could not be read; choose the file again.")
    fields: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name or len(fields) > 10:
            continue
        payload = part.get_payload(decode=True) or b""
        fields[str(name)] = (part.get_filename() or "", payload)
    return fields


def _unzip_forms(data: bytes, folder: Path, name: str) -> None:
    """The CSV forms of a zip, written flat into ``folder``; anything else in it is refused."""
    import io

    from compact_kg.forms import FORMS, MAX_FORM_FILE_BYTES

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _Refused(400, f"{name} is not a zip file.") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > _MAX_ZIP_MEMBERS:
            raise _Refused(400, f"{name} holds {len(members)} files; a zip of the forms holds "
                           "the six CSV files (and README.txt).")
        for member in members:
            base = PurePosixPath(member.filename.replace("\\", "/")).name
            if base.startswith(".") or base == "README.txt" or "__MACOSX" in member.filename:
                continue
            if base not in FORMS:
                raise _Refused(400, f"{name} holds {base}, which is not one of the forms "
                               f"({', '.join(FORMS)}).")
            if member.flag_bits & 0x1:
                raise _Refused(400, f"{name} is encrypted; zip the forms without a password.")
            if member.file_size > MAX_FORM_FILE_BYTES:
                raise _Refused(413, f"{base} in {name} is larger than "
                               f"{MAX_FORM_FILE_BYTES:,} bytes.")
            target = folder / base
            if target.exists():
                raise _Refused(400, f"{name} holds {base} twice; keep one.")
            with archive.open(member) as source:
                content = source.read(MAX_FORM_FILE_BYTES + 1)
            if len(content) > MAX_FORM_FILE_BYTES:  # the header lied about its size
                raise _Refused(413, f"{base} in {name} unpacks to more than it says.")
            target.write_bytes(content)
        if not (folder / "case-study.csv").is_file():
            raise _Refused(400, f"{name} has no case-study.csv; zip the folder that "
                           "`compact-kg new form` made, once filled in.")


@dataclass
class _Problem:
    where: str
    what: str
    value: str | None
    message: str


@dataclass
class _Group:
    rule: str
    severity: str
    problems: list[_Problem]


@dataclass
class _Report:
    conforms: bool
    violations: int
    warnings: int
    completeness: str
    groups: list[_Group]
    holds: str


def _report(check: object) -> _Report:
    """The check as the page shows it: problems grouped by rule, each with its place."""
    report = check.report  # type: ignore[attr-defined]
    groups = []
    for results in report.group_by_rule().values():
        first = results[0]
        problems = []
        for result in results:
            where = result.file or ""
            if result.file:
                where = Path(result.file.split(" ", 1)[0]).name + (
                    " " + result.file.split(" ", 1)[1] if " " in result.file else "")
                if result.line:
                    where += f", line {result.line}"
            what = result.focus_label or result.focus
            if result.path:
                what += f" ({result.path})"
            problems.append(_Problem(where, what, result.value, result.message))
        groups.append(_Group(first.rule, first.severity, problems))
    counts = report.counts
    summary = report.summary
    holds = ", ".join(f"{key.replace('_', ' ')}: {count}" for key, count in summary.items())
    return _Report(check.conforms, counts.get("Violation", 0),  # type: ignore[attr-defined]
                   counts.get("Warning", 0), str(check.completeness),  # type: ignore[attr-defined]
                   groups, holds)

