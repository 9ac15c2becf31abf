"""End to end: the app started for real, driven in Debian's headless Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(built):
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: apt-get install chromium (scripts/setup.sh does it)")
    port = _free_port()
    env = {**os.environ, "CONTRATS_DATA": str(built.data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "search_app.py"), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(90_000)
        yield page
        browser.close()


def test_search_then_compare_in_a_real_browser(app_url: str, page, tmp_path: Path) -> None:
    page.goto(app_url + "/recherche")
    box = page.get_by_label("Question ou mots-clés (français ou anglais)")
    box.fill("accès aux soins et médecins")
    box.press("Enter")
    page.get_by_text("résultat(s)").first.wait_for()
    assert page.get_by_text("Ouvrir le document à cet endroit").count() > 0
    page.screenshot(path=str(tmp_path / "recherche.png"), full_page=True)

    page.goto(app_url + "/comparer")
    question = page.get_by_label("Question")
    question.fill("soutien à la parentalité")
    question.press("Enter")
    page.get_by_text("Engagements par territoire et par thème").wait_for()
    page.wait_for_timeout(1500)
    for territory in ("CAMVS", "CUA", "CAVM"):
        assert page.get_by_role("heading", name=territory).count() >= 1
    page.screenshot(path=str(tmp_path / "comparer.png"), full_page=True)
    assert (tmp_path / "comparer.png").stat().st_size > 10_000
