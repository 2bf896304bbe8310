"""The published site in a real headless Chromium: follow links, run a saved query."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from compact_kg.serve import RunningServer, start_server
from tests._publish_support import EXTRA_QUERY, make_checkout

pytestmark = [pytest.mark.browser, pytest.mark.server]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install chromium "
                "chromium-driver); CI installs it", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(port=0, timeout=5.0,
                           paths=make_checkout(tmp_path_factory.mktemp("browser")))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a driver
    profile = tempfile.mkdtemp(prefix="compact-kg-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     f"--user-data-dir={profile}"):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_follow_links_from_landing_page_to_case_study_to_area(server: RunningServer,
                                                              browser) -> None:
    browser.get(server.url)
    assert "compact-kg" in browser.title
    browser.find_element(By.LINK_TEXT, "Case studies").click()
    WebDriverWait(browser, 10).until(expected_conditions.title_contains("Case studies"))
    browser.find_element(By.LINK_TEXT, "Test case study in Surrey").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.title_contains("Test case study in Surrey"))
    assert browser.current_url.endswith("/id/case-study/test-surrey.html")
    assert "Local Compacts at Work" in browser.find_element(By.CLASS_NAME, "prov").text
    browser.find_element(By.CSS_SELECTOR, "a[href='../area/surrey.html']").click()
    WebDriverWait(browser, 10).until(expected_conditions.title_contains("Surrey"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Surrey"


def test_run_a_saved_query_from_the_query_page(server: RunningServer, browser) -> None:
    browser.get(server.url + "query.html")
    Select(browser.find_element(By.ID, "saved")).select_by_value(EXTRA_QUERY.stem)
    assert "CaseStudy" in browser.find_element(By.ID, "text").get_attribute("value")
    browser.find_element(By.ID, "run").click()
    table = WebDriverWait(browser, 20).until(
        expected_conditions.presence_of_element_located((By.ID, "results-table")))
    rows = table.find_elements(By.TAG_NAME, "tr")
    assert len(rows) >= 2  # header and at least the test case study's area
    assert "Surrey" in table.text
    assert "rows" in browser.find_element(By.ID, "status").text
    link = table.find_element(By.LINK_TEXT, "id/area/surrey")
    link.click()
    WebDriverWait(browser, 10).until(expected_conditions.title_contains("Surrey"))


def test_query_page_opened_with_a_name_shows_that_query(server: RunningServer,
                                                        browser) -> None:
    browser.get(server.url + "query.html?q=" + EXTRA_QUERY.stem)
    assert "CaseStudy" in browser.find_element(By.ID, "text").get_attribute("value")


def test_a_parameter_is_chosen_from_its_vocabulary_and_bound_by_the_server(
        server: RunningServer, browser) -> None:
    browser.get(server.url + "query.html?q=areas-using-mechanism")
    assert browser.find_element(By.ID, "params").is_displayed()
    choice = Select(browser.find_element(By.ID, "param-mechanism_type"))
    labels = [option.text for option in choice.options]
    assert "Compact champions" in labels and "Dedicated Compact officer" in labels
    assert choice.first_selected_option.text == "Compact champions"  # the default
    label = browser.find_element(By.CSS_SELECTOR, "label[for='param-mechanism_type']")
    assert "mechanism-type" in label.text
    choice.select_by_visible_text("Dedicated Compact officer")
    browser.find_element(By.ID, "run").click()
    table = WebDriverWait(browser, 20).until(
        expected_conditions.presence_of_element_located((By.ID, "results-table")))
    assert "wolverhampton" in table.text and "bristol" not in table.text
