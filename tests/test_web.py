"""The clerks' page at / in real headless Chromium (Debian's chromium + chromium-driver, driven by selenium)."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest

pytest.importorskip("fastapi", reason="errscan[server] is not installed")
pytest.importorskip("selenium", reason="selenium is not installed (pip install selenium)")

from helpers import CHROMIUM, chromium
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from test_server import PHONE, docx_bytes, running

from errscan.server import create_app

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is absent (apt-get install chromium chromium-driver)"
)
SCREENSHOT = Path("/tmp/errscan-web.png")
CHECKED_SHOT, ACCEPTED_SHOT = Path("/tmp/web_page_1.png"), Path("/tmp/web_page_2.png")
DRAFT = f"关于做好年度工作的通知\n我们要再接再励，联系电话{PHONE}。"


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with running(create_app()) as port:  # the built-in lists, as a clerk meets them
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    driver = chromium(tmp_path_factory.mktemp("chromium-profile"))
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
    assert "再接再励" in items[0].text and "采纳“再接再厉”" in items[0].text and "第 2 行第 4 列" in items[0].text
    assert items[1].find_elements(By.CSS_SELECTOR, "button.accept") == []  # personal data: no safe fix
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


def downloading(driver: WebDriver, folder: Path) -> Path:
    folder.mkdir()
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    return folder


def downloaded(driver: WebDriver, target: Path) -> bytes:
    """The file once Chromium has finished writing it (no .crdownload left beside it)."""
    wait(driver, lambda d: target.exists() and not list(target.parent.glob("*.crdownload")))
    return target.read_bytes()


IN_SIGHT = """
const m = arguments[0].getBoundingClientRect(), v = document.getElementById("view").getBoundingClientRect();
return m.height > 0 && m.top >= v.top && m.bottom <= v.bottom && v.top >= 0 && v.bottom <= window.innerHeight;
"""


def test_a_finding_chosen_in_the_list_is_shown_in_the_text(base: str, browser: WebDriver) -> None:
    filler = "".join(f"这是第{i}行正文，记录本周的例行安排。\n" for i in range(1, 61))
    browser.get(base)
    paste(browser, "我们要再接再励。\n" + filler + "请登录帐号。")
    assert checked(browser).startswith("发现 2 处问题")
    view = browser.find_element(By.ID, "view")
    first, last = view.find_elements(By.CSS_SELECTOR, "mark")
    assert (first.text, last.text) == ("再接再励", "帐号")
    assert browser.execute_script("return arguments[0].scrollHeight > arguments[0].clientHeight + 200", view)
    assert not browser.execute_script(IN_SIGHT, last)  # the text pane must scroll to show it
    items = browser.find_elements(By.CSS_SELECTOR, "#findings li.finding")

    items[1].find_element(By.CSS_SELECTOR, ".msg").click()
    wait(browser, lambda d: d.execute_script(IN_SIGHT, last))
    assert "current" in last.get_attribute("class").split() and "flash" in last.get_attribute("class").split()
    assert browser.execute_script("return getComputedStyle(arguments[0]).outlineStyle", last) == "solid"
    assert "current" in items[1].get_attribute("class").split() and items[1].get_attribute("aria-current") == "true"
    assert not browser.execute_script(IN_SIGHT, first)

    # the keyboard: the entries are focusable, Enter does what a click does
    assert items[0].get_attribute("tabindex") == "0"
    items[0].send_keys(Keys.ENTER)
    wait(browser, lambda d: d.execute_script(IN_SIGHT, first))
    assert browser.execute_script("return document.activeElement === arguments[0]", items[0])
    assert "current" in first.get_attribute("class").split() and "current" not in last.get_attribute("class").split()
    assert "current" not in items[1].get_attribute("class").split()
    assert browser.find_element(By.ID, "text").get_attribute("value").endswith("请登录帐号。")  # nothing changed

    # and back: a mark clicked in the text marks its entry in the list
    first.click()
    assert "current" in items[0].get_attribute("class").split()


def test_accept_all_safe_fixes(base: str, browser: WebDriver, tmp_path: Path) -> None:
    draft = f"𠮷祥如意，我们要再接再励，联系电话{PHONE}。\n不能再磨擦了，请登录帐号。台湾总统出席。"
    browser.get(base)
    paste(browser, draft)
    assert checked(browser).startswith("发现 5 处问题")
    assert marks(browser) == [("再接再励", "sev-warning"), ("139****5678", "sev-error"), ("磨擦", "sev-info"),
                              ("帐号", "sev-info"), ("台湾总统", "sev-error")]
    every = browser.find_element(By.ID, "accept-all")
    assert every.is_enabled() and every.text == "全部采纳（3 处）"
    items = browser.find_elements(By.CSS_SELECTOR, "#findings li.finding")
    # 台湾总统 has a suggestion but no safe fix: shown for a person to weigh, no button applies it
    assert items[4].find_elements(By.CSS_SELECTOR, "button.accept") == []
    assert "建议：“台湾地区领导人”（需人工判断" in items[4].text
    browser.save_screenshot(str(CHECKED_SHOT))

    every.click()
    wait(browser, lambda d: d.find_element(By.ID, "status").text.startswith("已采纳"))
    area = browser.find_element(By.ID, "text")
    fixed = f"𠮷祥如意，我们要再接再厉，联系电话{PHONE}。\n不能再摩擦了，请登录账号。台湾总统出席。"
    assert area.get_attribute("value") == fixed  # offsets in code points: 𠮷 is one, not two
    said = browser.find_element(By.ID, "status").text
    assert said == "已采纳 3 处，另有 2 处需人工判断（错误 2 处）。请修改后再发布。"
    assert marks(browser) == [("139****5678", "sev-error"), ("台湾总统", "sev-error")]  # re-checked; still listed
    assert len(browser.find_elements(By.CSS_SELECTOR, "#findings li.finding")) == 2
    assert not every.is_enabled() and every.text == "全部采纳"
    browser.save_screenshot(str(ACCEPTED_SHOT))

    # 下载修改后的文本: exactly the text as it now stands, in UTF-8
    folder = downloading(browser, tmp_path / "downloads")
    button = browser.find_element(By.ID, "download")
    assert button.text == "下载修改后的文本"
    button.click()
    assert downloaded(browser, folder / "校对结果.txt") == fixed.encode("utf-8")
    assert browser.find_element(By.ID, "status").text == "已下载“校对结果.txt”（UTF-8 纯文本）。"
    # a hand edit after the check is in it too: what is downloaded is the text area, not the last check
    paste(browser, fixed.replace("台湾总统", "台湾地区领导人"))
    (folder / "校对结果.txt").unlink()
    button.click()
    assert downloaded(browser, folder / "校对结果.txt").decode("utf-8") == fixed.replace("台湾总统", "台湾地区领导人")
    assert "尚未重新检查" in browser.find_element(By.ID, "status").text


STUB = """
// /v1/check answered by the page itself: findings the built-in lists cannot produce (overlapping fixes)
const [first, again] = arguments;
window.posted = [];
window.fetch = async (url, init) => {
  const text = JSON.parse(init.body).text;
  window.posted.push(text);
  return new Response(JSON.stringify(window.posted.length === 1 ? first : again),
                      { status: 200, headers: { "Content-Type": "application/json" } });
};
"""


def stub_answer(*findings: tuple[int, str, str | None]) -> dict[str, object]:
    made = []
    for offset, text, fix in findings:
        made.append({"path": "-", "line": 1, "column": offset + 1, "offset": offset, "length": len(text),
                     "text": text, "suggestions": [fix] if fix else [], "rule": f"test/{text}", "list": "test",
                     "category": "typo", "severity": "warning", "message": f"“{text}”", "context": "",
                     "location": {}, "fix": fix})
    return {"findings": made, "summary": {"by_severity": {"error": 0, "warning": len(made), "info": 0}},
            "verdict": "fail" if made else "pass"}


def test_accept_all_skips_overlapping_fixes(base: str, browser: WebDriver) -> None:
    source = "𠮷𠮷甲乙丙丁戊己"
    first = stub_answer((1, "𠮷", "吉"), (2, "甲乙", "AB"), (3, "乙丙", "XY"), (6, "戊", "5"), (7, "己", None))
    again = stub_answer((7, "己", None))
    browser.get(base)
    browser.execute_script(STUB, first, again)
    paste(browser, source)
    checked(browser)
    assert [m for m, _ in marks(browser)] == ["𠮷", "甲乙", "戊", "己"]  # 乙丙 overlaps 甲乙: listed, not marked
    assert browser.find_element(By.ID, "accept-all").text == "全部采纳（4 处）"
    browser.find_element(By.ID, "accept-all").click()
    wait(browser, lambda d: d.find_element(By.ID, "status").text.startswith("已采纳"))
    assert browser.execute_script("return window.posted") == [source, "𠮷吉AB丙丁5己"]  # 乙丙 skipped
    assert browser.find_element(By.ID, "text").get_attribute("value") == "𠮷吉AB丙丁5己"
    said = browser.find_element(By.ID, "status").text
    assert said == "已采纳 3 处，另有 1 处需人工判断（警告 1 处）。请修改后再发布。"


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

    # the corrected copy: the safe fix made in the Word file itself
    button = browser.find_element(By.ID, "corrected")
    assert button.is_displayed() and button.text == "下载改正稿"
    button.click()
    wait(browser, lambda d: d.find_element(By.ID, "status").text.startswith("已下载“通知.改.docx”"))
    assert browser.find_element(By.ID, "status").text == "已下载“通知.改.docx”：改正 1 处（格式不变）。"
    fixed = downloads / "通知.改.docx"
    wait(browser, lambda d: fixed.exists() and zipfile.is_zipfile(fixed))
    assert [p.text for p in docx.Document(str(fixed)).paragraphs] == ["关于做好年度工作的通知", "我们要再接再厉。"]

    # the text as it stands, named after the file uploaded
    browser.find_element(By.ID, "download").click()
    text = browser.find_element(By.ID, "text").get_attribute("value")
    assert downloaded(browser, downloads / "通知.改.txt") == text.encode("utf-8")
    assert browser.find_element(By.ID, "status").text == "已下载“通知.改.txt”（UTF-8 纯文本）。"
    browser.find_element(By.ID, "clear").click()
    assert not browser.find_element(By.ID, "annotated").is_displayed()
    assert not browser.find_element(By.ID, "corrected").is_displayed()
