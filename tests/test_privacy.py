"""Privacy detector: exact (rule, start, end) of every hit, never counts."""

from __future__ import annotations

import re
from datetime import date
from itertools import product

import pytest
from helpers import SHARED

from errscan.detectors.privacy import (
    Hit,
    detect,
    luhn_ok,
    org_code_check_char,
    uscc_check_char,
    valid_id18,
    valid_uscc,
)
from errscan.model import Severity

TODAY = date(2024, 6, 1)

# --- building valid numbers independently of the module ---------------------------------------------------


def id18(first17: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11]


def luhn(partial: str) -> str:
    """partial + the Luhn check digit."""
    for d in "0123456789":
        digits = [int(c) for c in reversed(partial + d)]
        total = sum(digits[0::2]) + sum(sum(divmod(2 * x, 10)) for x in digits[1::2])
        if total % 10 == 0:
            return partial + d
    raise AssertionError


def uscc(first17: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [3**i % 31 for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    total = sum(alphabet.index(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + alphabet[(31 - total % 31) % 31]


ID = id18("11010519900307123")  # a male born 1990-03-07 in 朝阳区
ID_X = "11010519491231002X"  # the example of GB 11643-1999
CARD = luhn("622202123456789012")  # 19 digits, UnionPay
USCC = "91350100M000100Y43"  # published example


def check(text: str, expected: list[tuple[str, int, int]], today: date = TODAY) -> list[Hit]:
    hits = detect(text, today=today)
    assert [(h.rule, h.start, h.end) for h in hits] == expected
    return hits


def at(text: str, value: str) -> tuple[int, int]:
    i = text.index(value)
    return i, i + len(value)


# --- the check characters ------------------------------------------------------------------------------------


def test_builders_agree_with_published_examples():
    assert id18("11010519491231002") == ID_X
    assert id18("44052418800101001") == "440524188001010014"  # the standard's second example
    assert uscc("91350100M000100Y4") == USCC
    assert valid_uscc(USCC)
    assert org_code_check_char("M000100Y") == "4"
    assert uscc_check_char(USCC[:17]) == "3"
    assert luhn_ok("4111111111111111") and luhn_ok("5555555555554444") and not luhn_ok("4111111111111112")
    assert luhn_ok(CARD) and len(CARD) == 19


# --- 18-character IDs ---------------------------------------------------------------------------------------


def test_valid_id_exact_position_and_mask():
    text = f"申请人王某，身份证号：{ID}，住址略。"
    (hit,) = check(text, [("privacy/id-card", *at(text, ID))])
    assert hit.severity is Severity.ERROR and hit.pii
    assert hit.masked == ID[:6] + "********" + ID[-4:]
    assert hit.masked in hit.message and "身份证" in hit.message


@pytest.mark.parametrize("value", [ID_X, ID_X.lower()])
def test_x_check_character(value):
    text = f"公民身份号码{value}。"
    (hit,) = check(text, [("privacy/id-card", 6, 24)])
    assert hit.masked == "110105********002X"


def test_wrong_check_character_not_reported():
    wrong = ID[:17] + ("0" if ID[17] != "0" else "1")
    check(f"身份证号：{wrong}", [])
    check(f"身份证号：{ID_X[:17]}1", [])


def test_impossible_and_future_dates_not_reported():
    for first17 in ("11010519990230123", "11010519991301123", "11010518991231123", "11010520240602123"):
        check(f"身份证号：{id18(first17)}", [])
    born_today = id18("11010520240601123")
    check(f"身份证号：{born_today}", [("privacy/id-card", 5, 23)])
    check(f"身份证号：{born_today}", [], today=date(2024, 5, 31))
    assert not valid_id18("440524188001010014", TODAY)  # valid check character, born 1880


def test_unknown_province_not_reported():
    for prefix in ("10", "16", "24", "38", "55", "66", "80", "84", "99"):
        check(id18(prefix + "010519900307123"), [])


def test_residence_permit_83():
    value = id18("83000019900307123")
    (hit,) = check(f"居住证号码{value}", [("privacy/id-card", 5, 23)])
    assert "居住证" in hit.message


@pytest.mark.parametrize("text", [f"1{ID}", f"{ID}9", f"A{ID}", f"{ID}b", f"NO.{ID}0", f"{ID_X}1"])
def test_id_inside_longer_run_not_reported(text):
    check(text, [])


def test_id_next_to_punctuation_and_chinese():
    text = f"（{ID}）、{ID_X}号"
    check(text, [("privacy/id-card", 1, 19), ("privacy/id-card", 21, 39)])


# --- 15-digit IDs -------------------------------------------------------------------------------------------

OLD = "110105710923123"


def test_legacy_id_needs_keyword():
    (hit,) = check(f"身份证号码：{OLD}", [("privacy/id-card-15", 6, 21)])
    assert hit.masked == "110105*****3123"
    check(f"证件号 {OLD}", [("privacy/id-card-15", 4, 19)])
    check(f"编号：{OLD}", [])
    check(OLD, [])


def test_legacy_id_keyword_too_far():
    text = f"身份证复印件一份，另附材料编号共计：{OLD}"
    assert text.index(OLD) - len("身份证") > 12
    check(text, [])


def test_legacy_id_bad_date_or_province():
    check("身份证号：110105710230123", [])  # 1971-02-30
    check("身份证号：990105710923123", [])


# --- mobile numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+8613800138000", "8613800138000",
     "0086-13800138000", "(+86)13800138000", "+86-138-0013-8000"],
)
def test_mobile_formats(number):
    text = f"联系电话：{number}。"
    (hit,) = check(text, [("privacy/mobile", *at(text, number))])
    assert hit.masked == "138****8000"


@pytest.mark.parametrize("prefix", ["130", "145", "162", "166", "170", "178", "192", "199"])
def test_allocated_prefixes(prefix):
    check(f"{prefix}12345678", [("privacy/mobile", 0, 11)])


@pytest.mark.parametrize("prefix", ["120", "140", "144", "154", "160", "179", "194"])
def test_unallocated_prefixes(prefix):
    check(f"手机：{prefix}12345678", [])


@pytest.mark.parametrize(
    "text",
    ["13800138000123", "013800138000", "2023138001380001", "138 0013 80001", "138-0013 8000", "138001380000"],
)
def test_mobile_in_longer_run_not_reported(text):
    check(text, [])


@pytest.mark.parametrize(
    "text",
    ["请拨打12345政务服务便民热线", "报警电话110，急救电话120", "客服电话：400-810-8888", "800-820-8820",
     "咨询电话：0591-87654321", "监督电话：010-12345678", "咨询电话：0591-87654321、12345",
     "投诉电话（0591）87654321", "金额13800138000元", "比例为0.13800138000", "13800138000.5吨"],
)
def test_service_numbers_landlines_and_amounts_not_reported(text):
    check(text, [])


def test_two_mobiles_in_a_row():
    text = "电话 13800138000 13900139000"
    check(text, [("privacy/mobile", 3, 14), ("privacy/mobile", 15, 26)])


def test_statistics_row_is_not_a_grouped_mobile():
    check("合计 21 150 1234 5678 0", [])
    check("手机 150 1234 5678。", [("privacy/mobile", 3, 16)])


def test_table_rows():
    rows = [
        "序号\t姓名\t身份证号\t联系电话",
        f"1\t张三\t{ID}\t13800138000",
        f"2\t李四\t{ID_X}\t139-0013-9000",
        "| 3 | 王五 | 110105********1234 | 138****1234 |",
        f"| 4 | 赵六 | {ID} | 186 0013 8000 |",
    ]
    text = "\n".join(rows)
    lines = [0]
    for row in rows:
        lines.append(lines[-1] + len(row) + 1)
    expected = [
        ("privacy/id-card", lines[1] + 5, lines[1] + 23),
        ("privacy/mobile", lines[1] + 24, lines[1] + 35),
        ("privacy/id-card", lines[2] + 5, lines[2] + 23),
        ("privacy/mobile", lines[2] + 24, lines[2] + 37),
        ("privacy/id-card", lines[4] + 11, lines[4] + 29),
        ("privacy/mobile", lines[4] + 32, lines[4] + 45),
    ]
    check(text, expected)


# --- bank cards ---------------------------------------------------------------------------------------------


def test_card_with_keyword():
    text = f"收款人开户行：某某银行，卡号：{CARD}。"
    (hit,) = check(text, [("privacy/bank-card", *at(text, CARD))])
    assert hit.masked == CARD[:6] + "*" * 9 + CARD[-4:]


def test_card_in_groups_of_four():
    grouped = " ".join(CARD[i : i + 4] for i in range(0, 19, 4))
    text = f"银行卡号 {grouped}"
    (hit,) = check(text, [("privacy/bank-card", 5, 5 + len(grouped))])
    assert hit.masked == CARD[:6] + "*********" + CARD[-4:]
    visa = "4111 1111 1111 1111"
    check(f"账号：{visa}", [("privacy/bank-card", 3, 22)])


def test_card_without_keyword_or_keyword_too_far():
    check(f"编号{CARD}", [])
    check(CARD, [])
    check(f"账号信息详见附件第三部分的说明材料等内容：{CARD}", [])


def test_card_luhn_invalid_or_unknown_prefix():
    bad = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    check(f"卡号：{bad}", [])
    check(f"卡号：{luhn('123456789012345')}", [])  # no issuer starts with 1
    check(f"账号：{luhn('41111111111111111')}", [])  # Visa never has 18 digits


def test_card_length_number_that_is_an_id_is_an_id():
    # a Gansu ID (62...) that also passes Luhn: reported once, as an ID
    value = next(
        v for seq in range(1000) if luhn_ok(v := id18(f"62010219850101{seq:03d}"))
    )
    text = f"卡号：{value}"
    check(text, [("privacy/id-card", 3, 21)])


# --- unified social credit codes ----------------------------------------------------------------------------


def test_valid_uscc_is_public():
    computed = uscc("91110108" + "MA01ABCD" + org_code_check_char("MA01ABCD"))
    assert valid_uscc(computed)
    for code in (USCC, computed):
        check(f"统一社会信用代码：{code}", [])
        check(f"信用代码 {code}，账号 {code}", [])


def test_uscc_wrong_check_character_with_keyword():
    wrong = USCC[:17] + "4"
    text = f"某某有限公司（统一社会信用代码：{wrong}）"
    (hit,) = check(text, [("privacy/uscc-check", *at(text, wrong))])
    assert hit.severity is Severity.INFO and not hit.pii
    assert hit.masked == wrong
    assert "校验码" in hit.message and "“3”" in hit.message
    check(f"编号：{wrong}", [])


def test_all_digit_uscc_that_passes_the_id_check_too():
    # an 18-digit string valid both as a credit code and as an ID: public unless called an ID
    value = next(
        v
        for day, seq in product(range(1, 29), range(1000))
        if valid_uscc(v := id18(f"110105199003{day:02d}{seq:03d}"))
    )
    assert valid_id18(value, TODAY)
    check(f"统一社会信用代码：{value}", [])
    check(f"银行账号：{value}", [])  # never a card either
    check(f"身份证号：{value}", [("privacy/id-card", 5, 23)])


# --- masked values, full-width input, no leaks --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["138****1234", "138××××1234", "138••••1234", "138 **** 1234", "35*************123", "110105********1234",
     "110105********123X", "1101051990****1234", "110105••••••••1234", "张*", "李**", "卡号：622202*********0128",
     "卡号：6222 **** **** 0128", "身份证号：110105*****1002"],
)
def test_masked_values_not_reported(text):
    check(text, [])


def test_full_width_input_keeps_positions():
    wide = ID.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    text = f"身份证号：{wide}，电话１３８００１３８０００"
    hits = check(text, [("privacy/id-card", 5, 23), ("privacy/mobile", 26, 37)])
    assert hits[0].masked == ID[:6] + "********" + ID[-4:]


def test_values_never_leak_into_masked_or_message():
    old = "110105710923123"
    text = (
        f"身份证号：{ID}；{ID_X}；身份证 {old}；电话 +86 138 0013 8000、13900139000；"
        f"卡号 {CARD}；账号 4111 1111 1111 1111；信用代码 {USCC[:17]}4"
    )
    hits = detect(text, today=TODAY)
    rules = ("id-card", "id-card-15", "mobile", "bank-card", "uscc-check")
    assert {h.rule for h in hits} == {f"privacy/{r}" for r in rules}
    for h in hits:
        digits = re.sub(r"[^0-9Xx]", "", text[h.start : h.end])
        if h.pii:
            assert digits not in h.message and digits not in h.masked
            assert digits[-11:] not in h.message and digits[-11:] not in h.masked
            assert "*" in h.masked and h.masked in h.message
        else:
            assert h.masked == text[h.start : h.end]
    assert [h.start for h in hits] == sorted(h.start for h in hits)


# --- the clean corpus ---------------------------------------------------------------------------------------


def test_clean_corpus_false_positive_rate():
    root = SHARED / "corpus" / "clean"
    files = sorted(root.rglob("*.txt")) if root.is_dir() else []
    if not files:
        pytest.skip("shared corpus missing")
    chars, hits = 0, []
    for path in files:
        text = path.read_text(encoding="utf-8")
        chars += len(text)
        hits += [(path.name, h.rule, text[max(0, h.start - 20) : h.end + 5]) for h in detect(text)]
    rate = len(hits) / chars * 1e6
    print(f"\nprivacy: {len(hits)} hits in {chars:,} characters of {len(files)} files = {rate:.2f} per million")
    assert rate <= 1, hits
