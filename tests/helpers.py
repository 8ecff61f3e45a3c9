"""Shared paths and comparison helpers for the tests (tests/ is on sys.path under pytest)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
CORE = DATA / "lists" / "core.yaml"
REPO = TESTS.parent
SHARED = REPO.parent / "shared"


def spans(findings) -> list[tuple[str, int, int]]:
    """(rule, line, column) of each finding: what the tests compare."""
    return [(f.rule, f.line, f.column) for f in findings]


def _needs_shared():
    import pytest

    return pytest.mark.skipif(not SHARED.is_dir(), reason="../shared (corpus and data) is not beside this checkout")


needs_shared = _needs_shared()


CHROMIUM = "/usr/bin/chromium"


def chromium(profile: Path, window: str = "1360,900"):  # type: ignore[no-untyped-def]
    """A real headless Chromium driven by selenium (Debian's chromium and chromium-driver, which .ci/run
    installs), with its own profile folder; quit it when done."""
    import os
    import shutil

    import pytest
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not os.path.exists(driver_path):
        pytest.fail("chromium is installed but chromedriver is not (apt-get install chromium-driver)")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--window-size={window}", "--lang=zh-CN", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver
