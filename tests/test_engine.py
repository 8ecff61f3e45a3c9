"""The pipeline on the engine's test list: exact findings and positions for each mechanism."""

from __future__ import annotations

import pytest
from helpers import CORE, spans

from errscan import Scanner, Severity
from errscan.lexicon import compile_lists
from errscan.lexicon.load import load_list
from errscan.match import byte_hits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们要再接再励。", [("core/再接再励", 1, 4)]),
        ("第一行\r\n第二行再接再励", [("core/再接再励", 2, 4)]),
        ("既使失败也不放弃", [("core/既使", 1, 1)]),
        # unless: the longer correct strings
        ("既使用了新方法，又既使得群众满意", []),
        # straddling a jieba token: 法轮 in 办法/轮流
        ("要完善办法轮流值班", []),
        ("他们宣扬法轮的说法", [("core/法轮", 1, 5)]),
        # inside one longer token: reported by default, dropped with boundary: word
        ("火车站很远", [("core/火车", 1, 1)]),
        ("乘坐汽车站在门口", []),
        ("他开汽车上班", [("core/汽车", 1, 3)]),
        # boundary: any reports even inside other characters
        ("热爱中华人民共合国家", [("core/中华人民共合国", 1, 3)]),
        # context rules
        ("截止2023年底，共有", [("core/截止", 1, 1)]),
        ("报名截止日期为6月1日", []),
        ("总书记亲自部署", []),
        ("局长亲自过问", [("core/亲自", 1, 3)]),
        # astral characters count as one code point
        ("😀𠀋𠀋来了", [("core/𠀋𠀋", 1, 2)]),
        ("ab x²错", [("core/x²错", 1, 4)]),
    ],
)
def test_findings(core: Scanner, text: str, expected: list) -> None:
    assert spans(core.scan_text(text)) == expected


def test_overlap_longest_wins_and_iter_long_case(core: Scanner) -> None:
    # iter_long would miss 知识产权 here after trying 国家知识产权局; every candidate is kept, then resolved
    assert spans(core.scan_text("国家知识产权")) == [("core/知识产权", 1, 3)]
    assert spans(core.scan_text("国家知识产权局发布")) == [("core/国家知识产权局", 1, 1)]


def test_finding_fields(core: Scanner) -> None:
    [f] = core.scan_text("一二三\n我们要再接再励，继续。", path="a.txt")
    assert f.to_dict() == {
        "path": "a.txt", "line": 2, "column": 4, "offset": 7, "length": 4, "text": "再接再励",
        "suggestions": ["再接再厉"], "rule": "core/再接再励", "list": "core", "category": "typo",
        "severity": "warning", "message": "错别字：“再接再励”，建议改为“再接再厉”。“厉”同“砺”。",
        "context": "我们要再接再励，继续。", "location": {}, "fix": "再接再厉",
    }
    assert f.fingerprint() == core.scan_text("插入一行\n一二三\n我们要再接再励，继续。", path="a.txt")[0].fingerprint()


@pytest.mark.parametrize(
    ("text", "as_of", "expected"),
    [
        ("国土资源部发布通知", None, Severity.INFO),  # undated: info
        ("国土资源部发布通知", "2020-01-01", Severity.WARNING),
        ("国土资源部发布通知", "2015", None),
        ("国土资源部发布通知", "2018-03", Severity.INFO),  # the month of the change: unsure
        ("国土资源部发布通知\n\n2019年1月3日\n", None, Severity.WARNING),  # 成文日期 line
        ("国办发〔2010〕12号\n国土资源部发布通知", None, None),  # document number year
        ("成文日期：二〇二〇年一月三日\n国土资源部发布通知", None, Severity.WARNING),
    ],
)
def test_outdated_by_document_date(core: Scanner, text: str, as_of: str | None, expected: Severity | None) -> None:
    scanner = Scanner(lexicon=core.lexicon, as_of=as_of)
    got = [f.severity for f in scanner.scan_text(text)]
    assert got == ([expected] if expected else [])


def test_chunk_edges_lose_nothing() -> None:
    lex = compile_lists([load_list(CORE)])
    text = "再接再励" * 50 + "中华人民共合国" * 20
    data = text.encode("utf-8")
    whole = byte_hits(data, lex, chunk=1 << 20)
    for chunk in (1, 5, 7, 12, 13, 100):
        assert byte_hits(data, lex, chunk=chunk) == whole
    assert len(whole) == 70


def test_long_texts_scanned_by_ahocorasick_rs_give_the_same_hits(monkeypatch: pytest.MonkeyPatch) -> None:
    """From RS_FROM bytes on, ahocorasick-rs scans: every hit pyahocorasick gives, overlaps included."""
    pytest.importorskip("ahocorasick_rs")
    import errscan.match as match
    from errscan.lexicon import load_lexicon

    lex = load_lexicon()  # the built-in lists: 17,000 keys, many overlapping (中华人民共和国 / 人民共和国 …)
    small = compile_lists([load_list(CORE)])
    nested = [k for k in lex.automaton.keys() if len(byte_hits(k.encode("latin-1"), lex)) >= 3][:20]
    unit = "第一行\n中华人民共合国、再接再励，既使失败。ab" + "，".join(k.encode("latin-1").decode() for k in nested)
    data = (unit * 300).encode("utf-8")
    expected, expected_small = byte_hits(data, lex), byte_hits(data, small)  # below RS_FROM: pyahocorasick
    assert len(nested) == 20 and len(expected) == 300 * len(byte_hits(unit.encode(), lex)) >= 300 * (3 + 60)
    monkeypatch.setattr(match, "RS_FROM", 1)
    monkeypatch.setattr(match, "_rs", {})
    assert byte_hits(data, lex) == expected
    assert match._rs[id(lex.automaton)][0] is lex.automaton
    assert byte_hits(data, small) == expected_small  # another lexicon: its own automaton, the first one kept
    assert match._rs[id(small.automaton)][0] is small.automaton and id(lex.automaton) in match._rs
    assert byte_hits(b"", small) == [] and byte_hits("再接再励".encode(), small) != []


def test_short_texts_go_to_ahocorasick_rs_once_a_process_has_scanned_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """An audit's files, a service's pages: after RS_TOTAL bytes with one lexicon, its ahocorasick-rs automaton
    scans every text, with the same hits; another lexicon counts its own bytes."""
    pytest.importorskip("ahocorasick_rs")
    import errscan.match as match

    lex, other = compile_lists([load_list(CORE)]), compile_lists([load_list(CORE)])
    data = "第一行\n中华人民共合国、再接再励，既使失败。".encode()
    monkeypatch.setattr(match, "_rs", {})
    monkeypatch.setattr(match, "_scanned", {})
    monkeypatch.setattr(match, "RS_TOTAL", 3 * len(data))
    expected = byte_hits(data, lex)
    assert len(expected) >= 3 and not match._rs  # the first text: pyahocorasick
    assert byte_hits(data, lex) == expected and not match._rs
    assert byte_hits(data, other) == expected and not match._rs  # its own count
    assert byte_hits(data, lex) == expected  # the third: RS_TOTAL reached
    assert list(match._rs) == [id(lex.automaton)]
    assert byte_hits(data, lex) == expected and byte_hits(data, other) == expected
    assert list(match._rs) == [id(lex.automaton)]  # the other lexicon has scanned twice only


def test_allowlist_and_min_severity(core: Scanner) -> None:
    assert Scanner(lexicon=core.lexicon, allow=["再接再励"]).scan_text("要再接再励") == []
    assert spans(Scanner(lexicon=core.lexicon, min_severity=Severity.ERROR).scan_text("再接再励，中华人民共合国")) == [
        ("core/中华人民共合国", 1, 6)
    ]


def test_clean_text_does_not_load_jieba(core: Scanner) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom errscan import Scanner\n"
        f"s = Scanner([{str(CORE)!r}], builtin=False)\n"
        "assert s.scan_text('一段没有问题的文字。' * 100) == []\n"
        "print('jieba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_windows_give_the_same_findings_as_one_pass() -> None:
    """A long text is scanned in overlapping windows: nothing lost or doubled at a window's edge."""
    from helpers import SHARED

    corpus = SHARED / "corpus" / "clean" / "national_reports" / "2018.txt"
    fallback = "各位代表，现在我代表国务院报告工作。" * 300
    base = corpus.read_text(encoding="utf-8")[:6000] if corpus.exists() else fallback
    planted = "再接再励 中 华 人 民 共 合 国 國土資源部 身份证11010519491231002X 布署"
    text = "".join(base[i : i + 97] + planted[: (i % len(planted)) + 1] for i in range(0, len(base), 97))
    whole = Scanner(window=1 << 20).scan_text(text)
    assert len(whole) > 50
    for window in (1, 37, 500):
        assert Scanner(lexicon=Scanner().lexicon, window=window).scan_text(text) == whole


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        ("成文日期：1996年2月5日\n发布日期：2018年12月24日", "2018-12-24", "1996-02-05"),
        ("通知正文\n一九九六年二月五日\n", "2018-12-24", "1996-02-05"),  # the 成文日期 line closing the text
        ("——2010年3月5日在会议上\n正文", "2018-12-24", "2018-12-24"),  # a page's metadata beats a heading
        ("发布日期：2018-12-24\n正文", None, "2018-12-24"),
        ("国办发〔1996〕32号\n正文", None, "1996-01-01"),
        ("1998年政府工作报告\n——1 9 9 8 年3 月5 日在第九届全国人民代表大会第一次会议上\n", None, "1998-03-05"),  # PDF
    ],
)
def test_document_date_prefers_the_text_s_own_date(text: str, published: str | None, expected: str) -> None:
    from errscan.docdate import find_date

    found = find_date(text, published)
    assert found is not None and found[0].isoformat() == expected


def test_cached_entries_are_the_compiled_ones(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache keeps entries as plain values, each made when asked for: every one, hand-written or generated,
    equals the one compiled, and a cached lexicon pickled again (to a worker) carries them unchanged."""
    import pickle

    from errscan.lexicon import load_lexicon

    monkeypatch.setenv("ERRSCAN_CACHE_DIR", str(tmp_path))
    compiled = load_lexicon()  # compiled, and written to the cache
    cached = load_lexicon()
    assert type(cached.entries).__name__ == "DeferredEntries"
    hand = len(compiled.entries.hand)  # type: ignore[attr-defined]
    assert 2000 < hand < len(compiled.entries) - 10000  # hand-written entries, then generated ones
    probe = [0, 1, hand - 1, hand, hand + 1, len(compiled.entries) - 1]
    assert [cached.entries[i] for i in probe] == [compiled.entries[i] for i in probe]  # asked one by one
    assert cached.entries[hand - 1].severity is compiled.entries[hand - 1].severity  # the enum member itself
    assert list(cached.entries) == list(compiled.entries)
    again = pickle.loads(pickle.dumps(cached.entries))
    assert list(again) == list(compiled.entries) and list(again.matches()) == list(compiled.entries.matches())
