"""Personal data in official text: resident ID numbers, mobile numbers, bank card numbers.

Pure functions, stdlib ``re`` only. One regex pass per detector over the whole text; the candidates are rare
and each is validated in Python (check characters, dates, prefixes, a keyword before it).

Rules (category ``privacy``):

- ``privacy/id-card`` (error): 18-character resident ID number, GB 11643-1999. First two digits a province
  code of GB/T 2260: 11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71 (Taiwan, listed in GB/T 2260), and 81, 82,
  83: since 2018 the residence permits for Hong Kong, Macao and Taiwan residents carry an 18-character
  number in the same format, with 810000 / 820000 / 830000 as address code; they are personal data too.
  A real birth date (1900 ≤ year, not after today), the check character (X/x accepted). The county code is
  not checked: old codes stay on cards for life.
- ``privacy/id-card-15`` (error): 15-digit ID number (before 1999): province code, YYMMDD read as 19YY,
  three digits; only with a keyword (身份证, 证件号, 身份号码 …) at most 12 characters before it.
- ``privacy/mobile`` (error): 11-digit mobile number in an allocated segment (list below), optionally after
  +86 / 86 / 0086 / (+86), written solid or in 3-4-4 groups with spaces or hyphens. Landlines (0…),
  service numbers (110, 12345, 400/800 …) never match.
- ``privacy/bank-card`` (error): 16–19 digits (solid, or groups of 4 with spaces or hyphens), Luhn valid,
  a plausible issuer prefix (list below), a keyword (卡号, 账号, 开户行 …) at most 16 characters before,
  and not a valid 18-character ID number or unified social credit code.
- ``privacy/uscc-check`` (info, not personal): an 18-character unified social credit code (GB 32100-2015)
  right after 统一社会信用代码/信用代码 (at most 16 characters), of the right shape, with a wrong check
  character: a slip when the code was typed. Valid codes are public and never reported.

Digits must not be part of a longer run: no digit or ASCII letter right before or after (phones: no digit).
Masked values (138****1234, 110105********123X, 138××××1234) break the digit run and never match.
Full-width digits and letters are folded first (one-to-one, offsets unchanged) if the text has any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from errscan.model import Severity

# --- rules' shared vocabulary -------------------------------------------------------------------------------

PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54}
    | {61, 62, 63, 64, 65, 71, 81, 82, 83}
)
RESIDENCE_PERMITS = frozenset({81, 82, 83})  # 港澳台居民居住证

# Mobile segments allocated by MIIT as of 2024 (three-digit prefixes, 11-digit numbers):
# 中国移动 134–139 147 148 150–152 157–159 165 172 178 182–184 187 188 195 197 198
# 中国联通 130–132 145 146 155 156 166 167 171 175 176 185 186 196
# 中国电信 133 149 153 162 173 174 177 180 181 189 190 191 193 199;  中国广电 192;  virtual operators 170.
# Not allocated: 140–144 (13-digit IoT), 154, 160, 161, 163, 164, 168, 169, 179, 194.
MOBILE_PREFIXES = frozenset(
    set(range(130, 140)) | {145, 146, 147, 148, 149} | {150, 151, 152, 153, 155, 156, 157, 158, 159}
    | {162, 165, 166, 167} | set(range(170, 179)) | set(range(180, 190))
    | {190, 191, 192, 193, 195, 196, 197, 198, 199}
)

# Issuer prefixes: UnionPay 62 and 60 (Chinese debit BINs such as 601382 BOC, 601428 BoCom, 603367),
# Visa 4, Mastercard 51–55 and 2221–2720, JCB 3528–3589, China Merchants 690755, and the legacy
# 19-digit domestic BINs 9558 (ICBC), 95595–95599 (ABC and others), 955100 (PSBC): all start with 955.
# Lengths by issuer: Visa 16 or 19 (CCB 龙卡 436742 has 19), Mastercard and JCB 16, legacy 955 19 digits;
# the tighter lengths keep out corporate account numbers (often 17–18 digits) that pass Luhn by chance.
CARD_PREFIXES = (
    (re.compile(r"6[02]|690755"), frozenset({16, 17, 18, 19})),
    (re.compile(r"4"), frozenset({16, 19})),
    (re.compile(r"5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|35(?:2[89]|[3-8]\d)"), frozenset({16})),
    (re.compile(r"955"), frozenset({19})),
)

ID_KEYWORDS = ("身份证", "证件号", "身份号码", "证件号码", "公民身份")
CARD_KEYWORDS = ("卡号", "银行卡", "账号", "帐号", "开户行", "账户", "帐户", "借记卡", "信用卡", "储蓄卡", "存折")
USCC_KEYWORDS = ("统一社会信用代码", "信用代码")
ID_WINDOW, CARD_WINDOW, USCC_WINDOW = 12, 16, 16

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997, the organisation code inside a USCC

_FULLWIDTH_RUN = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff0b\uff0d]+")
_FOLD = {c: c - 0xFEE0 for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}
_FOLD |= {0xFF0B: ord("+"), 0xFF0D: ord("-")}

# Each pattern starts with a character class (fast scanning), then looks back past it for the boundary.
_ID18 = re.compile(r"[1-8](?<![0-9A-Za-z].)[0-9]{16}[0-9Xx](?![0-9A-Za-z])")
_ID15 = re.compile(r"[1-8](?<![0-9A-Za-z].)[0-9]{14}(?![0-9A-Za-z])")
_MOBILE = re.compile(  # optional +86, 86, 0086, (+86), (0086); then 1 and ten digits, solid or 3-4-4
    r"[+(018](?<![0-9].)(?:(?<=[+(])\+?(?:00)?86\)?[ -]?1|(?<=0)086[ -]?1|(?<=8)6[ -]?1|(?<=1))"
    r"([3-9][0-9])([ -]?)([0-9]{4})\2([0-9]{4})(?![0-9])"
)
_CARD = re.compile(
    r"[2-69](?<![0-9A-Za-z].)(?<![0-9][ -].)"
    r"(?:[0-9]{3}([ -])[0-9]{4}\1[0-9]{4}\1[0-9]{4}(?:\1[0-9]{1,3})?|[0-9]{15,18})"
    r"(?![0-9A-Za-z]|[ -][0-9])"
)
_ROW_BEFORE = re.compile(r"[0-9][ -]$")
_ROW_AFTER = re.compile(r"[ -][0-9]")
_USCC = re.compile(r"[1-9ANY](?<![0-9A-Za-z].)[1-9][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Hit:
    start: int  # 0-based code point offsets into the text given
    end: int
    rule: str
    severity: Severity
    message: str  # Chinese, for clerks; never contains the value itself
    masked: str  # what outputs show instead of the value
    pii: bool  # personal data: shown masked unless the user asks otherwise


def detect(text: str, *, today: date | None = None) -> list[Hit]:
    """All privacy hits in text, sorted by position. today: the limit for birth dates (default: today)."""
    # full-width digits and letters folded run by run (one translate() of a whole window: ~0.1 µs a character)
    text = _FULLWIDTH_RUN.sub(lambda m: m.group().translate(_FOLD), text)
    today = today or date.today()
    hits = [
        *id_cards(text, today),
        *legacy_id_cards(text),
        *mobiles(text),
        *bank_cards(text, today),
        *uscc_slips(text, today),
    ]
    return sorted(hits, key=lambda h: (h.start, h.end, h.rule))


# --- detectors ----------------------------------------------------------------------------------------------


def id_cards(text: str, today: date) -> list[Hit]:
    hits = []
    for m in _ID18.finditer(text):
        value = m.group().upper()
        if not valid_id18(value, today):
            continue
        if valid_uscc(value) and not _keyword_before(text, m.start(), ID_KEYWORDS, ID_WINDOW):
            continue  # also a valid credit code (about 1 in 340 IDs of some provinces); public
        masked = mask(value, 6, 4)
        what = "港澳台居民居住证号码" if int(value[:2]) in RESIDENCE_PERMITS else "居民身份证号码"
        message = f"公开内容含完整的{what}，应删除或隐藏部分数字（如 {masked}）。"
        hits.append(Hit(m.start(), m.end(), "privacy/id-card", Severity.ERROR, message, masked, True))
    return hits


def legacy_id_cards(text: str) -> list[Hit]:
    hits = []
    for m in _ID15.finditer(text):
        value = m.group()
        if not valid_id15(value) or not _keyword_before(text, m.start(), ID_KEYWORDS, ID_WINDOW):
            continue
        masked = mask(value, 6, 4)
        message = f"公开内容含完整的15位居民身份证号码，应删除或隐藏部分数字（如 {masked}）。"
        hits.append(Hit(m.start(), m.end(), "privacy/id-card-15", Severity.ERROR, message, masked, True))
    return hits


def mobiles(text: str) -> list[Hit]:
    hits = []
    for m in _MOBILE.finditer(text):
        if int("1" + m.group(1)) not in MOBILE_PREFIXES or _in_number(text, m.start(), m.end()):
            continue
        if m.group(2) and _in_row(text, m.start(), m.end()):
            continue  # "150 1234 5678" among other numbers: three cells of a table row
        masked = f"1{m.group(1)}****{m.group(4)}"
        message = f"公开内容含完整的手机号码，应删除或隐藏中间四位（如 {masked}）。"
        hits.append(Hit(m.start(), m.end(), "privacy/mobile", Severity.ERROR, message, masked, True))
    return hits


def bank_cards(text: str, today: date) -> list[Hit]:
    hits = []
    for m in _CARD.finditer(text):
        digits = re.sub("[ -]", "", m.group())
        if not (plausible_card(digits) and luhn_ok(digits)):
            continue
        if len(digits) == 18 and (valid_id18(digits, today) or valid_uscc(digits)):
            continue
        if not _keyword_before(text, m.start(), CARD_KEYWORDS, CARD_WINDOW):
            continue
        masked = mask(digits, 6, 4)
        message = f"公开内容含完整的银行卡号，应删除或隐藏部分数字（如 {masked}）。"
        hits.append(Hit(m.start(), m.end(), "privacy/bank-card", Severity.ERROR, message, masked, True))
    return hits


def uscc_slips(text: str, today: date) -> list[Hit]:
    hits = []
    for m in _USCC.finditer(text):
        value = m.group()
        expected = uscc_check_char(value[:17])
        if value[17] == expected or valid_id18(value, today):
            continue
        if not _keyword_before(text, m.start(), USCC_KEYWORDS, USCC_WINDOW):
            continue
        message = f"统一社会信用代码的校验码（第18位）不对：按前17位应为“{expected}”，可能录入有误，请核对原件。"
        hits.append(Hit(m.start(), m.end(), "privacy/uscc-check", Severity.INFO, message, value, False))
    return hits


# --- check characters and dates -----------------------------------------------------------------------------


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def valid_id18(value: str, today: date) -> bool:
    """An 18-character resident ID number: province, birth date, check character (X upper or lower)."""
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    return (
        int(value[:2]) in PROVINCES
        and _valid_date(int(value[6:10]), int(value[10:12]), int(value[12:14]), today)
        and id_check_char(value[:17]) == value[17].upper()
    )


def valid_id15(value: str) -> bool:
    """A 15-digit ID number: province, birth date YYMMDD in 19YY. No check character existed."""
    return (
        len(value) == 15
        and value.isascii()
        and value.isdigit()
        and int(value[:2]) in PROVINCES
        and _valid_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]), date.max)
    )


def luhn_ok(digits: str) -> bool:
    if not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def plausible_card(digits: str) -> bool:
    """An issuer prefix we know, at a length that issuer uses."""
    return any(prefix.match(digits) and len(digits) in lengths for prefix, lengths in CARD_PREFIXES)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    return "0123456789X"[(11 - total % 11) % 11]


def valid_uscc(value: str) -> bool:
    """A unified social credit code whose two check characters (its own, and the organisation code's) hold."""
    return (
        len(value) == 18
        and all(c in USCC_ALPHABET for c in value)
        and uscc_check_char(value[:17]) == value[17]
        and org_code_check_char(value[8:16]) == value[16]
    )


def mask(value: str, head: int, tail: int) -> str:
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def _valid_date(year: int, month: int, day: int, today: date) -> bool:
    if year < 1900:
        return False
    try:
        return date(year, month, day) <= today
    except ValueError:
        return False


def _keyword_before(text: str, start: int, keywords: tuple[str, ...], window: int) -> bool:
    """A keyword ends at most window characters before start."""
    before = text[max(0, start - window - 8) : start]
    for kw in keywords:
        i = before.rfind(kw)
        if i >= 0 and len(before) - (i + len(kw)) <= window:
            return True
    return False


def _in_row(text: str, start: int, end: int) -> bool:
    """Space- or hyphen-separated numbers go on before or after: 21 150 1234 5678 0."""
    return bool(_ROW_BEFORE.search(text, max(0, start - 2), start) or _ROW_AFTER.match(text, end))


def _in_number(text: str, start: int, end: int) -> bool:
    """Part of a decimal or an amount: 0.13800138000, 13800138000.5, 13800138000元."""
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    if len(before) == 2 and before[1] == "." and before[0].isdigit():
        return True
    if len(after) == 2 and after[0] == "." and after[1].isdigit():
        return True
    return after[:1] in ("元", "万", "亿")


def mask_text(text: str) -> str:
    """`text` with every personal value (ID, mobile, bank card numbers) in its masked form, same length: what
    any text leaving errscan other than a finding passes through (answers' text, document titles and metadata,
    diffs, echoes), whatever lists or settings a check used."""
    hits = [h for h in detect(text) if h.pii] if text else []
    if not hits:
        return text
    parts, at = [], 0
    for h in hits:  # sorted, and never overlapping (detect resolves overlaps)
        if h.start < at:
            continue
        masked = h.masked if len(h.masked) == h.end - h.start else "*" * (h.end - h.start)
        parts += [text[at : h.start], masked]
        at = h.end
    parts.append(text[at:])
    return "".join(parts)

