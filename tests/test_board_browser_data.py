"""The board's data pages in a real headless browser (Chromium through selenium), on
127.0.0.1 only: a user pages through a dataset by clicking, downloads its rows by clicking
the links (the files land in the browser's download folder and read back exactly), reads
a method's source, and asks for option columns with the form (a method's jobs, an urd
list, a run's jobs). Skips with the reason where no browser is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from boards import BoardProcess, chrome, serving
from conftest import wait_for
from test_board_data import MANY_ROWS, check_csv, check_parquet, make_project


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory):
    root = make_project(tmp_path_factory.mktemp("browserdata") / "proj")
    yield from serving(root)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads: Path):
    driver = chrome(downloads)
    driver.set_page_load_timeout(60)
    # headless Chromium saves downloads only when told where, through DevTools
    driver.execute_cdp_cmd("Page.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver
    driver.quit()


def _first_column(browser) -> list[str]:
    """The row numbers (the '#' column) of the rows table on the page."""
    from selenium.webdriver.common.by import By

    table = browser.find_elements(By.TAG_NAME, "table")[-1]
    return [td.text for td in table.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child")]


def _submit(browser, field, url_has: str) -> None:
    """Send the form of `field` and wait until its page is the one shown: `submit()`
    returns before the browser has gone to the new page."""
    field.submit()
    wait_for(lambda: url_has in browser.current_url
             and browser.execute_script("return document.readyState") == "complete",
             what=f"the page of {url_has!r} to load")


def test_a_user_pages_through_a_dataset_by_clicking(board: BoardProcess, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(board.url + "/ds/dev-2")
    assert _first_column(browser) == [str(i) for i in range(20)]
    browser.find_element(By.LINK_TEXT, "next").click()
    assert browser.current_url == board.url + "/job/dev-2/ds/default?start=20&rows=20"
    assert _first_column(browser) == [str(i) for i in range(20, 40)]
    assert "row 39" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.LINK_TEXT, "previous").click()
    assert _first_column(browser) == [str(i) for i in range(20)]
    browser.find_element(By.LINK_TEXT, "last").click()
    assert _first_column(browser) == [f"{i:,}" for i in range(MANY_ROWS - 20, MANY_ROWS)]
    assert not browser.find_elements(By.LINK_TEXT, "next")  # nothing after the last row
    browser.find_element(By.LINK_TEXT, "first").click()
    assert _first_column(browser)[0] == "0"
    # the form goes to any row, with any number of rows
    start = browser.find_element(By.NAME, "start")
    start.clear()
    start.send_keys("1234")
    rows = browser.find_element(By.NAME, "rows")
    rows.clear()
    rows.send_keys("5")
    _submit(browser, rows, "start=1234")
    assert _first_column(browser) == ["1,234", "1,235", "1,236", "1,237", "1,238"]
    assert "rows 1,234–1,238 of 2,500 rows" in browser.find_element(By.TAG_NAME, "body").text


def _downloaded(folder: Path, name: str) -> bytes:
    """The file once Chromium has finished it (it writes NAME.crdownload, then renames it
    to NAME: the name appears only when the file is whole)."""
    path = folder / name
    wait_for(path.exists, what=f"the download {name}")
    return path.read_bytes()


@pytest.mark.parametrize("kind, check", [("CSV", check_csv), ("Parquet", check_parquet)])
def test_a_user_downloads_the_rows_by_clicking(board: BoardProcess, browser, downloads: Path,
                                               kind: str, check) -> None:
    from selenium.webdriver.common.by import By

    browser.get(board.url + "/ds/alltypes")
    browser.find_element(By.LINK_TEXT, kind).click()
    check(_downloaded(downloads, f"dev-1_default.{kind.lower()}"))
    assert browser.current_url == board.url + "/ds/alltypes"  # the page stays


def test_a_user_reads_a_methods_source_and_a_jobs(board: BoardProcess, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(board.url + "/method/fit")
    source = browser.find_element(By.ID, "source").text
    assert "def synthesis(options):" in source and "return options.alpha * options.depth" in source
    browser.find_element(By.CSS_SELECTOR, 'a[href="/job/dev-6"]').click()
    browser.find_element(By.PARTIAL_LINK_TEXT, "the method's source").click()
    assert browser.current_url == board.url + "/job/dev-6/source"
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "dev-6 was built from this source" in body
    assert "options = dict(alpha=0.0, depth=1)" in browser.find_element(By.ID, "source").text


def test_a_user_asks_for_option_columns_with_the_form(board: BoardProcess, browser) -> None:
    from selenium.webdriver.common.by import By

    run = board.json("/runs")["runs"][0]["run"]
    for path, kept in (("/method/fit", ""), ("/urd/sweep", ""),
                       (f"/run/{run}", "method=fit&")):
        browser.get(board.url + path + "?" + kept)
        field = browser.find_element(By.NAME, "columns")
        field.send_keys("alpha,depth")
        _submit(browser, field, "columns=alpha%2Cdepth")
        assert browser.current_url == board.url + path + "?" + kept + "columns=alpha%2Cdepth"
        heads = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "thead th")]
        assert heads[heads.index("alpha") + 1] == "depth", heads
        cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "tbody td")]
        assert "0.5" in cells and "0.1" in cells
