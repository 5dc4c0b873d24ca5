"""The board's lineage in a real headless browser (Chromium through selenium), on 127.0.0.1
only: the graph of a run is drawn and its boxes lead to the jobs, "used by" links lead to
the users, and a running job's page follows the job without a reload. Skips with the
reason where no browser is installed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_board_browser
from boards import serving
from conftest import Project, ax
from test_board import BUILD_SLOW
from test_board_lineage import MAKE, USE, start_held

browser = test_board_browser.browser  # the fixture: a headless Chromium for the module

SLOW = '''
import time
from pathlib import Path

options = dict(hold=str)


def prepare(options):
    hold = Path(options.hold)
    print("holding", flush=True)
    said = False
    for _ in range(3000):  # while `hold` is there, a minute at most; once it says "say", say more
        text = hold.read_text() if hold.exists() else None
        if text is None:
            return
        if text == "say" and not said:
            print("asked to say more", flush=True)
            said = True
        time.sleep(0.02)
'''

BUILD = '''
def main(urd):
    a = urd.build("make", n=1)
    b = urd.build("make", n=2)
    c = urd.build("use", src=a, n=3)
    urd.build("use", src=c, n=4)
    urd.build("use", src=b, n=5)
'''

@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lineage-browser") / "proj"
    proj = Project(root, slices=2)
    for name, src in (("make", MAKE), ("use", USE), ("slow", SLOW)):
        proj.method(name, src)
    proj.build(BUILD)
    proj.build(BUILD_SLOW, "slow")
    ax(root, "run")
    return root


@pytest.fixture(scope="module")
def board(project: Path):
    yield from serving(project)


def test_the_graph_of_a_run_is_drawn_and_its_boxes_lead_to_the_jobs(board, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(board.url + "/runs")
    browser.find_element(By.LINK_TEXT, "graph").click()
    run = board.json("/runs")["runs"][0]
    assert browser.current_url == board.url + f"/run/{run['run']}"
    nodes = browser.find_elements(By.CSS_SELECTOR, "svg.graph a.node")
    assert sorted(n.get_attribute("data-job") for n in nodes) == \
        ["dev-1", "dev-2", "dev-3", "dev-4", "dev-5"]
    for n in nodes:
        assert set(n.get_attribute("class").split()) == {"node", "st-finished", "new"}
        box = n.find_element(By.TAG_NAME, "rect").rect
        assert box["width"] > 50 and box["height"] > 20  # drawn, not just there
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg.graph path.edge")) == 3
    # finished and new: the colour the stylesheet gives st-finished
    fill = browser.execute_script(
        "return getComputedStyle(document.querySelector('a.node rect')).fill")
    assert fill == "rgb(228, 244, 234)"
    browser.find_element(By.CSS_SELECTOR, 'svg.graph a.node[data-job="dev-3"]').click()
    assert browser.current_url == board.url + "/job/dev-3"
    assert "job dev-3" in browser.find_element(By.TAG_NAME, "h1").text


def test_used_by_links_lead_to_the_jobs_that_use_it(board, browser) -> None:
    from selenium.webdriver.common.by import By

    browser.get(board.url + "/job/dev-1")
    users = browser.find_elements(By.CSS_SELECTOR, "h2#used-by + table a")
    assert [u.text for u in users] == ["dev-3"]
    users[0].click()
    assert browser.current_url == board.url + "/job/dev-3"
    # dev-3 is drawn between its input and its user; the input's box leads back
    drawn = browser.find_elements(By.CSS_SELECTOR, "svg.graph a.node")
    assert [d.get_attribute("data-job") for d in drawn] == ["dev-1", "dev-3", "dev-4"]
    browser.find_element(By.CSS_SELECTOR, 'svg.graph a.node[data-job="dev-1"]').click()
    assert browser.current_url == board.url + "/job/dev-1"


def test_a_running_jobs_page_follows_the_job_without_a_reload(board, browser,
                                                              project: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    hold = project / "hold"
    build, jobid = start_held(project, board)
    try:
        browser.get(board.url + f"/job/{jobid}")
        browser.execute_script("window.accelMarker = 'the same page'")
        wait = WebDriverWait(browser, 60)

        def text(css: str) -> str:
            found = browser.find_elements(By.CSS_SELECTOR, css)
            return found[0].text if found else ""

        wait.until(lambda _: "now: prepare" in text("#live-text"))
        wait.until(lambda _: "holding" in text("#output"))
        assert text("#job-status") == "running" and "asked to say more" not in text("#output")
        hold.write_text("say")  # the job prints again: its output on the page grows
        wait.until(lambda _: "asked to say more" in text('#output pre[data-part="prepare"]'))
        assert text("#job-status") == "running"
        hold.unlink()  # the job ends
        wait.until(lambda _: text("#job-status") == "finished")
        wait.until(lambda _: "timings" in text("main"))  # the final page, put in place
        assert browser.find_elements(By.ID, "live") == []
        assert browser.execute_script("return window.accelMarker") == "the same page"
        assert browser.current_url == board.url + f"/job/{jobid}"
    finally:
        hold.unlink(missing_ok=True)
        build.wait(timeout=120)
    assert build.returncode == 0
