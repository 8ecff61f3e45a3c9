"""Canonical lists and their generated slips: caught with the right suggestion, never on correct text."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SHARED, spans

from errscan import Scanner
from errscan.explain import explain
from errscan.lexicon import ListLoadError, builtin_dir, load_lexicon
from errscan.lexicon.generate import Words, generate, variants
from errscan.lexicon.load import list_files, load_list
from errscan.lexicon.schema import GenerateSpec
from errscan.quoted import FORMULATIONS

CORPUS = SHARED / "corpus" / "clean"


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


@pytest.mark.parametrize(
    ("text", "expected", "suggestion"),
    [
        # a sound-alike in the country's name (和 -> 何)
        ("热烈庆祝\n中华人民共何国成立七十五周年。", [("protected-names/中华人民共何国", 2, 1)], "中华人民共和国"),
        # a dropped character in a prefecture's name
        ("根据石庄市人民政府的通知，", [("protected-divisions/石庄市", 1, 3)], "石家庄市"),
        # a look-alike in an organ's name (办 -> 协)
        ("经国务院协公厅批准，现予印发。", [("protected-names/国务院协公厅", 1, 2)], "国务院办公厅"),
        # two adjacent characters swapped in a formulation
        ("深入学习贯彻习近平新时代中国特色会社主义思想。",
         [("protected-formulations/习近平新时代中国特色会社主义思想", 1, 7)], "习近平新时代中国特色社会主义思想"),
        # a look-alike in a leader's name
        ("习斤平同志强调，", [("protected-leaders/习斤平", 1, 1)], "习近平"),
    ],
)
def test_generated_slips_are_caught(scanner: Scanner, text: str, expected: list, suggestion: str) -> None:
    found = scanner.scan_text(text)
    assert spans(found) == expected
    assert found[0].suggestions == (suggestion,)
    assert "生成" in found[0].message and found[0].severity.label == "error"


@pytest.mark.parametrize(
    "text",
    [
        "中华人民共和国成立七十五周年。",
        "石家庄市人民政府关于印发实施方案的通知",
        "石家庄是河北省省会。",  # 石家庄市 with 市 -> 是 is never generated
        "经国务院办公厅批准，现予印发。",
        "习近平同志强调，要坚持以人民为中心的发展思想。",
        "维护正常的市场秩序。",  # 常德市 -> 常的市 would fire here
        "向全体中华人民和国际友人致以问候。",
    ],
)
def test_correct_names_and_contexts_are_not_flagged(scanner: Scanner, text: str) -> None:
    assert spans(scanner.scan_text(text)) == []


def test_every_canonical_name_scans_clean(scanner: Scanner) -> None:
    names = [c.name for p in list_files(builtin_dir()) for c in load_list(p, builtin=True).canonical]
    assert len(names) > 800
    flagged = [(n, f.rule) for n in names for f in scanner.scan_text(n)]
    # a slogan written bare (一带一路, 增强四个意识) wants its quotation marks, nothing else (test_quoted.py)
    assert [(n, r) for n, r in flagged if not r.startswith("quoted/")] == []
    assert {r for _, r in flagged} <= {f"quoted/{name}" for name in FORMULATIONS}


def test_hand_written_entry_wins_over_its_generated_duplicate() -> None:
    lex = load_lexicon([])
    matches = [m for m in lex.entries.matches()]  # type: ignore[attr-defined]
    assert len(matches) == len(set(matches))
    entry = lex.entries[lex.automaton.get("中华人民共合国".encode().decode("latin-1"))]  # type: ignore[attr-defined]
    assert entry.list_id == "serious" and not entry.origin


def test_generated_counts_are_reported() -> None:
    lex = load_lexicon([])
    by_id = {i.id: i for i in lex.lists}
    assert by_id["protected-names"].generated > 1000
    assert by_id["serious"].generated == 0
    assert sum(i.generated for i in lex.lists) == lex.entries.generated_count  # type: ignore[attr-defined]


def test_variants_never_drop_an_end_and_respect_lengths() -> None:
    words = Words()
    from errscan.lexicon.generate import Confusion

    conf = Confusion(words.common, words.char_freq)
    made = {v.match: v for v in variants("石家庄市", GenerateSpec(), conf)}
    assert "石庄市" in made and "家庄市" not in made and "石家庄" not in made
    assert "时家庄市" in made and made["时家庄市"].method == "pinyin"
    assert variants("李强", GenerateSpec(), conf) == []
    assert all(v.method != "omit" for v in variants("唐山市", GenerateSpec(), conf))


def test_reads_as_words() -> None:
    words = Words()
    assert words.reads_as_words("石家庄是")
    assert words.reads_as_words("中华人民和国")
    assert not words.reads_as_words("中华人民共何国")


def test_exclude_and_user_canonical_list(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "id: mine\ncategory: serious\nseverity: error\ngenerate: {substitute: [pinyin], omit: true}\n"
        "entries:\n  - name: 某某县人民政府\n    exclude: [某某县人民正府]\n",
        encoding="utf-8",
    )
    lex = load_lexicon([path], builtin=False, cache=False)
    matches = set(lex.entries.matches())  # type: ignore[attr-defined]
    assert "某某县人民正府" not in matches and "某某县人敏政府" in matches
    assert lex.lists[0].entries == 1 and lex.lists[0].generated == len(matches)


def test_bad_generate_header_is_a_list_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: bad\ncategory: serious\ngenerate: {substitute: [wubi]}\nentries: [某某]\n", encoding="utf-8")
    with pytest.raises(ListLoadError, match="substitute"):
        load_lexicon([path], builtin=False, cache=False)


def test_explain() -> None:
    lex = load_lexicon([])
    text = explain(lex, "中华人民共何国")
    assert "中华人民共和国" in text and "第6字“和”误作同音字“何”" in text and "protected-names" in text
    assert "手工收录" in explain(lex, "中华人民共合国")
    assert "规范名称" in explain(lex, "中华人民共和国")
    assert "已被剔除" in explain(lex, "石家庄是")
    assert "不在已加载的词表中" in explain(lex, "今天天气很好")


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout")
def test_no_generated_variant_occurs_in_the_clean_corpus() -> None:
    """The curation check: a generated slip found verbatim in real official text goes into `exclude`."""
    import ahocorasick

    lists = [load_list(p, builtin=True) for p in list_files(builtin_dir())]
    known = {s for wl in lists for e in wl.entries for s in e.suggest}
    auto = ahocorasick.Automaton()
    for result in generate(lists, known).values():
        for e in result.entries:
            auto.add_word(e.match, e.match)
    auto.make_automaton()
    hits = set()
    for path in sorted(CORPUS.rglob("*.txt")):
        hits |= {m for _, m in auto.iter(path.read_text(encoding="utf-8"))}
    assert sorted(hits) == []
