"""errscan.lm: the statistical slip detector (疑似错字) and its shipped n-gram model."""

from __future__ import annotations

import subprocess
import sys

import pytest
from helpers import SHARED, needs_shared

from errscan import lm

pytestmark = pytest.mark.skipif(not lm.available(), reason="no model: run tools/build_lm.py")

# Sentences written for these tests (not from any spelling-check set): (as written, offset, slip, suggestion).
SLIPS = [
    ("各地要加快发展大数局产业，推动数字经济和实体经济深度融合。", 9, "局", "据"),
    ("坚持以人民为中心的发展思响，不断增进民生福祉。", 12, "响", "想"),
    ("持续深化放管服改革，优化营商环竟。", 15, "竟", "境"),
    ("加强生态环境保护，深入打好污染防治功坚战。", 17, "功", "攻"),
    ("持之以恒纠治四风，切实减轻基层负坦。", 16, "坦", "担"),
    ("加大对中小微企业的金融支持力渡。", 14, "渡", "度"),
    ("健全现代预算制度，加强财政资金统筹，提高资金使用效义。", 25, "义", "益"),
    ("促进基本公共服务均等化，扎实推进共同富欲。", 19, "欲", "裕"),
    ("坚决守住不发生系统性风险的底线，维护金融市场稳定运形。", 25, "形", "行"),
    # both bigrams of the slip are in the model (列所, 条列; 引到, 到作): judged with the whole clause (SEEN)
    ("本条列所称企业，是指依法设立的企业。", 2, "列", "例"),
    ("要充分发挥政府引到作用。", 8, "到", "导"),
]

# A pinyin input method's whole-word slips: two characters that sound like the word meant (sentences written for
# these tests).
PAIRS = [
    ("各有关淡味要高度重视安全生产工作。", 3, "淡味", "单位"),
    ("进一步墙画监督管理，压实主体责任。", 3, "墙画", "强化"),
    ("加强对权力运行的制约和监督，郭嘉机关要带头。", 14, "郭嘉", "国家"),
    # a real word in the wrong place, every bigram around it in the model (征服 for 政府, 全线 for 权限)
    ("县级以上地方人民征服应当加强对安全生产工作的领导。", 8, "征服", "政府"),
    ("各部门应当按照管理全线，加强监督检查。", 9, "全线", "权限"),
    ("社会团体应当按照长成开展活动。", 8, "长成", "章程"),
    ("深化拓展时常化改革。", 4, "时常", "市场"),
]

MODERN = [
    "加快发展新质生产力，推动传统产业提质增效。",
    "推进沙戈荒地区大型风电光伏基地建设。",
    "做强做优做大数字经济，推动经济高质量发展。",
    "因地制宜发展新质生产力，以科技创新引领现代化产业体系建设。",
    "深入实施乡村振兴战略，持续巩固拓展脱贫攻坚成果。",
]


@pytest.mark.parametrize(("text", "offset", "slip", "suggestion"), SLIPS)
def test_slip_found_with_its_suggestion(text: str, offset: int, slip: str, suggestion: str) -> None:
    found = lm.detect(text)
    assert [(s.start, s.end, s.text, s.suggestion) for s in found] == [(offset, offset + 1, slip, suggestion)]
    s = found[0]
    assert text[s.start : s.end] == s.text
    assert s.severity in (1, 2) and s.score >= lm.INFO
    assert s.message.startswith("疑似错字：") and f"“{slip}”可能应为“{suggestion}”" in s.message


@pytest.mark.parametrize(("text", "offset", "slip", "suggestion"), SLIPS)
def test_corrected_form_is_clean(text: str, offset: int, slip: str, suggestion: str) -> None:
    fixed = text[:offset] + suggestion + text[offset + 1 :]
    assert lm.detect(fixed) == []


@pytest.mark.parametrize(("text", "offset", "written", "word"), PAIRS)
def test_same_sounding_word_found(text: str, offset: int, written: str, word: str) -> None:
    (s,) = lm.detect(text)
    assert (s.start, s.end, s.text, s.suggestion, s.relation) == (offset, offset + 2, written, word, "sound")
    assert s.message == f"疑似错词：“{written}”可能应为同音的“{word}”"
    assert lm.detect(text[:offset] + word + text[offset + 2 :]) == []


@pytest.mark.parametrize(("text", "offset", "slip", "suggestion"), [
    ("由登基管理机关吊销其登记证书。", 2, "基", "记"),  # 登基 and 登记 are about as frequent
    ("加大紫金投入，创新投融资机制。", 2, "紫", "资"),
    ("要防止矛盾机化和事态扩大。", 5, "机", "激"),
])
def test_a_word_into_a_word_not_much_more_frequent_on_overwhelming_evidence_only(
    text: str, offset: int, slip: str, suggestion: str
) -> None:
    """A slip that makes one dictionary word of another (登基 for 登记) is reported only where the model reads the
    clause 10^8 (WARNING) better with the replacement, and then as a hint (info), not a warning."""
    (s,) = lm.detect(text)
    assert (s.start, s.text, s.suggestion, s.severity) == (offset, slip, suggestion, 1)
    assert s.score >= lm.WARNING
    assert lm.detect(text[:offset] + suggestion + text[offset + 1 :]) == []


def test_a_word_in_its_place_is_kept() -> None:
    assert lm.detect("皇帝登基之后大赦天下。") == []


def test_same_sounding_words_that_belong_are_kept() -> None:
    """Real words in their place, though a same-sounding word is more frequent: 度汛 (渡汛), 义愤 (一份), 时常 and 全线
    where they belong (市场, 权限 above), and a pair inside a longer word as written (迎刃而解: 婴儿)."""
    kept = ("做好防汛工作，确保安全度汛。", "引起群众的不满和义愤。", "使许多问题迎刃而解。", "我们要时常提醒自己。",
            "这一点十分重要，全线贯通后将大大缩短时间。")
    for text in kept:
        assert lm.detect(text) == [], text


@pytest.mark.parametrize("text", MODERN)
def test_modern_vocabulary_is_not_a_slip(text: str) -> None:
    assert lm.detect(text) == []


def test_offsets_are_code_points_in_the_whole_text() -> None:
    head = "𠀀🙂第一条　Ｂ类。\n"  # astral characters, full-width space and letter before the slip
    text, offset = head + SLIPS[0][0], len(head) + SLIPS[0][1]
    [s] = lm.detect(text)
    assert (s.start, s.text) == (offset, "局") and text[s.start] == "局"


def test_digits_latin_punctuation_and_short_runs_are_skipped() -> None:
    assert lm.detect("") == []
    assert lm.detect("，。；：！？、（）《》“”…… 123 ABC x86_64 2025-01-01") == []
    assert lm.detect("王　伟　李　杰") == []  # names in a list: runs shorter than MIN_CLAUSE


def test_only_a_warning_when_overwhelming() -> None:
    found = lm.detect("持续深化放管服改革，优化营商环竟。人民很行、财政部指导。")
    assert all(s.severity == (2 if s.score >= lm.WARNING else 1) for s in found)
    assert all(s.severity < 3 for s in found)


def test_model_header_records_its_sources() -> None:
    m = lm.model()
    files = {src["file"]: src for src in m.header["sources"]}
    assert set(files) == {"laws_lawrefbook.txt", "gov_work_reports_cpc_congress_wikisource.txt"}
    assert all(len(src["sha256"]) == 64 and src["upstream"] for src in files.values())
    assert m.header["smoothing"] == "kn" and m.order == 4
    assert lm.MODEL_PATH.stat().st_size <= 20_000_000


def test_model_is_a_normalised_distribution() -> None:
    m = lm.model()
    vocab = range(1, len(m.header["specials"]) + len(m.vocab))  # every token that can follow (not <s>)
    for ctx in ("发展大", "人民", "国", ""):
        ids = [m.ids[c] for c in reversed(ctx)] or [lm.BOS]
        total = sum(10 ** m.logp(w, ids) for w in vocab)
        assert total == pytest.approx(1.0, abs=0.03)


def test_loaded_lazily_and_only_from_the_package() -> None:
    code = (
        "import sys; from errscan import lm; assert lm._model is None, 'mapped at import'; "
        "lm.detect('推动经济高质量发展。'); "
        "assert lm._model is not None and lm.MODEL_PATH.is_relative_to(__import__('pathlib').Path(lm.__file__).parent)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@needs_shared
def test_clean_corpus_gate() -> None:
    """Held-out official text (national reports 1978–2018 are not in the model's corpus)."""
    root = SHARED / "corpus" / "clean"
    paths = sorted((root / "national_reports").glob("*.txt")) + sorted((root / "state_council_docs").glob("*.txt"))
    assert paths
    chars = found = warnings = 0
    for p in paths:
        text = p.read_text(encoding="utf-8")
        chars += len(text)
        got = lm.detect(text)
        found += len(got)
        warnings += sum(s.severity >= 2 for s in got)
    assert chars > 900_000
    assert found / chars * 1e5 <= 3.0
    assert warnings / chars * 1e5 <= 0.3


def test_candidates_follow_errscan_similar() -> None:
    """The model carries errscan.similar's alike lists (made at build time): rebuild it when similar.tsv changes."""
    from errscan import similar

    m = lm.model()
    chars = m.header["alikes"]["chars"]
    for ch in [*chars[:: max(1, len(chars) // 300)], "局", "据", "竟"]:
        want = {m.ids[c] for c in similar.alikes(ch) if c in m.ids}
        assert m.alikes(ch) == want, ch


def test_long_text_path_gives_the_same_suspects(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pure-Python search loads every token's left neighbours at once for long texts: same suspects."""
    monkeypatch.setenv("ERRSCAN_PURE", "1")
    text = "".join(s for s, *_ in SLIPS) * 120
    assert len(text) >= lm.LONG_TEXT
    fast = lm.detect(text)
    monkeypatch.setattr(lm, "LONG_TEXT", 10**9)
    assert lm.detect(text) == fast and len(fast) == 120 * len(SLIPS)


def test_a_dissimilar_character_only_on_overwhelming_evidence() -> None:
    """Where both bigrams around a character are unseen, any character may replace it, at info, when the clause
    reads 10^11 times better (纤 and 纠 share 纟 but are in no sound or shape set)."""
    text = "及时化解矛盾纤纷，维护社会稳定。"
    (s,) = lm.detect(text)
    assert (s.start, s.end, s.text, s.suggestion, s.severity, s.relation) == (6, 7, "纤", "纠", 1, "")
    assert s.message == "疑似错字：“纤纷”中的“纤”可能应为“纠”"
    assert lm.detect(text.replace("纤", "纠")) == []
    # 退牧还草 (a real programme) reads 10^9–10^10 times better as 退耕还草 to the model: below the bar
    assert lm.detect("实施退牧还草工程，巩固退耕还林成果。") == []


@pytest.mark.parametrize(("text", "offset", "slip", "suggestion", "word"), [
    ("健全国有企业退出机智，促进优胜劣汰。", 9, "智", "制", "机制"),
    ("对拟录用人员开展全背景审察。", 12, "察", "查", "审查"),
    ("坚决扼制侵权假冒行为。", 2, "扼", "遏", "遏制"),
])
def test_a_common_word_that_reads_as_a_more_frequent_one_is_a_hint_at_the_same_sounding_words_bar(
    text: str, offset: int, slip: str, suggestion: str, word: str,
) -> None:
    """机智, 审察, 扼制 are words in common use (KNOWN_WORD), kept unless the model is overwhelming — or the
    replacement makes a more frequent word that reads exactly alike, tones aside (a pinyin input method's choice),
    and the clause reads PAIR better, as a same-sounding two-character word must."""
    (s,) = lm.detect(text)
    assert (s.start, s.text, s.suggestion, s.severity) == (offset, slip, suggestion, 1)
    assert lm.PAIR <= s.score < lm.WARNING
    from errscan.similar import read_alike

    assert read_alike(text[offset - 1 : offset + 1] if word[1] == suggestion else text[offset : offset + 2], word)


@pytest.mark.parametrize("text", [
    "他机智地回答了记者的问题。", "推动构建利益攸关方合作机制。", "战乱连绵，民不聊生。",
    "要以更大的决心和魄力推进改革。",
])
def test_common_words_in_their_place_stay(text: str) -> None:
    assert lm.detect(text) == []


def test_a_function_character_that_breaks_a_word_is_a_slip_but_the_choice_between_them_is_not() -> None:
    """的/地, 或/和 are the writer's choice; 也 where 地 makes the word 林地 or 地震 is a slip."""
    assert [(s.start, s.text, s.suggestion) for s in lm.detect("规范集体林也使用权的流转。")] == [(5, "也", "地")]
    assert [(s.start, s.text, s.suggestion) for s in lm.detect("力争降低也震灾害风险。")] == [(4, "也", "地")]
    for text in ("同学们认真的学习新知识。", "企业或个人均可申请。", "这也是我们的责任。"):
        assert lm.detect(text) == [], text
