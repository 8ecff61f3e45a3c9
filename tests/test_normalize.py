"""errscan.normalize: fold is one-to-one, squeeze maps every span back exactly."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from helpers import SHARED, needs_shared
from hypothesis import given
from hypothesis import strategies as st

from errscan import normalize
from errscan.normalize import SQUEEZED_SPACES, describe, fold, fold_table, squeeze

TGSCC = SHARED / "data" / "tgscc" / "tgscc.json"
CLEAN = SHARED / "corpus" / "clean"

# Standard characters of 通用规范汉字表 that a traditional text also uses for another word, and characters
# with two simplified forms: folding any of them would invent findings.
NEVER_FOLDED = "乾著於瞭藉覆麽鍾徵夥剋蘋閤么余干后只台"

# Han, full-width forms, Chinese punctuation, spaces, ASCII and a few astral characters.
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0xF900, max_codepoint=0xFAFF),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
        st.characters(min_codepoint=0x2F00, max_codepoint=0x2FD5),
        st.sampled_from("中華國龔正发發乾著，。：；（）、 \u3000\u00a0\u200b\t\n2a𠀋𬞟"),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


# --- fold --------------------------------------------------------------------------------------------


def test_fold_examples():
    assert fold("中華人民共和國") == "中华人民共和国"
    assert fold("乾隆") == "乾隆"
    assert fold("二〇二四年") == "二〇二四年"
    assert fold("２０２４年ＧＤＰ增长ｘ") == "2024年GDP增长x"
    assert fold("⽇本") == "日本"  # Kangxi radical from a PDF
    assert fold("\uf900") == "岂"  # compatibility ideograph 豈 -> 豈 -> 岂
    assert fold("鐘錶") == "钟表"
    assert fold("發髮") == "发发"


def test_fold_keeps_punctuation_and_other_fullwidth_signs():
    text = "，。：；（）！？、“”‘’《》【】—…·％＋－＝＠＃＆＊　"
    assert fold(text) == text


@pytest.mark.parametrize("char", list(NEVER_FOLDED))
def test_never_folded(char):
    assert fold(char) == char


def test_table_is_one_to_one_and_idempotent():
    table = fold_table()
    assert len(table) > 5000
    for src, dst in table.items():
        assert src != dst
        assert dst not in table, (chr(src), chr(dst))  # chains are resolved: fold(fold(t)) == fold(t)
        assert len(fold(chr(src))) == 1
    text = "".join(map(chr, table))
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == "".join(map(chr, table.values()))


@needs_shared
def test_table_never_folds_a_standard_character():
    standard = set(json.loads(TGSCC.read_text(encoding="utf-8"))["tgscc_list"])
    assert not [chr(c) for c in fold_table() if chr(c) in standard]


@given(TEXT)
def test_fold_is_per_character(text):
    folded = fold(text)
    assert len(folded) == len(text)
    assert all(folded[i] == fold(text[i]) for i in range(len(text)))
    assert fold(folded) == folded


def test_fold_dense_and_sparse_paths_agree():
    sparse = "中国" * 5000 + "中華" + "中国" * 5000
    dense = "中華人民共和國" * 2000
    for text in (sparse, dense, sparse + dense, dense + sparse):
        assert fold(text) == text.translate(fold_table())


@needs_shared
def test_clean_corpus_is_unchanged():
    changed: Counter[tuple[str, str]] = Counter()
    total = 0
    for path in sorted(CLEAN.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        total += len(text)
        changed.update((a, b) for a, b in zip(text, fold(text), strict=True) if a != b)
    print(f"\n{sum(changed.values())} of {total} characters fold: {changed.most_common()}")
    assert total > 500_000
    # The clean pages write standard characters: only full-width letters and digits change, and 拚 (拚搏,
    # 拚命 in older documents), a variant of 拼 in 第一批异体字整理表.
    han = {pair for pair in changed if not "\uff01" <= pair[0] <= "\uff5e"}
    assert han <= {("拚", "拼")}, han


# --- squeeze -----------------------------------------------------------------------------------------


def test_squeeze_spaced_heading():
    text = "中 华 人 民 共 和 国"
    new, m = squeeze(text)
    assert new == "中华人民共和国"
    assert list(m) == [0, 2, 4, 6, 8, 10, 12]
    assert (m[0], m[6] + 1) == (0, 13)  # the whole heading maps back to the whole spaced text
    assert (m[2], m[3] + 1) == (4, 7)


def test_squeeze_name():
    new, m = squeeze("市长 龚 正 主持")
    assert new == "市长龚正主持"
    assert (m[2], m[3] + 1) == (3, 6)
    assert squeeze("龚  正、王　勇")[0] == "龚正、王勇"
    assert squeeze("中 华人民共和国")[0] == "中华人民共和国"


@pytest.mark.parametrize("text", ["《中共中央 国务院关于打赢脱贫攻坚战的指导意见》", "龚正 同志", "第一章 总则"])
def test_squeeze_keeps_spaces_between_two_words(text):
    assert squeeze(text) == (text, None)


@pytest.mark.parametrize(
    "text",
    ["2024 年", "第 3 条", "GDP 增长", "中 ，国", "中国 ", " 中国", "中\t国", "中\n国", "", "abc d", "中国"],
)
def test_squeeze_keeps_spaces_not_between_two_han(text):
    assert squeeze(text) == (text, None)


@pytest.mark.parametrize("space", ["\u3000", "\u00a0", "\u3000\u3000", " \u00a0 ", "\u200b", "\u2002"])
def test_squeeze_other_spaces(space):
    new, m = squeeze(f"龚{space}正")
    assert new == "龚正"
    assert list(m) == [0, 1 + len(space)]


def test_squeeze_map_indexes_like_a_list():
    new, m = squeeze("a 中 国 b 中  国")
    assert new == "a 中国 b 中国"
    expected = [0, 1, 2, 4, 5, 6, 7, 8, 11]
    assert list(m) == expected
    assert [m[i] for i in range(len(m))] == expected
    assert m[-1] == 11 and m[1:4] == expected[1:4] and len(m) == len(new)
    with pytest.raises(IndexError):
        m[len(m)]


@given(TEXT, st.data())
def test_squeeze_spans_map_back_exactly(text, data):
    new, m = squeeze(text)
    if m is None:
        assert new == text
        return
    assert len(m) == len(new)
    assert [text[k] for k in m] == list(new)
    s = data.draw(st.integers(0, len(new) - 1))
    e = data.draw(st.integers(s + 1, len(new)))
    start, end = m[s], m[e - 1] + 1  # new[s:e] maps back to text[start:end]
    kept = set(m)
    assert all(text[k] in SQUEEZED_SPACES for k in range(start, end) if k not in kept)
    assert "".join(text[k] for k in range(start, end) if k in kept) == new[s:e]


@given(TEXT)
def test_squeeze_and_fold_commute(text):
    assert squeeze(fold(text))[0] == fold(squeeze(text)[0])


# --- describe ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "labels"),
    [
        ("中華人民共和國", ["繁体"]),
        ("２０２４年", ["全角"]),
        ("羣众", ["异体字"]),
        ("⽇本", ["兼容字符"]),
        ("中国", []),
        ("２０２４年中華", ["全角", "繁体"]),
    ],
)
def test_describe(original, labels):
    assert describe(original, fold(original)) == labels


def test_describe_after_squeeze():
    original = "龔 正"
    assert describe(original, fold(squeeze(original)[0])) == ["繁体", "空格"]
    assert describe("龚 正", "龚正") == ["空格"]
    with pytest.raises(ValueError):
        describe("龚正", "龚")


def test_shipped_table_matches_generator():
    """Runs where the build-time tool is installed (pip install opencc==1.4.2); skipped elsewhere."""
    pytest.importorskip("opencc")
    import importlib.util

    from helpers import REPO

    spec = importlib.util.spec_from_file_location("make_normalize_table", REPO / "bench" / "make_normalize_table.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    if gen.OUT.read_text(encoding="utf-8") != gen.render(gen.build()[0]):
        pytest.fail("errscan/data/fold.tsv is out of date: run python bench/make_normalize_table.py")


def test_fold_returns_the_same_object_when_nothing_changes():
    for text in ("中华人民共和国", "𠀋中国", "", "abc，。"):
        assert fold(text) is text
    assert fold("中華") == "中华"


@pytest.mark.parametrize("tested", [0, normalize._SHORT_TOTAL])
@pytest.mark.parametrize("size", [10, 19_999, 20_000, 60_000])
def test_short_and_long_texts_fold_alike(size: int, tested: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Short texts take a set test, long ones a regex over runs: both give the per-character fold. A process
    that has set-tested _SHORT_TOTAL characters (a service) takes the regex for short texts too."""
    unit = "中華人民共和國２０２４年，鍾錶與钟表。"
    text = (unit * (size // len(unit) + 1))[:size]
    expected = "".join(fold(c) for c in text)
    regex, searched = normalize._runs, []
    monkeypatch.setattr(normalize, "_runs", lambda: searched.append(1) or regex())
    monkeypatch.setattr(normalize, "_set_tested", tested)
    assert fold(text) == expected
    plain = ("中华人民共和国" * (size // 7 + 1))[:size]
    assert fold(plain) is plain
    assert len(searched) == (2 if size >= 20_000 or tested else 0)


@given(st.text(alphabet="中华人民共和国 \u3000\u00a0\u200ba1，𠀀⺀〇", max_size=40))
def test_squeeze_alike_by_the_spaces_regex_and_by_the_han_class(text: str) -> None:
    """A draft's squeeze finds its spaces by a regex of spaces alone and tells Han by code point; a process that
    has compiled the Han class (a long text came) uses it: the same text and map either way."""
    normalize._gap_patterns.cache_clear()
    cheap = squeeze(text)
    assert normalize._gap_patterns.cache_info().currsize == 0  # the Han class was not compiled
    normalize._gap_patterns()
    full = squeeze(text)
    assert cheap[0] == full[0]
    assert (None if cheap[1] is None else list(cheap[1])) == (None if full[1] is None else list(full[1]))
