"""Scan throughput, end-to-end time, start-up and memory. Prints figures; asserts nothing.

    python bench/bench_scan.py [--mb 20] [--entries 10000] [--every 500] [--text words|corpus] [--no-startup]
                               [--rounds 3]

Builds a deterministic Chinese text from jieba's dictionary words (weighted by frequency, with
punctuation and line breaks) and a list of typo-like entries (dictionary words with one character
replaced, never themselves dictionary words), plants one entry every ~`--every` characters (issue 19's
targets: 500 and 10,000), then measures in one run:
1. the scan stage (byte-keyed automaton) in MB/s, and a character-keyed pyahocorasick scan of the same data;
2. `errscan check` end to end on the file (decode, scan, jieba verification, JSON report), with peak memory;
   it and the character-keyed scan take turns, --rounds times, and the ratio is the median of the rounds';
3. `errscan check` start-up on a clean 1 KB file (cached lists);
4. normalisation (fold + squeeze) and the privacy detectors on the same text, against the scan stage.
Compare the figures as ratios: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PUNCT = "，，，，。。、；：！？"


def dictionary() -> list[tuple[str, int]]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    words = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            w, freq, *_ = line.split()
            if 1 <= len(w) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in w):
                words.append((w, int(freq)))
    return words


def make_entries(words: list[tuple[str, int]], n: int, rng: random.Random) -> list[tuple[str, str]]:
    vocab = {w for w, _ in words}
    chars = sorted({c for w, _ in words for c in w})
    common = [w for w, f in sorted(words, key=lambda x: -x[1]) if len(w) >= 2][: n * 4]
    entries, seen = [], set()
    while len(entries) < n:
        w = rng.choice(common)
        i = rng.randrange(len(w))
        bad = w[:i] + rng.choice(chars) + w[i + 1 :]
        if bad not in vocab and bad not in seen:
            seen.add(bad)
            entries.append((bad, w))
    return entries


def make_text(words, entries, mb: float, rng: random.Random, every: int = 5000) -> str:
    """About `mb` MB of UTF-8, an entry planted at the end of the first clause after each `every` bytes."""
    import itertools

    population = [w for w, _ in words]
    cum = list(itertools.accumulate(f for _, f in words))
    target = int(mb * 1_000_000)
    parts, size, since_plant = [], 0, 0
    while size < target:
        clause = "".join(rng.choices(population, cum_weights=cum, k=rng.randint(4, 12)))
        if since_plant > every:
            clause += rng.choice(entries)[0]
            since_plant = 0
        clause += rng.choice(PUNCT) + ("\n" if rng.random() < 0.05 else "")
        parts.append(clause)
        n = len(clause.encode("utf-8"))
        size += n
        since_plant += n
    return "".join(parts)


CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "clean"


def corpus_text(entries, mb: float, rng: random.Random, every: int, folder: Path = CORPUS) -> str:
    """About `mb` MB of real official prose (the clean corpus's texts, repeated), an entry planted at the end of the
    first sentence after each `every` characters: the language model reads it as the archives read, where the
    dictionary's word salad of make_text is unlike anything it learned, and makes its search the slowest. The
    entries that occur in the corpus are taken out of `entries`: the list's candidates are the planted ones."""
    import re

    texts = [f.read_text(encoding="utf-8") for f in sorted(folder.rglob("*.txt"))]
    sentences = [s for t in texts for s in re.split(r"(?<=[。；！？\n])", t) if s]
    present = set(words_in("".join(texts), [b for b, _ in entries]))
    entries[:] = [e for e in entries if e[0] not in present]  # the list's candidates are the planted ones only
    target = int(mb * 1_000_000)
    parts, size, since_plant, i = [], 0, 0, 0
    while size < target:
        s = sentences[i % len(sentences)]
        i += 1
        if since_plant > every:
            s = s[:-1] + rng.choice(entries)[0] + s[-1:] if len(s) > 1 else s
            since_plant = 0
        parts.append(s)
        size += len(s.encode("utf-8"))
        since_plant += len(s)
    return "".join(parts)


def words_in(text: str, words: list[str]) -> list[str]:
    """The words that occur in text."""
    import ahocorasick

    ac = ahocorasick.Automaton()
    for w in words:
        ac.add_word(w, w)
    ac.make_automaton()
    return [w for _, w in ac.iter(text)]


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# The child reports its own high-water mark (VmHWM, per address space; ru_maxrss would carry over the
# size of this big benchmark process across fork and exec).
PEAK = (
    "import runpy, sys\n"
    "sys.argv = ['errscan'] + sys.argv[1:]\n"
    "try:\n    runpy.run_module('errscan', run_name='__main__')\n"
    "finally:\n    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
    "    print('PEAK', hwm.split()[1], file=sys.stderr)\n"
)


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(seconds, peak RSS in MB measured inside the child, exit code)."""
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PEAK, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    peak = int(proc.stderr.rsplit("PEAK", 1)[1].split()[0]) // 1024
    return elapsed, peak, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--every", type=int, default=500, help="characters between planted entries")
    ap.add_argument("--no-startup", action="store_true", help="skip the start-up runs")
    ap.add_argument("--rounds", type=int, default=3, help="turns of the bare scan and the end-to-end run")
    ap.add_argument("--text", choices=("words", "corpus"), default="words",
                    help="jieba's words at random (the default), or the clean corpus's official prose repeated")
    args = ap.parse_args()
    rng = random.Random(20261127)
    words = dictionary()
    entries = make_entries(words, args.entries, rng)
    if args.text == "corpus":
        text = corpus_text(entries, args.mb, rng, args.every)
    else:
        text = make_text(words, entries, args.mb, rng, args.every * 3)  # 3 bytes a character
    data = text.encode("utf-8")
    mb = len(data) / 1e6

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        os.environ["ERRSCAN_CACHE_DIR"] = str(tmpdir / "cache")  # this process warms the cache the CLI uses
        env = dict(os.environ)
        lst = tmpdir / "bench.tsv"
        lst.write_text("".join(f"{b}\t{g}\n" for b, g in entries), encoding="utf-8")
        big = tmpdir / "big.txt"
        big.write_bytes(data)
        clean = tmpdir / "clean.txt"
        clean.write_text(("各位代表：现在，我代表国务院，向大会报告政府工作，请予审议。" * 40)[:340], encoding="utf-8")

        from errscan.lexicon import compile_lists, load_lexicon
        from errscan.lexicon.load import load_list
        from errscan.match import byte_hits

        t = time.perf_counter()
        lex = compile_lists([load_list(lst)])
        build = time.perf_counter() - t
        scan = timed(lambda: byte_hits(data, lex))
        hits = len(byte_hits(data, lex))

        from errscan.detectors.privacy import detect
        from errscan.normalize import fold, squeeze

        norm = timed(lambda: squeeze(fold(text)))
        privacy = timed(lambda: detect(text))

        import ahocorasick

        char_ac = ahocorasick.Automaton()
        for i, (b, _) in enumerate(entries):
            char_ac.add_word(b, i)
        char_ac.make_automaton()
        load_lexicon([lst], builtin=False)  # warm the cache as a user's second run would find it:
        run_cli(["check", str(clean)], env)  # the built-in lists, the fuzzy index, the model's tables
        # The two figures of the ratio take turns, --rounds times: a busy spell of the machine (the bare scan
        # has ranged 7-12 s here from one run to the next) falls on both; the medians and the median ratio.
        char_scans, e2es = [], []
        for _ in range(args.rounds):
            char_scans.append(timed(lambda: sum(1 for _ in char_ac.iter(text)), repeat=1))
            e2e, peak, code = run_cli(["check", "--no-builtin", "--list", str(lst), "-f", "json", str(big)], env)
            e2es.append(e2e)
        char_scan, e2e = statistics.median(char_scans), statistics.median(e2es)
        ratio = statistics.median(e / c for e, c in zip(e2es, char_scans, strict=True))
        out = subprocess.run(
            [sys.executable, "-m", "errscan", "check", "--no-builtin", "--list", str(lst), "-f", "json", str(big)],
            env=env, capture_output=True, text=True,
        )
        import json

        findings = len(json.loads(out.stdout)["findings"])

        startups = []
        if not args.no_startup:
            startups = [run_cli(["check", "--no-color", str(clean)], env)[0] for _ in range(7)]

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"text: {mb:.1f} MB UTF-8 ({len(text):,} characters, {args.text}); list: {len(entries):,} entries")
    print(f"automaton build: {build * 1000:.0f} ms; candidates: {hits:,} (one per {len(text) // max(hits, 1):,} "
          f"characters); findings after verification: {findings:,}")
    print(f"scan stage (byte-keyed):      {mb / scan:7.1f} MB/s  ({scan:.2f} s; errscan.match.byte_hits)")
    print(f"character-keyed scan alone:   {mb / char_scan:7.1f} MB/s  ({char_scan:.2f} s, median of "
          f"{', '.join(f'{c:.2f}' for c in char_scans)})")
    print(f"normalisation (fold+squeeze): {mb / norm:7.1f} MB/s  ({norm:.2f} s)")
    print(f"privacy detectors:            {mb / privacy:7.1f} MB/s  ({privacy:.2f} s)")
    print(f"  ratio (normalisation + privacy) / scan stage: {(norm + privacy) / scan:.2f}")
    print(f"errscan check end to end:     {e2e:7.2f} s  (exit {code}; median of "
          f"{', '.join(f'{e:.2f}' for e in e2es)}), peak memory {peak} MB")
    print(f"  ratio end-to-end / character-keyed scan alone: {ratio:.2f} (median of the {args.rounds} rounds' "
          f"ratios: {', '.join(f'{e / c:.2f}' for e, c in zip(e2es, char_scans, strict=True))})")
    if startups:
        print(f"start-up on a clean 1 KB file: median {statistics.median(startups) * 1000:.0f} ms, "
              f"min {min(startups) * 1000:.0f} ms (7 runs, cached lists)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
