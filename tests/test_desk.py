"""`serve --submissions`: upload, read the report, send for review; hostile uploads refused."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from compact_kg.cli import cli
from compact_kg.serve import RunningServer, start_server
from tests._publish_support import make_checkout
from tests.test_forms import VALID_FORM
from tests.test_query_safety import Listener
from tests.test_submissions import FIXTURES, VALID, tree_hash
from tests.test_workbook import filled_from_forms

pytestmark = pytest.mark.server
INVALID = FIXTURES / "08-invalid-over-40-without-qualifier.ttl"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Path]]:
    root = tmp_path_factory.mktemp("desk")
    paths = make_checkout(root / "home")
    queue = root / "queue"
    running = start_server(port=0, timeout=5.0, paths=paths, submissions=queue)
    try:
        yield running, queue
    finally:
        running.close()


def request(server: RunningServer, path: str, body: bytes | None = None,
            content_type: str | None = None) -> tuple[int, dict[str, str], str]:
    req = urllib.request.Request(server.url.rstrip("/") + path, data=body)
    if content_type:
        req.add_header("Content-Type", content_type)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def upload(server: RunningServer, name: str, data: bytes) -> tuple[int, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    status, _, page = request(server, "/submit", body,
                              f"multipart/form-data; boundary={boundary}")
    return status, page


def token_of(page: str) -> str:
    return page.split('name="token" value="', 1)[1].split('"', 1)[0]


def test_the_upload_page_is_a_plain_accessible_form(desk):
    server, _ = desk
    status, headers, page = request(server, "/submit")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<label for="file">' in page and 'id="file"' in page
    assert 'enctype="multipart/form-data"' in page and "<script" not in page
    assert "<h1>Submit a case study</h1>" in page


def test_the_report_shows_each_problem_with_its_line(desk):
    server, _ = desk
    status, page = upload(server, "mine.ttl", INVALID.read_bytes())
    assert status == 200
    assert "mine.ttl needs changes" in page and "must be fixed" in page
    assert "mine-" not in page.split("<main>")[1].split("</h1>")[0]
    assert "line " in page and "Completeness:" in page
    assert 'name="token"' not in page  # nothing to send until it conforms


def test_a_conforming_upload_is_sent_to_the_queue_and_has_a_status_page(desk):
    server, queue = desk
    status, page = upload(server, "merton.ttl", VALID.read_bytes())
    assert status == 200 and "merton.ttl is ready to send" in page, page
    form = urllib.parse.urlencode({"token": token_of(page), "name": "Ann Officer",
                                   "email": "ann@council.gov.uk"}).encode()
    status, headers, _ = request(server, "/submit/send", form,
                                 "application/x-www-form-urlencoded")
    assert status == 303
    entry_id = headers["Location"].rsplit("/", 1)[1]
    entry = json.loads((queue / f"{entry_id}.json").read_text())
    assert entry["state"] == "queued" and entry["submitter"]["email"] == "ann@council.gov.uk"
    status, _, page = request(server, headers["Location"])
    assert status == 200 and "Waiting for review" in page
    # The same token cannot be sent twice.
    status, _, page = request(server, "/submit/send", form, "application/x-www-form-urlencoded")
    assert status == 400 and "upload the file again" in page


def test_a_bad_address_asks_again_and_keeps_the_upload(desk):
    server, _ = desk
    _, page = upload(server, "merton.ttl", VALID.read_bytes())
    token = token_of(page)
    form = urllib.parse.urlencode({"token": token, "name": "Ann", "email": "nope"}).encode()
    status, _, page = request(server, "/submit/send", form, "application/x-www-form-urlencoded")
    assert status == 400 and "is not an e-mail address" in page and token_of(page) == token


def test_a_workbook_and_a_zip_of_forms_are_checked_too(desk, tmp_path: Path):
    server, _ = desk
    blank = tmp_path / "blank.xlsx"
    assert CliRunner().invoke(cli, ["new", "workbook", str(blank)]).exit_code == 0
    workbook = filled_from_forms(blank, VALID_FORM, tmp_path / "t.xlsx",
                                 {("Measurements", 4, "Value"): "lots"})
    status, page = upload(server, "thurrock.xlsx", workbook.read_bytes())
    assert status == 200 and "Measurements!C4" in page, page
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in VALID_FORM.iterdir():
            archive.write(path, f"thurrock-form/{path.name}")
    status, page = upload(server, "thurrock.zip", buffer.getvalue())
    assert status == 200 and "thurrock.zip is ready to send" in page, page


@pytest.mark.parametrize(("name", "make", "message"), [
    ("big.ttl", lambda: b"#" * 6_000_000, "may be at most"),
    ("forms.zip", lambda: _zip({"../../etc/case-study.csv": b"x", "evil.sh": b"rm"}),
     "which is not one of the forms"),
    ("bomb.zip", lambda: _zip({"case-study.csv": b"a" * 3_000_000}), "larger than"),
    ("linked.xlsx", lambda: _zip({"xl/externalLinks/externalLink1.xml": b"<x/>",
                                  "[Content_Types].xml": b"<Types/>"}),
     "a link to another workbook"),
    ("context.ttl", None, "Turtle"),
    ("script.exe", lambda: b"MZ", "is not a Turtle file"),
])
def test_hostile_uploads_are_refused_and_change_nothing(desk, name, make, message):
    server, queue = desk
    listener = Listener()
    try:
        remote = f"http://127.0.0.1:{listener.port}/context.jsonld"
        data = make() if make else ('{"@context": "' + remote + '", "@id": "x"}').encode()
        before_queue = sorted(p.name for p in queue.glob("*.json")) if queue.exists() else []
        home = server.server.desk.paths.data_dir
        before_data = tree_hash(home)
        status, page = upload(server, name, data)
        assert status in (200, 400, 413, 415), (status, page)
        assert message in page, page
        assert "Traceback" not in page
        assert tree_hash(home) == before_data
        after = sorted(p.name for p in queue.glob("*.json")) if queue.exists() else []
        assert after == before_queue
        assert listener.connections == 0
    finally:
        listener.close()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_without_the_switch_there_is_no_submission_page(tmp_path: Path):
    running = start_server(port=0, timeout=5.0, paths=make_checkout(tmp_path / "home"))
    try:
        status, _, _ = request(running, "/submit")
        assert status == 404
    finally:
        running.close()


def test_a_blank_workbook_can_be_downloaded_from_the_page(desk, tmp_path: Path):
    from openpyxl import load_workbook

    server, _ = desk
    _, _, page = request(server, "/submit")
    assert 'href="/submit/case-study.xlsx"' in page
    with urllib.request.urlopen(server.url + "submit/case-study.xlsx", timeout=60) as response:
        assert response.headers["Content-Type"].endswith("spreadsheetml.sheet")
        (tmp_path / "blank.xlsx").write_bytes(response.read())
    assert "Measurements" in load_workbook(tmp_path / "blank.xlsx").sheetnames


def test_the_submission_pages_carry_no_cors_header(desk):
    """Only the data and the endpoint may be read by other origins (issue 11, part 5)."""
    server, _ = desk
    answers = [request(server, "/submit")[:2]]
    with urllib.request.urlopen(server.url + "submit/case-study.xlsx", timeout=60) as response:
        answers.append((response.status, dict(response.headers)))
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"mine.ttl\"\r\nContent-Type: text/turtle\r\n\r\n").encode()
    body += INVALID.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    answers.append(request(server, "/submit", body,
                           f"multipart/form-data; boundary={boundary}")[:2])
    for status, headers in answers:
        assert status == 200
        assert not any(key.lower().startswith("access-control-") for key in headers)
