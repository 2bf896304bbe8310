"""The whole path from a browser, in real headless Chromium: upload a workbook with three
mistakes, read them with their cells, upload the fixed one, send it, approve it with
`compact-kg review`, then find the new case study on its page and in a saved query."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF

from compact_kg import rdfio
from compact_kg.cli import cli
from compact_kg.namespace import CKG
from compact_kg.serve import start_server
from tests import test_browser
from tests._publish_support import make_checkout
from tests.test_forms import VALID_FORM
from tests.test_workbook import filled_from_forms

pytestmark = [pytest.mark.browser, pytest.mark.server]
chromium = test_browser.browser  # the module-scoped headless Chromium of test_browser

By = test_browser.By
Select = test_browser.Select
WebDriverWait = test_browser.WebDriverWait
expected = test_browser.expected_conditions

MISTAKES = {("Measurements", 4, "Value"): "lots",
            ("Mechanisms", 4, "Type"): "Compact chamion",
            ("Sources", 4, "Published"): "the spring"}


def _upload(browser, url: str, workbook: Path) -> None:
    browser.get(url + "submit")
    browser.find_element(By.ID, "file").send_keys(str(workbook))
    browser.find_element(By.XPATH, "//button[text()='Check my file']").click()
    WebDriverWait(browser, 60).until(expected.presence_of_element_located((By.ID, "verdict")))


def test_a_case_study_from_a_spreadsheet_to_the_dataset(chromium, tmp_path: Path):
    browser = chromium
    paths = make_checkout(tmp_path / "home")
    queue = tmp_path / "queue"
    blank = tmp_path / "blank.xlsx"
    assert CliRunner().invoke(cli, ["new", "workbook", str(blank)]).exit_code == 0
    wrong = filled_from_forms(blank, VALID_FORM, tmp_path / "thurrock-draft.xlsx", MISTAKES)
    fixed = filled_from_forms(blank, VALID_FORM, tmp_path / "thurrock.xlsx")

    running = start_server(port=0, timeout=5.0, paths=paths, submissions=queue)
    try:
        _upload(browser, running.url, wrong)
        verdict = browser.find_element(By.ID, "verdict").text
        assert "needs changes" in verdict
        page = browser.find_element(By.TAG_NAME, "main").text
        assert "3 problems must be fixed" in page
        for cell in ("Measurements!C4", "Mechanisms!C4", "Sources!E4"):
            assert cell in page, page
        assert "did you mean 'Compact champions'" in page
        assert not browser.find_elements(By.ID, "name")  # nothing to send yet

        _upload(browser, running.url, fixed)
        assert "is ready to send" in browser.find_element(By.ID, "verdict").text
        browser.find_element(By.ID, "name").send_keys("Ann Officer")
        browser.find_element(By.ID, "email").send_keys("ann@council.gov.uk")
        browser.find_element(By.XPATH, "//button[text()='Send for review']").click()
        WebDriverWait(browser, 30).until(expected.title_contains("Submission"))
        assert "Waiting for review" in browser.find_element(By.TAG_NAME, "main").text
        entry_id = browser.current_url.rstrip("/").rsplit("/", 1)[1]
    finally:
        running.close()

    env = {"COMPACT_KG_HOME": str(paths.root)}
    approved = CliRunner().invoke(cli, ["review", "approve", entry_id, "--queue", str(queue)],
                                  env=env)
    assert approved.exit_code == 0, approved.output
    (stored,) = (paths.data_dir / "submissions").glob("*.ttl")
    (case_study,) = rdfio.read_rdf(stored).subjects(RDF.type, CKG.CaseStudy)

    running = start_server(port=0, timeout=5.0, paths=paths, submissions=queue)
    try:
        browser.get(running.url + f"submit/{entry_id}")
        assert "Approved" in browser.find_element(By.TAG_NAME, "main").text
        slug = str(case_study).rsplit("/", 1)[1]
        browser.get(running.url + f"id/case-study/{slug}.html")
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Thurrock")
        browser.get(running.url + "query.html")
        text = browser.find_element(By.ID, "text")
        text.clear()
        text.send_keys("SELECT ?case WHERE { ?case a <https://w3id.org/compact-kg/def/CaseStudy> }")
        browser.find_element(By.ID, "run").click()
        table = WebDriverWait(browser, 30).until(
            expected.presence_of_element_located((By.ID, "results-table")))
        assert f"id/case-study/{slug}" in table.text
    finally:
        running.close()
    listed = CliRunner().invoke(cli, ["query", "labels", "-p",
                                      "type=https://w3id.org/compact-kg/def/CaseStudy"], env=env)
    assert listed.exit_code == 0 and f"cs:{slug} " in listed.output, listed.output
