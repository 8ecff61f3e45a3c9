"""Build errscan's character n-gram language model from the official-text corpus.

    python tools/build_lm.py [--corpus ../shared/data/lm-corpus] [--out errscan/data/lm/model.bin]
                             [--order 4] [--prune 1,1,1,2] [--smoothing kn|sb]

Reads the corpus (one document a line; any whitespace and any punctuation is a hard clause boundary), maps
each Han character seen at least `--min-char` times to a token (rarer ones to <unk>, digits to <num>, latin
letters to <lat>), counts 1..N-grams with clause-start <s> and clause-end </s>, and writes a back-off model:
interpolated modified Kneser-Ney (`kn`, default) or stupid back-off (`sb`), pruned by raw count, its
log10 probabilities and back-off weights quantised to one byte through a 256-value table per order.

The file is a reversed trie that errscan/lm.py maps into memory (see FORMAT below). Needs numpy at build
time only; the runtime reads the file with the standard library.

FORMAT (little-endian): b"ERRSCANLM1\\n", a uint32 header length, a UTF-8 JSON header, then 8-byte-aligned
arrays named in header["arrays"] as [offset, length, typecode]. Level n (1-based) holds the kept n-grams
sorted by (index of their suffix in level n-1, first token): `tok{n}` (uint16, first token; level 1 is
indexed by token id and has none), `prob{n}` and `bo{n}` (uint8 codes into header["codebooks"]), and
`child{n}` (uint32, len+1 offsets of each entry's children in level n+1). Walking w, h1, h2 … from the root
finds "h2 h1 w": the probability of w after h1 h2 … is read from the deepest node found, and the back-off
weights of the unmatched contexts from the walk h1, h2 …. `fwd_off`/`fwd_tok` list each token's right
neighbours (the kept bigrams in forward order). `alike_off`/`alike_tok` list, for each character of
header["alikes"]["chars"] (errscan/data/similar.tsv), its alike characters that are in the vocabulary.
`syl`, `homo_key`, `homo_off`, `homo_tok`: same-sounding two-character words (see homophone_table).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "data" / "lm-corpus"
OUT = REPO / "errscan" / "data" / "lm" / "model.bin"
FILES = ("laws_lawrefbook.txt", "gov_work_reports_cpc_congress_wikisource.txt")
MAGIC = b"ERRSCANLM1\n"
SPECIALS = ("<s>", "</s>", "<unk>", "<num>", "<lat>")
BOS, EOS, UNK, NUM, LAT = range(5)
BITS = 12  # bits per token in a packed n-gram key: the vocabulary must stay below 4,096 tokens
SEP = 0xFFFF


def is_han(cp: int) -> bool:
    """CJK unified ideographs (basic block and extension A) and 〇."""
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or cp == 0x3007


def read_corpus(corpus: Path) -> tuple[str, list[dict[str, object]]]:
    """The corpus text and, for the header, each file's name, size and SHA-256 with the upstream source."""
    stats = json.loads((corpus / "stats.json").read_text(encoding="utf-8"))
    parts, sources = [], []
    for name in FILES:
        raw = (corpus / name).read_bytes()
        parts.append(raw.decode("utf-8"))
        meta = stats.get(name.removesuffix(".txt"), {})
        sources.append({
            "file": name, "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest(),
            "docs": meta.get("docs"), "upstream": meta.get("source"),
            "dates": [meta.get("date_min"), meta.get("date_max")],
        })
    return "\n".join(parts), sources


def tokenize(text: str, min_char: int) -> tuple[np.ndarray, list[str]]:
    """Token stream <s> t… </s> <s> … over all clauses, and the vocabulary of kept characters (by frequency)."""
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    hist = np.bincount(cp, minlength=0x10000)
    han = np.array([is_han(c) for c in range(len(hist))]) & (hist >= min_char)
    order = np.argsort(-hist[han], kind="stable")
    chars = [chr(c) for c in np.nonzero(han)[0][order]]
    lut = np.full(max(0x110000, len(hist)), SEP, dtype=np.uint16)
    for lo, hi in ((0x4E00, 0xA000), (0x3400, 0x4DC0)):
        lut[lo:hi] = UNK
    lut[0x3007] = UNK
    for i, ch in enumerate(chars):
        lut[ord(ch)] = len(SPECIALS) + i
    for d in "0123456789０１２３４５６７８９":
        lut[ord(d)] = NUM
    for a in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        lut[ord(a)] = LAT
        lut[ord(a) + 0xFEE0] = LAT  # full-width letters
    if len(SPECIALS) + len(chars) >= 1 << BITS:
        raise SystemExit(f"vocabulary of {len(chars)} characters does not fit {BITS}-bit keys: raise --min-char")
    tok = lut[cp]
    sep = tok == SEP
    keep = ~sep
    starts = keep & np.concatenate([[True], sep[:-1]])
    ends = keep & np.concatenate([sep[1:], [True]])
    after = np.cumsum(keep.astype(np.int64) + starts + ends)
    pos = after - 1 - ends
    out = np.empty(int(after[-1]), dtype=np.uint16)
    idx = np.nonzero(keep)[0]
    out[pos[idx]] = tok[idx]
    out[pos[starts] - 1] = BOS
    out[pos[ends] + 1] = EOS
    return out, chars


def count(stream: np.ndarray, order: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Sorted unique packed keys (first token in the high bits) and raw counts for orders 1..order."""
    s = stream.astype(np.uint64)
    is_bos, is_eos = stream == BOS, stream == EOS
    out = []
    for n in range(1, order + 1):
        m = len(s) - n + 1
        key = np.zeros(m, dtype=np.uint64)
        bad = is_bos[:m].copy() if n == 1 else np.zeros(m, dtype=bool)
        for p in range(n):
            key = (key << np.uint64(BITS)) | s[p : p + m]
            if p > 0:
                bad |= is_bos[p : p + m]
            if p < n - 1:
                bad |= is_eos[p : p + m]
        u, c = np.unique(key[~bad], return_counts=True)
        if n == 1:  # <s> as a context: its count is the number of clauses
            u = np.concatenate([[np.uint64(BOS)], u])
            c = np.concatenate([[int(is_bos.sum())], c])
        out.append((u, c.astype(np.int64)))
    return out


def mask(n: int) -> np.uint64:
    return np.uint64((1 << (BITS * n)) - 1)


def suffix(keys: np.ndarray, n: int) -> np.ndarray:
    """The last n-1 tokens of packed n-gram keys."""
    return keys & mask(n - 1)


def prefix(keys: np.ndarray) -> np.ndarray:
    """The first n-1 tokens of packed n-gram keys."""
    return keys >> np.uint64(BITS)


def first(keys: np.ndarray, n: int) -> np.ndarray:
    return (keys >> np.uint64(BITS * (n - 1))).astype(np.int64)


def index_of(sorted_keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Positions of keys that are known to be present."""
    i = np.searchsorted(sorted_keys, query)
    assert np.all(sorted_keys[np.minimum(i, len(sorted_keys) - 1)] == query), "missing key"
    return i


def group_sums(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(groups, weights=values, minlength=size)


def kneser_ney(counts, keep, vocab_size: int) -> tuple[list[np.ndarray], list[np.ndarray], list[list[float]]]:
    """Interpolated modified Kneser-Ney over full counts, re-normalised as a back-off model over the kept
    n-grams. Returns log10 probability and log10 back-off per order (on the kept n-grams) and the discounts."""
    order = len(counts)
    adj = []
    for n in range(1, order + 1):
        keys, raw = counts[n - 1]
        if n == order:
            a = raw.astype(np.float64)
        else:
            hk, _ = counts[n]
            suf, ext = np.unique(suffix(hk, n + 1), return_counts=True)
            a = np.zeros(len(keys))
            a[index_of(keys, suf)] = ext
            starts_bos = first(keys, n) == BOS
            a[starts_bos] = raw[starts_bos]
        if n == 1:
            a[keys == BOS] = 0
        adj.append(a)
    discounts, full_p = [], []
    for n in range(1, order + 1):
        keys, a = counts[n - 1][0], adj[n - 1]
        cc = [np.sum(a == k) for k in (1, 2, 3, 4)]
        y = cc[0] / (cc[0] + 2 * cc[1])
        d = [0.0, 1 - 2 * y * cc[1] / cc[0], 2 - 3 * y * cc[2] / cc[1], 3 - 4 * y * cc[3] / cc[2]]
        discounts.append(d[1:])
        disc = np.where(a >= 3, d[3], np.where(a == 2, d[2], np.where(a == 1, d[1], 0.0)))
        if n == 1:
            total = a.sum()
            gamma = disc.sum() / total
            p = (a - disc) / total + gamma / vocab_size
            p[keys == BOS] = 0
        else:
            ctx_keys = counts[n - 2][0]
            ctx = index_of(ctx_keys, prefix(keys))
            s = group_sums(ctx, a, len(ctx_keys))
            g = group_sums(ctx, disc, len(ctx_keys))
            lower = full_p[n - 2][index_of(ctx_keys, suffix(keys, n))]
            with np.errstate(divide="ignore", invalid="ignore"):
                p = (a - disc) / s[ctx] + (g[ctx] / s[ctx]) * lower
        full_p.append(p)
    logp, logbo = [], []
    for n in range(1, order + 1):
        keys = counts[n - 1][0]
        kept = keep[n - 1]
        with np.errstate(divide="ignore"):
            logp.append(np.log10(full_p[n - 1][kept]))
        bo = np.zeros(int(kept.sum()))
        if n < order:
            ckeys, ckept = counts[n][0], keep[n]
            kk = ckeys[ckept]
            ctx_all = index_of(keys, prefix(kk))
            pos_in_kept = np.cumsum(kept) - 1
            ctx = pos_in_kept[ctx_all]
            hi = group_sums(ctx, full_p[n][ckept], len(bo))
            lo = group_sums(ctx, full_p[n - 1][index_of(keys, suffix(kk, n + 1))], len(bo))
            with np.errstate(divide="ignore", invalid="ignore"):
                b = (1 - hi) / (1 - lo)
            b[~np.isfinite(b) | (b <= 0)] = 1.0
            bo = np.log10(b)
        logbo.append(bo)
    return logp, logbo, discounts


def stupid_backoff(counts, keep, alpha: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """log10 of relative frequencies c(h w) / c(h) and a constant back-off log10(alpha)."""
    logp, logbo = [], []
    order = len(counts)
    for n in range(1, order + 1):
        keys, raw = counts[n - 1]
        kept = keep[n - 1]
        if n == 1:
            total = raw[keys != BOS].sum()
            p = raw / total
        else:
            ckeys, craw = counts[n - 2]
            p = raw / craw[index_of(ckeys, prefix(keys))]
        with np.errstate(divide="ignore"):
            lp = np.log10(p[kept])
        if n == 1:
            lp[keys[kept] == BOS] = -np.inf
        logp.append(lp)
        logbo.append(np.full(int(kept.sum()), np.log10(alpha) if n < order else 0.0))
    return logp, logbo


def codebook(values: np.ndarray, levels: int = 256) -> tuple[np.ndarray, list[float]]:
    """One-byte codes for values: quantile bins, each decoded as the mean of its members (-inf keeps code 0)."""
    finite = np.isfinite(values)
    v = values[finite]
    uniq = np.unique(v)
    if len(uniq) <= levels - 1:
        centers = uniq
    else:
        edges = np.quantile(v, np.linspace(0, 1, levels))  # levels-1 bins
        edges = np.unique(edges)
        idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
        centers = np.array([v[idx == k].mean() if np.any(idx == k) else edges[k] for k in range(len(edges) - 1)])
    centers = np.sort(np.asarray(centers, dtype=np.float64))
    codes = np.zeros(len(values), dtype=np.uint8)
    if len(centers):
        mid = (centers[1:] + centers[:-1]) / 2
        codes[finite] = (np.searchsorted(mid, v) + 1).astype(np.uint8)
    table = [-99.0, *[round(float(c), 4) for c in centers]]
    return codes, table


def layout(counts, keep, logp, logbo, vocab_size: int) -> tuple[dict[str, np.ndarray], dict[str, list[float]]]:
    """The reversed trie: per level, entries sorted by (trie index of their suffix, first token)."""
    order = len(counts)
    arrays: dict[str, np.ndarray] = {}
    books: dict[str, list[float]] = {}
    sorted_keys = trie_index = None  # the previous level's kept keys (sorted) and their positions in the trie
    for n in range(1, order + 1):
        keys = counts[n - 1][0][keep[n - 1]]
        lp, lb = logp[n - 1], logbo[n - 1]
        if n == 1:
            ids = keys.astype(np.int64)
            lp, lb = np.full(vocab_size, -np.inf), np.zeros(vocab_size)
            lp[ids], lb[ids] = logp[0], logbo[0]
            sorted_keys, trie_index = np.arange(vocab_size, dtype=np.uint64), np.arange(vocab_size)
        else:
            parent = trie_index[index_of(sorted_keys, suffix(keys, n))]
            ft = first(keys, n)
            o = np.lexsort((ft, parent))
            arrays[f"tok{n}"] = ft[o].astype(np.uint16)
            arrays[f"child{n - 1}"] = np.searchsorted(parent[o], np.arange(len(sorted_keys) + 1)).astype(np.uint32)
            lp, lb = lp[o], lb[o]
            sorted_keys, trie_index = keys, np.argsort(o)
        arrays[f"prob{n}"], books[f"prob{n}"] = codebook(lp)
        if n < order:
            arrays[f"bo{n}"], books[f"bo{n}"] = codebook(lb)
    # forward bigram index: the right neighbours of each token, for the detector's candidate filter
    keys = counts[1][0][keep[1]]
    left, right = first(keys, 2), (keys & mask(1)).astype(np.int64)
    arrays["fwd_off"] = np.searchsorted(left, np.arange(vocab_size + 1)).astype(np.uint32)
    arrays["fwd_tok"] = right.astype(np.uint16)
    return arrays, books


def alike_table(chars: list[str]) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Each character of errscan/data/similar.tsv with its alike characters (errscan.similar.alikes, kind "any",
    in its order) that are in the vocabulary, as token ids: the detector's candidates, without loading the table."""
    sys.path.insert(0, str(REPO))
    from errscan import similar

    ids = {c: len(SPECIALS) + i for i, c in enumerate(chars)}
    table = similar.TABLE
    rows = [line.split("\t", 1)[0] for line in table.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    off, tok = [0], []
    for ch in rows:
        tok.extend(ids[c] for c in similar.alikes(ch) if c in ids)
        off.append(len(tok))
    arrays = {"alike_off": np.array(off, dtype=np.uint32), "alike_tok": np.array(tok, dtype=np.uint16)}
    meta = {"source": "errscan/data/similar.tsv", "sha256": hashlib.sha256(table.read_bytes()).hexdigest(),
            "chars": "".join(rows)}
    return arrays, meta


HOMOPHONE_MIN_FREQ = 50  # jieba frequency from which a two-character word may be the one a writer meant


def homophone_table(chars: list[str]) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Two-character words a pinyin input method may have replaced by a same-sounding pair (单位 typed, 淡味
    chosen), keyed by their toneless syllables.

    `syl` gives each character of header["alikes"]["chars"] (the rows of errscan/data/similar.tsv, in or out of
    the vocabulary) the syllable of its first reading (errscan.similar.readings, pypinyin's order; 0xFFFF for
    none): a slip's characters are read as written. `homo_key` (sorted, syllable1 * 1024 + syllable2),
    `homo_off` and `homo_tok` (two tokens a word) list the words of jieba's dictionary (MIT) with a frequency of
    HOMOPHONE_MIN_FREQ or more whose two characters are in the vocabulary, read as pypinyin reads the word (银行:
    yin hang), most frequent first. Needs pypinyin at build time.
    """
    import jieba
    from pypinyin import lazy_pinyin

    sys.path.insert(0, str(REPO))
    from errscan import similar

    ids = {c: len(SPECIALS) + i for i, c in enumerate(chars)}
    syllables: dict[str, int] = {}

    def sid(s: str) -> int:
        return syllables.setdefault(s, len(syllables))

    rows = [line.split("\t", 1)[0] for line in similar.TABLE.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]  # the rows of alike_off: header["alikes"]["chars"]
    syl = np.full(len(rows), 0xFFFF, dtype=np.uint16)
    for i, c in enumerate(rows):
        r = similar.readings(c)
        if r:
            syl[i] = sid(r[0].rstrip("012345"))
    dict_path = Path(jieba.__file__).parent / "dict.txt"
    words: dict[int, list[tuple[int, int, int]]] = {}
    for line in dict_path.read_text(encoding="utf-8").splitlines():
        w, f = line.split()[:2]
        if len(w) != 2 or int(f) < HOMOPHONE_MIN_FREQ or w[0] not in ids or w[1] not in ids:
            continue
        py = lazy_pinyin(w)
        if len(py) != 2 or not all(p.isalpha() for p in py):
            continue
        key = sid(py[0]) * 1024 + sid(py[1])
        words.setdefault(key, []).append((-int(f), ids[w[0]], ids[w[1]]))
    assert len(syllables) < 1024
    keys = sorted(words)
    off, tok = [0], []
    for k in keys:
        for _f, a, b in sorted(words[k]):
            tok += [a, b]
        off.append(len(tok) // 2)
    arrays = {
        "syl": syl, "homo_key": np.array(keys, dtype=np.uint32), "homo_off": np.array(off, dtype=np.uint32),
        "homo_tok": np.array(tok, dtype=np.uint16),
    }
    import pypinyin

    meta = {"source": "jieba dict.txt (MIT), read with pypinyin " + pypinyin.__version__,
            "sha256": hashlib.sha256(dict_path.read_bytes()).hexdigest(), "min_freq": HOMOPHONE_MIN_FREQ,
            "words": len(tok) // 2}
    return arrays, meta


def write(path: Path, header: dict[str, object], arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    entries, blobs, offset = {}, [], 0
    for name, arr in arrays.items():
        b = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        entries[name] = [offset, len(arr), {1: "B", 2: "H", 4: "I"}[arr.dtype.itemsize]]
        blobs.append(b + b"\0" * (-len(b) % 8))
        offset += len(blobs[-1])
    header = {**header, "arrays": entries}
    hb = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    start = len(MAGIC) + 4 + len(hb)
    pad = -start % 8
    hb += b" " * pad
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC + struct.pack("<I", len(hb)) + hb)
        for b in blobs:
            fh.write(b)
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--order", type=int, default=4)
    ap.add_argument("--prune", default="1,1,1,2", help="minimum raw count per order (non-decreasing)")
    ap.add_argument("--min-char", type=int, default=3, help="rarer characters become <unk>")
    ap.add_argument("--smoothing", choices=("kn", "sb"), default="kn")
    ap.add_argument("--alpha", type=float, default=0.4, help="stupid back-off factor")
    args = ap.parse_args(argv)
    t0 = time.time()
    prune = [int(x) for x in args.prune.split(",")]
    if len(prune) != args.order or prune != sorted(prune):
        raise SystemExit("--prune needs one non-decreasing count per order")
    text, sources = read_corpus(args.corpus)
    stream, chars = tokenize(text, args.min_char)
    del text
    vocab_size = len(SPECIALS) + len(chars)
    counts = count(stream, args.order)
    keep = []
    for n, (keys, raw) in enumerate(counts, 1):
        k = raw >= prune[n - 1] if n > 1 else np.ones(len(keys), dtype=bool)
        keep.append(k)
    extra: dict[str, object] = {}
    if args.smoothing == "kn":
        logp, logbo, disc = kneser_ney(counts, keep, vocab_size)
        extra["discounts"] = [[round(x, 4) for x in d] for d in disc]
    else:
        logp, logbo = stupid_backoff(counts, keep, args.alpha)
        extra["alpha"] = args.alpha
    arrays, books = layout(counts, keep, logp, logbo, vocab_size)
    alike_arrays, alike_meta = alike_table(chars)
    arrays.update(alike_arrays)
    homo_arrays, homo_meta = homophone_table(chars)
    arrays.update(homo_arrays)
    header = {
        "format": 1, "order": args.order, "smoothing": args.smoothing, "prune": prune, "min_char": args.min_char,
        "specials": list(SPECIALS), "vocab": "".join(chars), "codebooks": books,
        "ngrams": [int(k.sum()) for k in keep], "tokens": len(stream), "clauses": int((stream == BOS).sum()),
        "sources": sources, "alikes": alike_meta, "homophones": homo_meta, "built": time.strftime("%Y-%m-%d"), **extra,
        "note": "counts of state-organ documents (著作权法 第五条); no text is stored",
    }
    write(args.out, header, arrays)
    size = args.out.stat().st_size
    print(f"{args.out}: {size / 1e6:.2f} MB, n-grams {header['ngrams']}, vocabulary {len(chars)}, "
          f"{time.time() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
