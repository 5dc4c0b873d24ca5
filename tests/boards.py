"""`ax board` as a test drives it: a real board process, and a headless browser for it.

`BoardProcess` starts `ax board` in a project and reads the URL it prints; `get` and `json`
fetch its pages over HTTP. `chrome()` is a headless Chromium through selenium, used by the
tests that check what a user sees (links, scripts that refresh a page); it skips the test,
saying why, where no browser or driver is installed (.ci/run installs Debian's chromium and
chromium-driver).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import AX, cli_env, wait_for


class BoardProcess:
    """`ax board` running in `root`; `url` is what it printed."""

    def __init__(self, root: Path, *args: str):
        self.out = root.parent / f"board-{id(self)}.out"  # beside the project, not in it
        self.err = self.out.with_suffix(".err")
        with open(self.out, "w") as out, open(self.err, "w") as err:
            # SIGINT at its default, whatever the test runner's parent left it at: Python
            # makes it KeyboardInterrupt only then, as in a terminal
            self.proc = subprocess.Popen(
                [*AX, "board", *args], cwd=root, stdout=out, stderr=err, env=cli_env(),
                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        line = wait_for(self._url_line, what="the board's URL line", proc=self.proc)
        self.url = line.split("http://", 1)[1].split()[0]
        self.url = "http://" + self.url.rstrip("/")

    def _url_line(self) -> str | None:
        for line in self.out.read_text().splitlines():
            if "http://" in line:
                return line
        return None

    def get(self, path: str, accept: str | None = None) -> tuple[int, str, str]:
        """(status, content type, body) of GET path (sent exactly as given)."""
        status, ctype, body = self.get_bytes(path, accept)
        return status, ctype, body.decode(errors="replace")

    def get_bytes(self, path: str, accept: str | None = None) -> tuple[int, str, bytes]:
        req = urllib.request.Request(self.url + path)
        if accept:
            req.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers["Content-Type"], r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers["Content-Type"], e.read()

    def json(self, path: str) -> object:
        status, ctype, body = self.get(path + ("&" if "?" in path else "?") + "json=1")
        assert ctype.startswith("application/json"), (path, ctype)
        return json.loads(body)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=60)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def serving(root: Path):
    """A board on a free port of 127.0.0.1, killed when done: what a test module's `board`
    fixture yields (`yield from serving(root)`)."""
    b = BoardProcess(root, "--listen", "127.0.0.1:0")
    try:
        yield b
    finally:
        b.kill()


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


def chrome(download_dir: Path | None = None):
    """A headless Chromium (selenium webdriver), or the test skips with the reason."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("no browser tests: selenium is not installed (pip install -e '.[test]')")
    binary = _find("chromium", "chromium-browser", "google-chrome", "/usr/lib/chromium/chromium")
    driver = _find("chromedriver", "/usr/lib/chromium/chromedriver")
    if not (binary and driver):
        pytest.skip("no browser tests: no chromium and chromedriver here "
                    "(Debian: apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--window-size=1280,900"):
        opts.add_argument(arg)
    if download_dir is not None:
        opts.add_experimental_option("prefs", {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False})
    return webdriver.Chrome(options=opts, service=Service(executable_path=driver))
