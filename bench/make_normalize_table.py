"""Build errscan/data/fold.tsv, the one-to-one character table behind errscan.normalize.fold.

    pip install opencc==1.4.2      # build-time only; errscan never imports it
    python bench/make_normalize_table.py [--check]

Sources:
- tgscc.json (../shared/data/tgscc): 《通用规范汉字表》 traditional -> simplified, variant -> standard, the 8,105
  standard characters and the table's 52 notes. From Fusyong/ai-proofread-vscode-extension, MIT License.
- OpenCC (PyPI `opencc`, data Apache-2.0): every CJK code point converted ALONE with t2s, tw2s and hk2s; only
  single character -> single character results are kept (phrase conversion never enters the table).
- Unicode: CJK compatibility ideographs (canonical singletons) and Kangxi radicals (compatibility singletons),
  decomposed one character at a time; never NFKC on text.

A character is folded only when every source that knows it agrees on ONE target, the character is not itself a
standard character of 通用规范汉字表 (乾, 著, 於, 瞭, 藉, 覆, 麽 ... stay), and the table's notes give it no second
use (鍾 -> 钟 or 锺, 蘋 -> 苹 or 𬞟 ...). Chains are resolved (compatibility 豈 -> 豈 -> 岂), so fold is idempotent.
With --check the script rebuilds the table in memory and exits 1 if the shipped file differs.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TGSCC = ROOT.parent / "shared" / "data" / "tgscc" / "tgscc.json"
OUT = ROOT / "errscan" / "data" / "fold.tsv"

RANGES = [
    (0x3400, 0x4DBF),  # Ext A
    (0x4E00, 0x9FFF),  # URO
    (0xF900, 0xFAFF),  # compatibility ideographs
    (0x20000, 0x2FA1F),  # Ext B..F and compatibility supplement
    (0x30000, 0x3134F),  # Ext G
]
KANGXI = (0x2E80, 0x2FDF)  # CJK radicals supplement + Kangxi radicals

# Noted in 通用规范汉字表 but folded anyway: the note only reserves a rare surname form (缐), while 線 -> 线 is
# what every traditional page means.
NOTE_OVERRIDES = {"線": "线"}

KINDS = {"t": "繁体", "v": "异体字", "c": "兼容字符"}


def opencc_singles(converters, ch: str) -> set[str]:
    out = set()
    for conv in converters:
        r = conv.convert(ch)
        if len(r) == 1 and r != ch:
            out.add(r)
    return out


def build() -> tuple[dict[str, tuple[str, str]], dict[str, list[str]]]:
    import opencc

    convs = [opencc.OpenCC(name) for name in ("t2s", "tw2s", "hk2s")]
    data = json.loads(TGSCC.read_text(encoding="utf-8"))
    standard = set(data["tgscc_list"])
    notes = set(data["notes"])
    t2s, v2s = data["traditional_to_simplified"], data["variant_to_simplified"]
    s2t = data["simplified_to_traditional"]

    skipped: dict[str, list[str]] = {"standard": [], "noted": [], "ambiguous": []}
    table: dict[str, tuple[str, str]] = {}
    codepoints = [cp for lo, hi in RANGES for cp in range(lo, hi + 1)]
    for cp in codepoints:
        ch = chr(cp)
        decomp = unicodedata.decomposition(ch)
        if cp >= 0xF900 and decomp and " " not in decomp and not decomp.startswith("<"):
            table[ch] = (chr(int(decomp, 16)), "c")  # compatibility ideograph, resolved below
            continue
        tg = set(t2s.get(ch, [])) | set(v2s.get(ch, []))
        oc = opencc_singles(convs, ch)
        if not tg and not oc:
            continue
        targets = (tg | oc) - {ch}
        if ch in standard:
            if targets:
                skipped["standard"].append(ch)
            continue
        if ch in NOTE_OVERRIDES:
            table[ch] = (NOTE_OVERRIDES[ch], "t")
            continue
        if ch in notes:
            skipped["noted"].append(ch)
            continue
        if len(targets) != 1 or ch in tg:  # tgscc keeping ch as one reading means it is ambiguous
            skipped["ambiguous"].append(ch + "→" + "/".join(sorted(targets | (tg & {ch}))))
            continue
        target = next(iter(targets))
        if ch in t2s:
            kind = "t"
        elif ch in v2s:
            kind = "v"
        else:  # OpenCC only: 繁体 if the target has a 繁体 form in 通用规范汉字表 (為 -> 为), else 异体字 (拚 -> 拼)
            kind = "t" if target in s2t else "v"
        table[ch] = (target, kind)
    for cp in range(KANGXI[0], KANGXI[1] + 1):
        decomp = unicodedata.decomposition(chr(cp))
        if decomp.startswith("<compat> ") and " " not in decomp[9:]:
            table[chr(cp)] = (chr(int(decomp[9:], 16)), "c")
    # resolve chains so that fold(fold(t)) == fold(t); the kind of the first step is kept
    for ch, (dst, kind) in list(table.items()):
        seen = {ch}
        while dst in table and dst not in seen:
            seen.add(dst)
            dst = table[dst][0]
        if dst in seen:
            raise SystemExit(f"cycle through {ch}")
        table[ch] = (dst, kind)
    bad = [ch for ch in table if ch in standard]
    if bad:
        raise SystemExit(f"standard characters in the table: {''.join(bad)}")
    return table, skipped


def render(table: dict[str, tuple[str, str]]) -> str:
    import opencc

    head = [
        "# errscan fold table: one character -> one character (errscan/normalize.py). Generated by",
        "# bench/make_normalize_table.py; do not edit by hand.",
        "# Sources: 通用规范汉字表 data tgscc.json from Fusyong/ai-proofread-vscode-extension (MIT License);",
        f"# OpenCC {opencc.__version__} t2s/tw2s/hk2s single-character conversions (OpenCC data: Apache-2.0);",
        "# Unicode compatibility-ideograph and Kangxi-radical decompositions.",
        "# Columns: source, target, kind (t 繁体, v 异体字, c 兼容字符).",
    ]
    rows = [f"{ch}\t{dst}\t{kind}" for ch, (dst, kind) in sorted(table.items(), key=lambda kv: ord(kv[0]))]
    return "\n".join(head + rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="exit 1 if the shipped table differs")
    ap.add_argument("--show-skipped", action="store_true")
    args = ap.parse_args()
    table, skipped = build()
    text = render(table)
    kinds = {k: sum(1 for _, kd in table.values() if kd == k) for k in KINDS}
    print(f"{len(table)} rows {kinds}; skipped " + ", ".join(f"{k} {len(v)}" for k, v in skipped.items()))
    if args.show_skipped:
        for k, v in skipped.items():
            print(f"{k}: {' '.join(v)}")
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print("table up to date" if same else "table differs: rebuild it")
        return 0 if same else 1
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text.encode('utf-8'))} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
