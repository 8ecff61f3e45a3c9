"""What no list names literally, through the whole pipeline: fuzzy near-misses and the language model's 疑似错字,
with exact positions, their severities, the settings that turn them off, and the gates that keep them quiet."""

from __future__ import annotations

from pathlib import Path

import pytest

from errscan.config import Config
from errscan.model import Document, Severity
from errscan.pipeline import Scanner
from errscan.run import Runner


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner(privacy=False)


def found(scanner: Scanner, text: str) -> list[tuple[str, int, int, str, str]]:
    return [(f.rule, f.offset, f.length, f.severity.label, f.suggestions[0] if f.suggestions else "")
            for f in scanner.scan_text(text)]


# (sentence, the slip as written, its correction, severity): every slip a normal sentence around it
SLIPS = [
    ("我们要坚持中国共产常的领导。", "中国共产常", "中国共产党", "error"),
    ("我们要坚持中国共蝉党的领导。", "中国共蝉党", "中国共产党", "error"),
    ("庆祝中华人民大和国成立七十周年。", "中华人民大和国", "中华人民共和国", "warning"),
    ("市政府攻府工作报告指出，要抓好落实。", "攻府", "政府", "error"),
    ("黑龙江省齐齐哈市人民政府发布通知。", "齐齐哈市", "齐齐哈尔市", "error"),
    ("新家坡总理访华。", "新家坡", "新加坡", "error"),
    ("伊拉客局势引起关注。", "伊拉客", "伊拉克", "error"),
    ("共建“一路一带”倡议取得新进展。", "一路一带", "一带一路", "error"),  # quoted, as it must be
    ("深入贯彻科学发展现。", "科学发展现", "科学发展观", "error"),
    ("坚持杜会主义道路。", "杜会主义", "社会主义", "info"),
    ("坚决反对官僚主意和形式主义。", "官僚主意", "官僚主义", "info"),
    ("要贯切落实会议精神。", "贯切落实", "贯彻落实", "info"),
    ("大厅装修得美轮美换。", "美轮美换", "美轮美奂", "warning"),
    ("群众对此义愤填鹰。", "义愤填鹰", "义愤填膺", "warning"),
    ("他做事忧柔寡断。", "忧柔寡断", "优柔寡断", "warning"),
    ("基层党组织是中流抵柱。", "中流抵柱", "中流砥柱", "warning"),
    ("要有破斧沉舟的决心。", "破斧沉舟", "破釜沉舟", "warning"),
    ("这样做事半工倍。", "事半工倍", "事半功倍", "warning"),
    ("对困难群众虚寒问暖。", "虚寒问暖", "嘘寒问暖", "warning"),
    ("县防汛抗早指挥部发布预警。", "防汛抗早", "防汛抗旱", "info"),
]


@pytest.mark.parametrize(("text", "slip", "right", "severity"), SLIPS, ids=[s[1] for s in SLIPS])
def test_a_near_miss_is_found_where_it_is(scanner: Scanner, text: str, slip: str, right: str, severity: str) -> None:
    at = text.index(slip)
    assert found(scanner, text) == [(f"fuzzy/{right}", at, len(slip), severity, right)]
    (f,) = scanner.scan_text(text)
    assert f.list_id == "fuzzy" and f.text == slip and f.fix is None  # a person decides, fix never applies it
    assert (f.severity == Severity.INFO) == ("疑似" in f.message)


@pytest.mark.parametrize(("text", "slip", "right", "severity"), SLIPS, ids=[s[1] for s in SLIPS])
def test_the_correct_form_is_not_flagged(scanner: Scanner, text: str, slip: str, right: str, severity: str) -> None:
    assert found(scanner, text.replace(slip, right)) == []


@pytest.mark.parametrize("text", [
    "向全体中华人民和国际友人致以问候。",  # 人民 和 国际: no 中华人民共和国 missing its 共
    "要把办法轮流公示。",  # 办法 轮流: no 法轮
    "既使用了新技术，又节约了成本。",
    "海南和河南的代表团参加了会议。",  # one character from another real name: each is itself
    "山西、陕西两省联合开展执法检查。",
    "各方面无法可依的局面已经有了很大的改变。",  # a phrase the model of official text knows as written
    "中央党史和文献研究院副院长。",  # a real organ one character from another (中央党校)
    "反对任何形式的“两个中国”、“一中一台”或“一国两府”。",  # a term cited on purpose
    "要以更大的决心和魄力推进改革。",  # a word in common use (魄力) is no slip of 暴力
    "支付社会保险补贴或岗位补贴。",  # 或/和: the writer's choice between function words
    "加快培育新质生产力，推动提质增效，建设沙戈荒大型风电光伏基地。",  # modern vocabulary
    "发展数字经济，推动高质量发展。",
])
def test_tricky_negatives(scanner: Scanner, text: str) -> None:
    assert found(scanner, text) == []


def test_the_language_model_suggests_a_character(scanner: Scanner) -> None:
    text = "发展大数局产业。"
    assert found(scanner, text) == [("lm/局→据", 4, 1, "info", "据")]
    (f,) = scanner.scan_text(text)
    assert f.list_id == "lm" and f.category == "typo" and f.message.startswith("疑似错字")


def test_an_exact_entry_wins_over_a_near_miss(scanner: Scanner) -> None:
    """中华人民共合国 is in the lists: reported once, by the list, not again by fuzzy matching."""
    assert [r for r, *_ in found(scanner, "中华人民共合国成立。")] == ["serious/中华人民共合国"]


def test_settings_turn_the_detectors_off(tmp_path: Path) -> None:
    text = "我们要坚持中国共产常的领导，发展大数局产业。"
    runner = Runner()
    on = [f.rule for f in runner.check(Document(text), "a.txt", config=Config()).findings]
    assert on == ["fuzzy/中国共产党", "lm/局→据"]
    assert runner.check(Document(text), "a.txt", config=Config(fuzzy=False, lm=False)).findings == ()
    assert [f.rule for f in runner.check(Document(text), "a.txt", config=Config(lm=False)).findings] == on[:1]
    silenced = Config(disable=("fuzzy",))
    assert [f.rule for f in runner.check(Document(text), "a.txt", config=silenced).findings] == on[1:]
    (tmp_path / ".errscan.yaml").write_text("fuzzy: false\nlm: false\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    assert Runner().check(Document(text), "a.txt", tmp_path / "a.txt").findings == ()


def test_windows_keep_what_starts_in_them() -> None:
    """A long text is scanned in windows: a near-miss near a window's edge is found once, at its place."""
    small = Scanner(privacy=False, window=1000)
    text = "各级政府要深化改革。" * 99 + "我们要坚持中国共产常的领导。" + "扩大开放，推动发展。" * 99
    at = text.index("中国共产常")
    assert found(small, text) == [("fuzzy/中国共产党", at, 5, "error", "中国共产党")]
    assert found(Scanner(privacy=False), text) == found(small, text)


def test_without_the_built_in_lists_there_is_no_fuzzy_matching() -> None:
    """fuzzy's canonical sets are the built-in lists: `builtin: false` (only an office's own lists) turns it off."""
    from helpers import CORE

    runner = Runner()
    config = Config(builtin=False, lists=(CORE,), lm=False)
    assert runner.check(Document("我们要坚持中国共产常的领导。"), "a.txt", config=config).findings == ()


def test_an_overwhelming_model_overrides_a_common_word(scanner: Scanner) -> None:
    """懂事 is a word in common use, but 懂事会 (a company's board) reads 10⁸ times worse than 董事会."""
    text = "再由懂事会或者经理层作出决定。"
    assert found(scanner, text) == [("lm/懂→董", 2, 1, "warning", "董")]
