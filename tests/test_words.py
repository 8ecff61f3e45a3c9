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


@needs_shared
def test_cuts_equal_jiebas_over_the_clean_corpus(jieba_dt) -> None:
    pytest.importorskip("rjieba")
    w = words()
    clauses = _clauses()
    assert len(clauses) > 50_000
    differ = [c for c in clauses if w.cut(c) != list(jieba_dt.cut(c, HMM=False))]
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
        "print('rjieba' in sys.modules or 'jieba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False ['再接再厉', '地', '工作'] True"


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
