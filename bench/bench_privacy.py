"""Privacy detector throughput. Prints figures; asserts nothing.

    python bench/bench_privacy.py [--mb 20] [--every 5000]

Builds a deterministic text of random common Chinese characters with punctuation, line breaks and the
numbers official text is full of (dates, amounts, document numbers, landlines, hotlines), plants one
personal number (ID, mobile, card after a keyword) every --every characters, then times detect() and each
detector's regex pass alone. MB are UTF-8 megabytes of the text; compare figures as ratios.
"""

from __future__ import annotations

import argparse
import random
import time

from errscan.detectors import privacy

NOISE = ["，", "，", "。", "、", "；", "\n", "2023年5月12日", "第3条", "1,234.56万元", "12.5%", "国办发〔2019〕5号",
         "咨询电话：0591-87654321", "12345", "400-810-8888", "邮编350001", "content_5358604.htm"]
PLANTED = ["身份证号：11010519491231002X", "联系电话：138 0013 8000", "卡号：6222021234567890128", "手机13900139000"]


def build(mb: float, every: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    chars = [chr(c) for c in range(0x4E00, 0x4E00 + 3500)]
    parts: list[str] = []
    size = since = 0
    while size < mb * 1e6:
        piece = "".join(rng.choices(chars, k=rng.randint(5, 30))) + rng.choice(NOISE)
        if since >= every:
            piece += rng.choice(PLANTED)
            since = 0
        parts.append(piece)
        size += len(piece.encode("utf-8"))
        since += len(piece)
    return "".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--every", type=int, default=5000)
    args = ap.parse_args()
    text = build(args.mb, args.every)
    mb = len(text.encode("utf-8")) / 1e6
    print(f"text: {len(text) / 1e6:.1f} M characters, {mb:.1f} MB UTF-8")
    for name in ("_ID18", "_ID15", "_MOBILE", "_CARD", "_USCC", "_FULLWIDTH"):
        pattern = getattr(privacy, name)
        t = time.perf_counter()
        n = sum(1 for _ in pattern.finditer(text))
        dt = time.perf_counter() - t
        print(f"  {name[1:].lower():10} {n:7} candidates  {mb / dt:6.0f} MB/s")
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        hits = privacy.detect(text)
        best = min(best, time.perf_counter() - t)
    print(f"detect(): {len(hits)} hits in {best:.2f} s = {mb / best:.0f} MB/s ({len(text) / 1e6 / best:.0f} M chars/s)")


if __name__ == "__main__":
    main()
