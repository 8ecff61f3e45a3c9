"""Throughput of errscan.normalize.fold and squeeze. Prints MB/s (of UTF-8 input); asserts nothing.

    python bench/bench_normalize.py [--mb 20]

Builds a deterministic Chinese text from jieba's dictionary words (as bench_scan.py does), in variants:
with nothing to fold; as built (jieba's dictionary has some 繁体 and mojibake); with a full-width number
every ~2 KB; fully traditional (each simplified character replaced by a traditional source from the fold
table); with a spaced name every ~2 KB. Also times plain str.translate, the alternative fold() was chosen
against. Compare ratios: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from pathlib import Path

from errscan import normalize

PUNCT = "，，，，。。、；：！？"


def make_text(mb: float, rng: random.Random) -> str:
    import jieba

    words, weights = [], []
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as fh:
        for line in fh:
            w, freq, *_ = line.split()
            if 1 <= len(w) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in w):
                words.append(w)
                weights.append(int(freq))
    cum = list(itertools.accumulate(weights))
    target = int(mb * 1_000_000)
    parts, size = [], 0
    while size < target:
        clause = "".join(rng.choices(words, cum_weights=cum, k=rng.randint(4, 12)))
        clause += rng.choice(PUNCT) + ("\n" if rng.random() < 0.05 else "")
        parts.append(clause)
        size += len(clause.encode("utf-8"))
    return "".join(parts)


def sprinkle(text: str, insert: str, every: int = 700) -> str:
    """Insert `insert` every `every` characters (~2 KB of UTF-8)."""
    return insert.join(text[i : i + every] for i in range(0, len(text), every))


def to_traditional(text: str) -> str:
    back: dict[int, int] = {}
    for src, dst in sorted(normalize.fold_table().items()):
        if 0x4E00 <= src <= 0x9FFF:
            back.setdefault(dst, src)
    return text.translate(back)


def rate(fn, text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - t)
    return len(text.encode("utf-8")) / 1e6 / best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20)
    args = ap.parse_args()
    rng = random.Random(20261127)
    plain = make_text(args.mb, rng)
    table = normalize.fold_table()
    texts = {
        "simplified, nothing to fold": plain.translate(dict.fromkeys(table)),
        "simplified (jieba's dict: ~0.15% mojibake/繁体)": plain,
        "full-width digits every 2 KB": sprinkle(plain, "２０２４年"),
        "traditional": to_traditional(plain),
        "spaced name every 2 KB": sprinkle(plain, "龚 正、中 华 人 民 共 和 国"),
    }
    normalize.fold("")  # load the table outside the timings
    alternatives = {
        "fold": normalize.fold,
        "str.translate always": lambda t: t.translate(table),
        "squeeze": normalize.squeeze,
        "fold + squeeze": lambda t: normalize.squeeze(normalize.fold(t)),
    }
    print(f"{len(plain.encode('utf-8')) / 1e6:.1f} MB, {len(plain):,} characters")
    for tname, text in texts.items():
        changed = sum(a != b for a, b in zip(text, normalize.fold(text), strict=True))
        print(f"\n{tname} ({changed:,} characters fold)")
        for fname, fn in alternatives.items():
            print(f"  {fname:32} {rate(fn, text):8.1f} MB/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
