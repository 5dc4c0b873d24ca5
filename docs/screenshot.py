"""Make docs/board-graph.png, the README's picture of a run's graph on `ax board`.

    python docs/screenshot.py

Copies the example pipeline (build.py, methods/, accelerator.conf) into a temporary
folder, runs it, changes the report's title and runs it again (so the second run reuses
four jobs and builds one), starts `ax board` on 127.0.0.1, opens that run's page in
headless Chromium (as the browser tests do: tests/boards.py) and saves the top of it
(some 35 KB). Needs chromium, chromium-driver and selenium.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from boards import BoardProcess, chrome  # noqa: E402
from conftest import ax  # noqa: E402

OUT = ROOT / "docs" / "board-graph.png"
SIZE = (1180, 560)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proj = Path(tmp) / "weather"
        proj.mkdir()
        shutil.copy(ROOT / "build.py", proj)
        shutil.copy(ROOT / "accelerator.conf", proj)
        shutil.copytree(ROOT / "methods", proj / "methods",
                        ignore=shutil.ignore_patterns("__pycache__"))
        (proj / "workdirs" / "dev").mkdir(parents=True)
        ax(proj, "run")
        build = proj / "build.py"
        build.write_text(build.read_text().replace("Temperature report, seed 1",
                                                   "Temperatures, seed 1"))
        ax(proj, "run")
        board = BoardProcess(proj, "--listen", "127.0.0.1:0")
        try:
            run = board.json("/runs")["runs"][0]["run"]
            driver = chrome()
            try:
                driver.set_window_size(*SIZE)
                driver.get(board.url + f"/run/{run}")
                driver.save_screenshot(str(OUT))
            finally:
                driver.quit()
        finally:
            board.stop()
    print(f"{OUT}: {OUT.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
