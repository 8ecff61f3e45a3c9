"""The clerks' page at / in real headless Chromium (Debian's chromium + chromium-driver, driven by selenium)."""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="errscan[server] is not installed")
pytest.importorskip("selenium", reason="selenium is not installed (pip install selenium)")

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from test_server import PHONE, docx_bytes, running

from errscan.server import create_app

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium chromium-driver)"
)
SCREENSHOT = Path("/tmp/errscan-web.png")
DRAFT = f"关于做好年度工作的通知\n我们要再接再励，联系电话{PHONE}。"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with running(create_app()) as port:  # the built-in lists, as a clerk meets them
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    if not os.path.exists(CHROMEDRIVER) and not shutil.which("chromedriver"):
        pytest.fail("chromium is installed but chromedriver is not (apt-get install chromium-driver)")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1360,900", "--lang=zh-CN",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver: WebDriver, predicate, seconds: float = 15):  # type: ignore[no-untyped-def]
    return WebDriverWait(driver, seconds, poll_frequency=0.05).until(lambda d: predicate(d))


def paste(driver: WebDriver, text: str) -> None:
    """What a paste does: the text area's value changes and an input event fires."""
    area = driver.find_element(By.ID, "text")
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));", area, text
    )


def marks(driver: WebDriver) -> list[tuple[str, str]]:
    return [(m.text, m.get_attribute("class").split()[0]) for m in driver.find_elements(By.CSS_SELECTOR, "#view mark")]


def checked(driver: WebDriver) -> str:
    """Click 检查 and wait for the answer; the status line it leaves."""
    driver.execute_script("document.getElementById('status').textContent = ''")
    driver.find_element(By.ID, "check").click()
    wait(driver, lambda d: d.find_element(By.ID, "status").text not in ("", "正在检查……"))
    return driver.find_element(By.ID, "status").text  # type: ignore[no-any-return]


def test_check_highlight_accept_recheck_copy(base: str, browser: WebDriver) -> None:
    browser.get(base)
    assert browser.title == "文稿检查 · errscan"
    paste(browser, DRAFT)
    status = checked(browser)
    assert status.startswith("发现 2 处问题：错误 1 处，警告 1 处。"), status
    assert marks(browser) == [("再接再励", "sev-warning"), ("139****5678", "sev-error")]
    view = browser.find_element(By.ID, "view")
    assert PHONE not in view.text and "139****5678" in view.text  # the personal number is masked
    assert view.text == DRAFT.replace(PHONE, "139****5678")
    mark = view.find_element(By.CSS_SELECTOR, "mark.sev-warning")
    assert "建议改为“再接再厉”" in mark.get_attribute("title")
    items = browser.find_elements(By.CSS_SELECTOR, "#findings li.finding")
    assert len(items) == 2
    assert "再接再励" in items[0].text and "采用“再接再厉”" in items[0].text and "第 2 行第 4 列" in items[0].text
    assert "139****5678" in items[1].text and PHONE not in browser.find_element(By.ID, "findings").text
    legend = browser.find_element(By.ID, "legend").text
    assert "错误" in legend and "警告" in legend and "提示" in legend
    browser.save_screenshot(str(SCREENSHOT))

    items[0].find_element(By.CSS_SELECTOR, "button.accept").click()
    area = browser.find_element(By.ID, "text")
    wait(browser, lambda d: d.find_element(By.ID, "status").text.startswith("已将"))
    assert "再接再厉" in area.get_attribute("value")
    assert area.get_attribute("value") == DRAFT.replace("再接再励", "再接再厉")
    assert browser.find_element(By.ID, "status").text.startswith("已将“再接再励”改为“再接再厉”。发现 1 处问题")
    assert marks(browser) == [("139****5678", "sev-error")]  # the re-check: no finding for it any more

    copy = browser.find_element(By.ID, "copy")
    assert copy.text == "复制全文" and copy.is_enabled()
    copy.click()
    wait(browser, lambda d: d.find_element(By.ID, "status").text in ("已复制全文。", "无法复制，请按 Ctrl+C。"))


def test_hostile_text_is_shown_as_text(base: str, browser: WebDriver) -> None:
    browser.get(base)
    hostile = '<img src=x onerror="window.pwned=1">再接再励<script>window.pwned=2</script><b>粗</b>'
    paste(browser, hostile)
    checked(browser)
    view = browser.find_element(By.ID, "view")
    assert view.text == hostile
    assert view.find_elements(By.CSS_SELECTOR, "img, script, b") == []
    assert browser.find_elements(By.CSS_SELECTOR, "#findings img, #findings script") == []
    assert marks(browser) == [("再接再励", "sev-warning")]
    assert browser.execute_script("return window.pwned === undefined")


def test_upload_a_word_file(base: str, browser: WebDriver, tmp_path: Path) -> None:
    path = tmp_path / "通知.docx"
    path.write_bytes(docx_bytes("关于做好年度工作的通知", "我们要再接再励。"))
    browser.get(base)
    browser.find_element(By.ID, "file").send_keys(str(path))
    wait(browser, lambda d: d.find_element(By.ID, "status").text.startswith("“通知.docx”"))
    assert browser.find_element(By.ID, "text").get_attribute("value") == "关于做好年度工作的通知\n我们要再接再励。\n"
    assert marks(browser) == [("再接再励", "sev-warning")]
    assert "第 2 段" in browser.find_element(By.CSS_SELECTOR, "#findings li.finding").text

    # the annotated copy: the uploaded file with a comment and a tracked change, downloaded
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    button = browser.find_element(By.ID, "annotated")
    assert button.is_displayed() and button.text == "下载审校稿"
    button.click()
    wait(browser, lambda d: d.find_element(By.ID, "status").text.startswith("已下载"))
    assert browser.find_element(By.ID, "status").text == (
        "已下载“通知.审校.docx”：批注 1 条，修订 1 处（在 Word 或 WPS 中逐条接受或拒绝）。")
    target = downloads / "通知.审校.docx"
    wait(browser, lambda d: target.exists() and zipfile.is_zipfile(target))
    with zipfile.ZipFile(target) as z:
        body = z.read("word/document.xml").decode("utf-8")
        said = z.read("word/comments.xml").decode("utf-8")
    assert "<w:delText xml:space=\"preserve\">再接再励</w:delText>" in body and "再接再厉" in body
    assert "规则：typo/再接再励" in said
    browser.find_element(By.ID, "clear").click()
    assert not browser.find_element(By.ID, "annotated").is_displayed()
