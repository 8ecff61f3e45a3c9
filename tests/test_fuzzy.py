"""errscan.fuzzy: near-misses of names, divisions, idioms and set phrases, at exact offsets."""

from __future__ import annotations

import pytest
from helpers import SHARED, needs_shared

from errscan import fuzzy
from errscan.model import Severity

# (sentence, slip as written, suggestion, kind, lowest severity expected)
SLIPS = [
    ("我们要坚持中国共产常的领导。", "中国共产常", "中国共产党", "substitute", Severity.ERROR),
    ("中华人民大和国成立于一九四九年。", "中华人民大和国", "中华人民共和国", "substitute", Severity.WARNING),
    ("中共人民共和国是社会主义国家。", "中共人民共和国", "中华人民共和国", "substitute", Severity.INFO),
    ("全体党员要始终忠于中国共蝉党。", "中国共蝉党", "中国共产党", "substitute", Severity.ERROR),
    ("坚持杜会主义道路。", "杜会主义", "社会主义", "substitute", Severity.INFO),
    ("深入贯彻落实科学发展现。", "科学发展现", "科学发展观", "substitute", Severity.ERROR),
    ("坚决反对官僚主意。", "官僚主意", "官僚主义", "substitute", Severity.INFO),
    ("市攻府召开常务会议。", "攻府", "政府", "substitute", Severity.ERROR),
    ("他去年调到齐齐哈市工作。", "齐齐哈市", "齐齐哈尔市", "omit", Severity.ERROR),
    ("新家坡是东南亚国家。", "新家坡", "新加坡", "substitute", Severity.ERROR),
    ("伊拉客局势依然紧张。", "伊拉客", "伊拉克", "substitute", Severity.ERROR),
    ("高质量推进一路一带建设。", "一路一带", "一带一路", "swap", Severity.ERROR),
    ("认真贯切落实会议精神。", "贯切落实", "贯彻落实", "substitute", Severity.INFO),
    ("新建的大楼美轮美换。", "美轮美换", "美轮美奂", "substitute", Severity.INFO),
    ("群众义愤填鹰。", "义愤填鹰", "义愤填膺", "substitute", Severity.INFO),
    ("他做事忧柔寡断。", "忧柔寡断", "优柔寡断", "substitute", Severity.INFO),
    ("他们是企业的中流抵柱。", "中流抵柱", "中流砥柱", "substitute", Severity.INFO),
    ("我们要有破斧沉舟的决心。", "破斧沉舟", "破釜沉舟", "substitute", Severity.INFO),
    ("这样做事半工倍。", "事半工倍", "事半功倍", "substitute", Severity.INFO),
    ("社区干部对老人虚寒问暖。", "虚寒问暖", "嘘寒问暖", "substitute", Severity.INFO),
    ("依托政务服务平合办理。", "服务平合", "服务平台", "substitute", Severity.INFO),
    ("市防汛抗早指挥部发布通知。", "防汛抗早", "防汛抗旱", "substitute", Severity.INFO),
    # neighbours swapped and a character added, at each kind of key (pairs two apart, three-character keys to
    # the left or the right of the pair)
    ("中人华民共和国成立七十五周年。", "中人华民共和国", "中华人民共和国", "transpose", Severity.ERROR),
    ("中华民人共和国成立七十五周年。", "中华民人共和国", "中华人民共和国", "transpose", Severity.ERROR),
    ("全国人民代大表会召开。", "全国人民代大表会", "全国人民代表大会", "transpose", Severity.ERROR),
    ("全国人民代表大表会召开。", "全国人民代表大表会", "全国人民代表大会", "insert", Severity.WARNING),
]


@pytest.mark.parametrize(("text", "written", "suggest", "kind", "least"), SLIPS, ids=[s[1] for s in SLIPS])
def test_slip_found(text: str, written: str, suggest: str, kind: str, least: Severity) -> None:
    found = fuzzy.find(text)
    start = text.index(written)
    assert [(n.start, n.end, n.text, n.suggest, n.kind) for n in found] == [
        (start, start + len(written), written, suggest, kind)
    ]
    near = found[0]
    assert near.severity >= least
    assert near.text in near.message and near.suggest in near.message
    if near.severity == Severity.INFO:
        assert "疑似" in near.message
    fixed = text[: near.start] + near.suggest + text[near.end :]
    assert fuzzy.find(fixed) == []


def test_sound_or_shape_slip_on_a_serious_name_is_an_error() -> None:
    (near,) = fuzzy.find("我们要坚持中国共产常的领导。")
    assert near.severity == Severity.ERROR and near.relation in ("shape", "both") and near.set == "name"
    assert near.message == "“中国共产常”应为“中国共产党”（名称；第5字“党”误作形近字“常”）"


def test_dissimilar_substitution_is_not_an_error() -> None:
    (near,) = fuzzy.find("中华人民大和国成立于一九四九年。")
    assert near.relation is None and near.severity == Severity.WARNING


def test_idiom_slips_are_not_errors() -> None:
    for text, *_ in SLIPS:
        for near in fuzzy.find(text):
            if not fuzzy.SETS[near.set][1]:
                assert near.severity <= Severity.WARNING


CORRECTED = [text.replace(w, s, 1) for text, w, s, *_ in SLIPS]


@pytest.mark.parametrize("text", CORRECTED)
def test_correct_forms_not_flagged(text: str) -> None:
    assert fuzzy.find(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "他想办法轮流值班。",  # not 法轮
        "既使用了新方法，又提高了效率。",
        "海南省和河南省都是农业大省。",  # names one character apart: each is real
        "山西省与陕西省隔黄河相望。",
        "湖南省、湖北省、广东省、广西壮族自治区的代表出席。",
        "齐齐哈尔市、齐齐哈尔、哈尔滨市、佳木斯市位于黑龙江省。",
        "长春市和长沙市、吉林市和吉林省。",
        "中国共产主义青年团是中国共产党领导的先进青年的群众组织。",
        "金融和财政都必须实行紧缩的方针。",
        "坚持精准扶贫精准脱贫基本方略。",
        "努力实现祖国的和平统一。",
        "坚持依法治军、从严治军。",
        "在中国共产党的领导下，中华人民共和国各族人民团结奋斗。",
    ],
)
def test_negatives(text: str) -> None:
    assert fuzzy.find(text) == []


def test_empty_and_foreign_text() -> None:
    assert fuzzy.find("") == []
    assert fuzzy.find("Hello, world. 123 ABC") == []
    assert fuzzy.find("中") == []


def test_offsets_with_mixed_text() -> None:
    text = "2024年, Report：我们要坚持中国共产常的领导 😀 与伊拉客。"
    found = fuzzy.find(text)
    assert [text[n.start : n.end] for n in found] == ["中国共产常", "伊拉客"]
    assert [n.text for n in found] == ["中国共产常", "伊拉客"]


def test_near_is_frozen_and_ordered() -> None:
    found = fuzzy.find("新家坡和伊拉客。")
    assert [n.start for n in found] == sorted(n.start for n in found)
    with pytest.raises(AttributeError):
        found[0].start = 3  # type: ignore[misc]


def test_index_cached_on_disk() -> None:
    fuzzy.index()
    from errscan.lexicon.compile import _cache_dir

    assert list(_cache_dir().glob("fuzzy-*.pickle"))


CORPUS = SHARED / "corpus" / "clean"


@needs_shared
def test_clean_corpus_gate() -> None:
    """≤ 0.3 findings at warning or above and ≤ 3 at any severity per 100,000 characters of clean text."""
    files = sorted((CORPUS / "national_reports").glob("*.txt")) + sorted((CORPUS / "state_council_docs").glob("*.txt"))
    assert files
    chars = 0
    warn = other = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        chars += len(text)
        for near in fuzzy.find(text):
            if near.severity >= Severity.WARNING:
                warn += 1
            else:
                other += 1
    assert chars > 900_000
    assert warn / chars * 1e5 <= 0.3, warn
    assert (warn + other) / chars * 1e5 <= 3, warn + other


def test_known_words_answer_alike_searched_and_as_a_set() -> None:
    """index().known: a search of the joined names for a draft's first questions, a set after; one answer."""
    ix = fuzzy.index()
    whole = set(ix._extra) | set(ix._joined.split("\n"))
    names = ix._joined.split("\n")
    asked = [names[0], names[-1], names[len(names) // 2], ix._extra[0], ix._extra[-1], names[0][:-1],
             names[-1] + "国", "", "中", "中华人民大和国", "中国\n共产党", 7]
    known = fuzzy._Known(ix._joined, ix._extra)
    known.LOOKS = len(asked)
    first = [s in known for s in asked]
    assert known._set is None  # all answered by the search
    assert first == [s in whole for s in asked] == [True] * 5 + [False] * 7
    assert [s in known for s in asked] == first and known._set is not None


def test_a_form_the_lists_correct_is_never_the_canonical_one() -> None:
    """jieba's dictionary writes 戮力同心; since 2013 the standard is 勠力同心 (norms.yaml corrects the old form)."""
    from errscan.model import Document
    from errscan.run import Runner

    assert fuzzy.find("全县上下勠力同心抓落实。") == []
    runner = Runner(config=None, privacy=False)
    text = "全县上下戮力同心抓落实。"
    (f,) = runner.check(Document(text), "<t>").findings
    assert (f.offset, f.length, f.suggestions, f.severity) == (4, 4, ("勠力同心",), Severity.INFO)
    assert f.message.endswith("（未能确定文稿日期：2013-06-05以前成文的文稿写“戮力同心”是正确的，"
                              "可用 --as-of 指定日期）")
    assert not runner.check(Document("2010年3月1日\n" + text), "<t>").findings
    (f,) = runner.check(Document("全县上下戳力同心抓落实。"), "<t>").findings
    assert (f.offset, f.suggestions, f.severity) == (4, ("勠力同心",), Severity.WARNING)
    # an outdated name is right in its time: its slip is still one of it (the date then judges the name)
    assert [(n.start, n.suggest) for n in fuzzy.find("由国土资原部负责审批。")] == [(1, "国土资源部")]


@pytest.mark.parametrize(("text", "at", "written", "term"), [
    ("负责本单位机构编织工作的统筹。", 5, "机构编织", "机构编制"),
    ("抓好规划编织工作。", 2, "规划编织", "规划编制"),
    ("加强职业病防止工作。", 2, "职业病防止", "职业病防治"),
    ("推进自由贸易实验区建设。", 2, "自由贸易实验区", "自由贸易试验区"),
])
def test_a_terms_slip_that_reads_as_words_is_a_hint_where_the_model_reads_the_term_far_better(
    text: str, at: int, written: str, term: str,
) -> None:
    from errscan.model import Document
    from errscan.run import Runner

    (f,) = Runner(config=None, privacy=False).check(Document(text), "<t>").findings
    assert (f.offset, f.text, f.suggestions, f.severity, f.list_id) == (at, written, (term,), Severity.INFO, "fuzzy")
    assert "疑似" in f.message
    slips: list[fuzzy.Near] = []
    assert fuzzy.find(text, slips) == [] and (at, term) in [(n.start, n.suggest) for n in slips]
    assert not Runner(config=None, privacy=False, lm=False).check(Document(text), "<t>").findings  # no judge


@pytest.mark.parametrize("text", [
    "她用毛线编织了一件毛衣。", "编织工作由妇联负责，共编织手工艺品三千件。", "今后水库进一步抬高水位。",
    "开展机构编制工作。",
])
def test_words_that_are_not_a_terms_slip(text: str) -> None:
    from errscan.model import Document
    from errscan.run import Runner

    assert not Runner(config=None, privacy=False).check(Document(text), "<t>").findings
