"""The board in a real headless browser (Chromium through selenium), on 127.0.0.1 only:
what a user clicks and sees, where fetching the HTML would not show it (links followed,
pages that change by themselves). Skips with the reason where no browser is installed.
"""

from __future__ import annotations

import pytest
from boards import BoardProcess, chrome, serving
from conftest import Project, ax

METHOD = '''
description = "Counts to n."
options = dict(n=3)


def synthesis(options):
    print("counted to", options.n)
    return options.n
'''

BUILD = '''
def main(urd):
    urd.build("count", n=3)
'''


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("browser") / "proj"
    proj = Project(root, slices=2)
    proj.method("count", METHOD)
    proj.build(BUILD)
    ax(root, "run")
    yield from serving(root)


@pytest.fixture(scope="module")
def browser(board: BoardProcess):
    driver = chrome()
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def test_a_user_follows_links_from_the_front_page_to_a_job_and_its_method(
        board: BoardProcess, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(board.url + "/")
    assert "nothing runs now" in browser.find_element(By.TAG_NAME, "body").text
    browser.find_element(By.CSS_SELECTOR, 'a[href="/job/dev-1"]').click()
    body = browser.find_element(By.TAG_NAME, "body").text
    assert browser.current_url == board.url + "/job/dev-1"
    assert "job dev-1" in body and "counted to 3" in body and "finished" in body
    browser.find_element(By.CSS_SELECTOR, 'a[href="/method/count"]').click()
    assert browser.current_url == board.url + "/method/count"
    assert "Counts to n." in browser.find_element(By.TAG_NAME, "body").text
