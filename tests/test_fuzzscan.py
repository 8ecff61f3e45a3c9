"""errscan._fuzzscan (errscan/_fuzzscan.c): fuzzy.candidates and fuzzy.find through the compiled scan equal the
pure-Python scan's (ERRSCAN_PURE=1) list for list, on the clean corpus, the dev sentences and made-up texts."""

from __future__ import annotations

import array
import os
import pickle
import random
import threading
from pathlib import Path

import pytest
from helpers import SHARED

from errscan import fuzzy, similar

_fuzzscan = pytest.importorskip(
    "errscan._fuzzscan", reason="the compiled scan is not built (needs a C compiler)", exc_type=ImportError
)

CORPUS = SHARED / "corpus" / "clean"
DEV = SHARED / "data" / "dev" / "ecspell_odw_train.tsv"


@pytest.fixture(scope="module")
def idx() -> fuzzy.Index:
    got = fuzzy.index()
    assert got.scanner() is not None
    return got


def pure_candidates(text: str) -> list[tuple]:
    return _pure(fuzzy.candidates, text)


def pure_find(text: str) -> list[fuzzy.Near]:
    return _pure(fuzzy.find, text)


def _pure(fn, text):
    old = os.environ.get("ERRSCAN_PURE")
    os.environ["ERRSCAN_PURE"] = "1"
    try:
        return fn(text)
    finally:
        if old is None:
            del os.environ["ERRSCAN_PURE"]
        else:
            os.environ["ERRSCAN_PURE"] = old


def compiled_find(text: str, monkeypatch: pytest.MonkeyPatch) -> list[fuzzy.Near]:
    with monkeypatch.context() as m:
        m.delenv("ERRSCAN_PURE", raising=False)
        return fuzzy.find(text)


def assert_same(idx: fuzzy.Index, texts: list[str]) -> int:
    """The compiled and the pure-Python candidates of every text are equal; their number."""
    scanner = idx.scanner()
    total = 0
    for text in texts:
        got = scanner.candidates(text)
        assert got == pure_candidates(text), text[:200]
        total += len(got)
    return total


def test_candidates_goes_through_the_scanner(idx: fuzzy.Index, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "我们要坚持中国共产常的领导。"
    want = idx.scanner().candidates(text)
    assert (5, 10, "中国共产党", "name", "substitute", 4) in want
    with monkeypatch.context() as m:
        m.delenv("ERRSCAN_PURE", raising=False)
        m.setattr(fuzzy, "_automata", lambda _: pytest.fail("the pure-Python scan ran"))
        assert fuzzy.candidates(text) == want
    with monkeypatch.context() as m:
        m.setenv("ERRSCAN_PURE", "1")
        m.setattr(idx, "scanner", lambda: pytest.fail("the compiled scan ran"))
        assert fuzzy.candidates(text) == want


# (text, a candidate it must give: start, end, canonical, kind, position)
EDGES = [
    ("中国共产常", (0, 5, "中国共产党", "substitute", 4)),  # the last character, the text's whole length
    ("忠国共产党", (0, 5, "中国共产党", "substitute", 0)),  # the first character, at the text's start
    ("中华人民大和国", (0, 7, "中华人民共和国", "substitute", 4)),  # an inner character
    ("中华人民X和国", (0, 7, "中华人民共和国", "substitute", 4)),  # replaced by a Latin letter
    ("中华人民😀和国", (0, 7, "中华人民共和国", "substitute", 4)),  # by a character beyond the BMP
    ("齐齐哈市", (0, 4, "齐齐哈尔市", "omit", 3)),
    ("全国人民代表大表会", (0, 9, "全国人民代表大会", "insert", 7)),
    ("中国 共产党", (0, 6, "中国共产党", "insert", 2)),  # a space added
    ("中人华民共和国", (0, 7, "中华人民共和国", "transpose", 1)),
    ("全国人民代大表会", (0, 8, "全国人民代表大会", "transpose", 5)),
    ("一路一带", (0, 4, "一带一路", "swap", 2)),
    ("攻府", (0, 2, "政府", "substitute", 0)),  # a two-character name: alike replacements only
    ("市攻府", (1, 3, "政府", "substitute", 0)),
    ("新家坡", (0, 3, "新加坡", "substitute", 1)),
    ("伊拉客", (0, 3, "伊拉克", "substitute", 2)),
    ("a新家坡", (1, 4, "新加坡", "substitute", 1)),
    ("美轮美换。", (0, 4, "美轮美奂", "substitute", 3)),
    ("😀𠀀我们要坚持中国共产常的领导", (7, 12, "中国共产党", "substitute", 4)),  # code points after astral ones
    ("2024年, Report：我们要坚持中国共产常的领导 😀 与伊拉客。", (31, 34, "伊拉克", "substitute", 2)),
]


@pytest.mark.parametrize(("text", "want"), EDGES, ids=[t for t, _ in EDGES])
def test_edge_cases(idx: fuzzy.Index, text: str, want: tuple) -> None:
    got = idx.scanner().candidates(text)
    assert got == pure_candidates(text)
    start, end, canonical, kind, pos = want
    assert any(c[:3] == (start, end, canonical) and c[4:] == (kind, pos) for c in got), got


@pytest.mark.parametrize(
    "text", ["", "中", "政", "Hello, world. 123", "😀😀😀", "𠀀𬉼㧐", "\n\n", "中国共产党", "，。、" * 50, "a" * 1000]
)
def test_no_candidates_where_none_can_be(idx: fuzzy.Index, text: str) -> None:
    assert idx.scanner().candidates(text) == pure_candidates(text)


def test_kinds_and_positions_around_every_edit(idx: fuzzy.Index) -> None:
    """Names edited at random (alike and other replacements, omissions, additions, swaps) between words,
    punctuation, Latin letters and characters beyond the BMP."""
    rng = random.Random(20261202)
    names = idx.names
    noise = "的了和在是，。、；：“”（）\n 　abc123😀𠀀𬉼㧐"

    def edited(s: str) -> str:
        n, k = len(s), rng.randrange(6)
        if k == 0:
            i = rng.randrange(n)
            alike = similar.alikes(s[i])
            c = rng.choice(alike) if alike and rng.random() < 0.7 else rng.choice(rng.choice(names) + noise)
            return s[:i] + c + s[i + 1 :]
        if k == 1 and n > 2:
            i = rng.randrange(n)
            return s[:i] + s[i + 1 :]
        if k == 2:
            i = rng.randrange(n + 1)
            return s[:i] + rng.choice(rng.choice(names)) + s[i:]
        if k == 3:
            i = rng.randrange(n - 1)
            return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
        if k == 4:
            return s[n // 2 :] + s[: n // 2]
        return s

    def piece() -> str:
        r = rng.random()
        if r < 0.65:
            return edited(rng.choice(names))
        if r < 0.85:
            return "".join(rng.choice(noise) for _ in range(rng.randrange(1, 4)))
        return rng.choice(names)[:2]

    texts = ["".join(piece() for _ in range(rng.randrange(1, 30))) for _ in range(1500)]
    texts += [t[: rng.randrange(len(t) + 1)] for t in texts[:300]]
    found = assert_same(idx, texts)
    kinds = {c[4] for text in texts[:500] for c in idx.scanner().candidates(text)}
    assert found > 3000 and kinds == set(fuzzy.KINDS)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/clean is not beside this checkout")
def test_clean_corpus_sample(idx: fuzzy.Index, monkeypatch: pytest.MonkeyPatch) -> None:
    """A third of the clean corpus (some 300,000 characters), file by file: candidates and findings."""
    files = sorted(CORPUS.rglob("*.txt"))[::3]
    texts = [path.read_text(encoding="utf-8") for path in files]
    assert sum(map(len, texts)) > 250_000
    assert assert_same(idx, texts) > 500
    for text in texts:
        assert compiled_find(text, monkeypatch) == pure_find(text)


@pytest.mark.skipif(not DEV.is_file(), reason="../shared/data/dev is not beside this checkout")
def test_dev_sentences(idx: fuzzy.Index, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sentence of the dev set, as written and corrected: candidates and findings."""
    texts = []
    for line in DEV.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) >= 3:
            texts += cols[1:3]
    assert len(texts) > 3000
    assert_same(idx, texts)
    found = 0
    for text in texts:
        got = compiled_find(text, monkeypatch)
        assert got == pure_find(text), text
        found += len(got)
    assert found > 50


def test_alike_table_is_similar_relation(idx: fuzzy.Index) -> None:
    """The scanner's alike pairs are exactly similar.relation's (for canonical characters U+4E00..U+9FFF), over
    the alike characters of every third character of the table and random pairs."""
    off_bytes, chars_bytes = fuzzy._alike_pairs()
    off, chars = array.array("I"), array.array("I")
    off.frombytes(off_bytes)
    chars.frombytes(chars_bytes)
    table = {(chr(chars[j]), chr(0x4E00 + r)) for r in range(len(off) - 1) for j in range(off[r], off[r + 1])}
    rows = list(similar._get().rows)
    rng = random.Random(7)
    pairs = {(a, b) for a in rows[::3] for b in similar.alikes(a)}
    pairs |= {(rng.choice(rows), rng.choice(rows)) for _ in range(20000)}
    pairs = {(a, b) for a, b in pairs if "\u4e00" <= b <= "\u9fff"}
    assert len(pairs) > 200_000
    assert {(a, b) for a, b in pairs if similar.relation(a, b)} == table & pairs
    assert len(table) > 600_000


def test_blob_is_cached_and_mapped(idx: fuzzy.Index, tmp_path: Path) -> None:
    from errscan.lexicon.compile import _cache_dir

    pickled = _cache_dir() / f"fuzzy-{fuzzy._sources_digest()}.pickle"
    blob = pickled.with_suffix(".blob")
    assert blob.is_file() and pickled.stat().st_size < blob.stat().st_size / 10
    text = "伊拉客局势依然紧张，新家坡是东南亚国家。"
    again = pickle.loads(pickled.read_bytes())
    assert again.attach(blob) and again.scanner().candidates(text) == idx.scanner().candidates(text)
    damaged = tmp_path / "damaged.blob"
    damaged.write_bytes(blob.read_bytes()[:4096])
    assert not pickle.loads(pickled.read_bytes()).attach(damaged)  # index() then makes the index again
    assert not pickle.loads(pickled.read_bytes()).attach(tmp_path / "missing.blob")
    with pytest.raises(ValueError):
        _fuzzscan.Scanner(b"not a blob", ("name",), tuple(sorted(fuzzy.KINDS)))


def test_threads_share_the_scanner(idx: fuzzy.Index) -> None:
    """The scan releases the GIL; concurrent scans give each its own list."""
    texts = [f"{'我们要坚持中国共产常的领导。' * k}新家坡{'伊拉客' * (k % 3)}" for k in range(1, 40)]
    want = [idx.scanner().candidates(t) for t in texts]
    got: dict[int, list] = {}

    def run(k: int) -> None:
        got[k] = idx.scanner().candidates(texts[k])

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[k] for k in range(len(texts))] == want
