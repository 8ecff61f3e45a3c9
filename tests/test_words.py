"""errscan.words: rjieba's cuts and the cached frequency trie stand in for jieba; they must agree with it."""

from __future__ import annotations

import logging
import re

import pytest
from helpers import SHARED, needs_shared

from errscan.lexicon.generate import jieba_dict_path
from errscan.words import Words, _build, words

CLAUSE = re.compile(r"[^\s，。！？；：、,.!?;:…—（）()《》〈〉“”‘’\"'「」『』【】\[\]<>{}/|·]+")


@pytest.fixture(scope="module")
def jieba_dt():
    jieba = pytest.importorskip("jieba")
    jieba.setLogLevel(logging.WARNING)
    dt = jieba.Tokenizer()
    dt.initialize()
    return dt


def _clauses() -> list[str]:
    text = "\n".join(p.read_text("utf-8") for p in sorted((SHARED / "corpus" / "clean").rglob("*.txt")))
    return sorted(set(CLAUSE.findall(text)))


def _cutters() -> dict[str, object]:
    """The segmenters errscan may use in place of jieba: the route over the mapped blob, and rjieba."""
    import errscan.words as W

    out: dict[str, object] = {}
    w = words()
    if W._wordscan is not None and w._blob is not None:
        out["blob"] = lambda text: W.blob_cut(w._blob, text)
    try:
        import rjieba
    except ImportError:
        pass
    else:
        out["rjieba"] = lambda text: rjieba.cut(text, False)
    return out


@needs_shared
@pytest.mark.parametrize("name", ["blob", "rjieba"])
def test_cuts_equal_jiebas_over_the_clean_corpus(jieba_dt, name) -> None:
    cut = _cutters().get(name)
    if cut is None:
        pytest.skip(f"{name} is not available")
    clauses = _clauses()
    assert len(clauses) > 50_000
    differ = [c for c in clauses if cut(c) != list(jieba_dt.cut(c, HMM=False))]
    assert differ == []
    # whole lines: punctuation, spaces, Latin, digits and line breaks between the clauses, as verify cuts them
    lines = "\n".join(p.read_text("utf-8") for p in sorted((SHARED / "corpus" / "clean").rglob("*.txt")))
    lines = lines.splitlines(keepends=True)[::7]
    odd = ["ABC12中文", "a1b2 c", "Ｗｉｆｉ覆盖", "3.5%的增长", "C++和C#", "e-mail地址", "一\r\n二\t三　四",
           "\ud800中国", "𠮷野家", "", " ", "新质生产力、提质增效和沙戈荒", "\r\r\n中\r", "a\nb\n\n", "1,234.5万元",
           "abc中文def", "x", "第3条第2款", "鿕鿖一"]
    if name == "rjieba":
        odd.remove("\ud800中国")  # rjieba cannot take a lone surrogate (UnicodeEncodeError); the blob's route can
    differ = [t for t in [*lines, *odd] if cut(t) != list(jieba_dt.cut(t, HMM=False))]
    assert differ == []


@needs_shared
def test_route_probability_and_frequencies_equal_jiebas(jieba_dt) -> None:
    w = words()
    clauses = [*_clauses()[::20], "ABC12中文", "a1b2 c", "新质生产力", "Ｗｉｆｉ覆盖"]
    for c in clauses:
        route: dict[int, tuple[float, int]] = {}
        jieba_dt.calc(c, jieba_dt.get_DAG(c), route)
        assert w.logp(c) == pytest.approx(route[0][0], abs=1e-6), c
    for probe in ("社会主义", "再接再厉", "攻府", "的", "主持会议", "中华人民共和国", "新质生产力"):
        assert w.freq(probe) == (jieba_dt.FREQ.get(probe) or 0), probe
        assert w.is_word(probe) == bool(jieba_dt.FREQ.get(probe))
    assert w.total == jieba_dt.total


def test_trie_from_dictionary_counts() -> None:
    trie, total = _build(jieba_dict_path())
    w = Words(trie.get, total)
    assert w.freq("再接再厉") > 0
    assert w.freq("攻府") == 0
    assert w.freq("再接再") == 0  # a prefix is no word (jieba's FREQ holds it as 0)
    assert total > 60_000_000


def test_segmenter_starts_only_on_the_first_cut() -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom errscan.words import words\n"
        "w = words()\nassert w.freq('再接再厉') > 0\n"
        "print('rjieba' in sys.modules or 'jieba' in sys.modules, end=' ')\n"
        "print(w.cut('再接再厉地工作'), end=' ')\n"
        "print('rjieba' in sys.modules or 'jieba' in sys.modules, end=' ')\n"
        "print(w._blob is not None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # over the mapped blob (where the child's errscan has its compiled lookup) no segmenter is loaded at all;
    # without it, rjieba or jieba starts on the first cut
    blob = out.stdout.split()[-1] == "True"
    assert out.stdout.strip() == f"False ['再接再厉', '地', '工作'] {not blob} {blob}"


def test_the_mapped_blob_and_the_trie_give_the_same_frequencies(tmp_path, monkeypatch) -> None:
    """errscan/_wordscan.c's sorted blob against the pure-Python trie: every word of jieba's dictionary, and
    strings that are none (prefixes, a word and a character more, Latin, an unpaired surrogate)."""
    import random

    import pytest

    import errscan.words as W
    from errscan.lexicon.generate import jieba_dict_path

    pytest.importorskip("errscan._wordscan")
    path = jieba_dict_path()
    freqs, total = W._entries(path)
    blob = W._blob(tmp_path / "w.bin", path)
    trie, trie_total = W._build(path)
    assert W._wordscan.total(blob) == total == trie_total
    sample = random.Random(3).sample(sorted(freqs), 20_000)
    others = [w[:-1] for w in sample] + [w + "的" for w in sample] + ["", "abc", "\ud800", "中华人民共和国万岁万万岁"]
    for word in [*sample, *others]:
        assert W._wordscan.get(blob, word, 0) == trie.get(word, 0) == freqs.get(word, 0), word
    (tmp_path / "w.bin").write_bytes(b"garbage")
    assert W._wordscan.total(W._blob(tmp_path / "w.bin", path)) == total  # damaged: made again


def test_a_long_text_hands_the_cuts_to_rjieba_with_the_same_tokens(monkeypatch) -> None:
    import errscan.words as W

    w0 = words()
    if W._wordscan is None or w0._blob is None:
        pytest.skip("no mapped blob")
    pytest.importorskip("rjieba")
    monkeypatch.setattr(W, "SWITCH", 3)
    w = Words(w0._get, w0.total, w0._blob)
    text = "中华人民共和国国务院总理在政府工作报告中说"
    first = [w.cut(text) for _ in range(2)]
    assert w._cutter.func is W.blob_cut  # type: ignore[attr-defined]
    later = [w.cut(text) for _ in range(2)]
    assert not hasattr(w._cutter, "func")  # rjieba's
    assert first == later == [list(words().cut(text))] * 2
    assert first[0] == ["中华人民共和国国务院", "总理", "在", "政府", "工作", "报告", "中", "说"]


def test_a_lone_surrogate_cuts_alike_every_way(jieba_dt) -> None:
    """A JSON escape (\\ud800) gives the service a lone surrogate, which rjieba (UTF-8 only) refuses: it cuts the
    text with U+FFFD in its place, one for one, and hands back the text's own characters."""
    pytest.importorskip("rjieba")
    import errscan.words as W

    text = "我们要再接再励\ud800。中华人民共和国\udc80成立了\ud83d"
    by_rjieba = W._cutter(fast_only=True)(text)
    assert "".join(by_rjieba) == text
    assert by_rjieba == list(jieba_dt.cut(text, HMM=False))
    assert by_rjieba[:3] == ["我们", "要", "再接再励"] and "\ud800" in by_rjieba
    w = words()
    if W._wordscan is not None and w._blob is not None:
        assert W.blob_cut(w._blob, text) == by_rjieba
