/* The language model's search for one-character slips (errscan/lm.py, Detector._clause), compiled.
 *
 * Same arithmetic in the same order as the Python path, so both give identical suspects
 * (tests/test_speedups.py compares them). The model's arrays come from the mapped model file; the lookup
 * tables (code points to token ids, character classes, alike lists) are made by errscan/lm.py.
 *
 * scan(text, tables, params) -> [(clause_start, clause_length, index_in_clause, token, gain, token2), ...]
 * scan(text, tables, params, bounds, cursor, limit) -> the same, with the index of the piece each is in: the
 * pieces [bounds[q], bounds[q + 1]) this call took from the shared cursor. Threads searching one text each call
 * it with the same bounds and cursor, and need the GIL only at the start and the end (lm.Detector.start).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BOS = 0, EOS = 1, UNK = 2, NUM = 3, LAT = 4 };
enum { F_CLAUSE = 1, F_HAN = 2, F_NUMERAL = 4 };
#define ORDER 4
#define NTABLES 30

typedef struct {
    const uint16_t *code;  /* 65536: code point -> token id */
    const uint8_t *flags;  /* 65536: F_CLAUSE | F_HAN | F_NUMERAL */
    const uint16_t *alike_of; /* 65536: code point -> row of the alike table, 0xFFFF for none */
    const uint32_t *child[ORDER];    /* child[1..3] */
    const uint16_t *tok[ORDER + 1];  /* tok[2..4] */
    const uint8_t *prob[ORDER + 1];  /* prob[1..4] */
    const uint8_t *bo[ORDER];        /* bo[1..3] */
    const double *pbook[ORDER + 1];  /* pbook[1..4] */
    const double *bbook[ORDER];      /* bbook[1..3] */
    const uint32_t *al_off;
    const uint16_t *al_tok;
    const uint8_t *seen; /* bit a * vocab + b: the bigram a b is in the model (bigram_bits) */
    const uint32_t *slots; /* open addressing, pairs (a * vocab + b + 1, index in level 2): bigram_bits too */
    uint32_t mask; /* slots - 1 */
    const uint32_t *by_off; /* per token a: its bigrams a c in by_tok / by_code, most probable first */
    const uint16_t *by_tok, *pr_tok; /* pr_tok, pr_code: per token b (child[1]'s offsets) its bigrams c b, */
    const uint8_t *by_code, *pr_code; /* most probable first; the codes are of pbook[2] */
    const uint16_t *syl; /* per row of the alike table: the syllable of the character's first reading */
    const uint32_t *homo_key, *homo_off; /* sorted syllable pairs (s1 * 1024 + s2), offsets into homo_tok */
    const uint16_t *homo_tok; /* two tokens a same-sounding word */
    Py_ssize_t nsyl, nhomo;
    double most; /* no log10 P the model gives exceeds this (at most 0: a sum of them only falls) */
    Py_ssize_t vocab; /* tokens, specials included */
} Tables;

#define SEEN(t, a, b) ((t)->seen[((size_t)(a) * (t)->vocab + (b)) >> 3] >> (((size_t)(a) * (t)->vocab + (b)) & 7) & 1)

typedef struct {
    double info, dissimilar, seen_gain, seen_bigram, pair_gain, pre_gain, any_pre_gain, other_unseen;
    int pre_keep, pre_keep_any, min_clause, explain;
    double pair_seen_bigram, pair_pre_gain;
    int pair_pre_keep;
    double pair_unseen_gain;
} Params;

static Py_ssize_t child_of(const Tables *t, int level, uint32_t node, uint16_t tok) {
    const uint32_t *ch = t->child[level];
    uint32_t lo = ch[node], hi = ch[node + 1];
    const uint16_t *toks = t->tok[level + 1];
    while (lo < hi) { /* bisect_left */
        uint32_t mid = lo + (hi - lo) / 2;
        if (toks[mid] < tok) lo = mid + 1; else hi = mid;
    }
    if (lo < ch[node + 1] && toks[lo] == tok) return (Py_ssize_t)lo;
    return -1;
}

static inline uint32_t slot_of(uint32_t key, uint32_t mask) { return (key * 2654435761u) >> 7 & mask; }

/* the index in level 2 of the bigram a b (child_of(t, 1, b, a)), or -1: through the hash table */
static inline Py_ssize_t bigram_at(const Tables *t, uint16_t a, uint16_t b) {
    uint32_t key = (uint32_t)a * (uint32_t)t->vocab + b + 1;
    for (uint32_t i = slot_of(key, t->mask);; i = (i + 1) & t->mask) {
        uint32_t k = t->slots[2 * i];
        if (k == key) return (Py_ssize_t)t->slots[2 * i + 1];
        if (!k) return -1;
    }
}

static inline Py_ssize_t child(const Tables *t, int level, uint32_t node, uint16_t tok) {
    return level == 1 ? bigram_at(t, tok, (uint16_t)node) : child_of(t, level, node, tok);
}

static double bigram(const Tables *t, uint16_t a, uint16_t b) {
    uint32_t key = (uint32_t)a * (uint32_t)t->vocab + b + 1;
    for (uint32_t i = slot_of(key, t->mask);; i = (i + 1) & t->mask) {
        uint32_t k = t->slots[2 * i];
        if (k == key) return t->pbook[2][t->prob[2][t->slots[2 * i + 1]]];
        if (!k) return t->bbook[1][t->bo[1][a]] + t->pbook[1][t->prob[1][b]];
    }
}

/* log10 P(w | ctx), ctx nearest first, n of them (at most ORDER - 1): Model.logp */
static double logp(const Tables *t, uint16_t w, const uint16_t *ctx, int n) {
    uint32_t node = w;
    int depth = 1;
    double p = t->pbook[1][t->prob[1][w]];
    for (int i = 0; i < n; i++) {
        Py_ssize_t j = child(t, depth, node, ctx[i]);
        if (j < 0) break;
        node = (uint32_t)j;
        depth++;
        p = t->pbook[depth][t->prob[depth][j]];
    }
    if (depth > n) return p;
    node = ctx[0];
    int level = 1;
    for (;;) {
        if (level >= depth) p += t->bbook[level][t->bo[level][node]];
        if (level == n) break;
        Py_ssize_t j = child(t, level, node, ctx[level]);
        if (j < 0) break;
        node = (uint32_t)j;
        level++;
    }
    return p;
}

typedef struct { double g; int c; } Pre;
typedef struct { double gain; Py_ssize_t k; int c; } Best;

static int pre_desc(const void *x, const void *y) { /* sort((g, c), reverse=True) */
    const Pre *a = x, *b = y;
    if (a->g != b->g) return a->g < b->g ? 1 : -1;
    return (a->c < b->c) - (a->c > b->c);
}

static int best_desc(const void *x, const void *y) { /* sort((gain, k, c), reverse=True) */
    const Best *a = x, *b = y;
    if (a->gain != b->gain) return a->gain < b->gain ? 1 : -1;
    if (a->k != b->k) return a->k < b->k ? 1 : -1;
    return (a->c < b->c) - (a->c > b->c);
}

typedef struct {
    uint16_t *seq;
    char *hole;
    double *base;
    char *based;
    double *bg;   /* bigram(seq[k], seq[k + 1]), once per clause (bgd) */
    char *bgd;
    Best *best;
    Pre *pre;
    Py_ssize_t pre_cap;
    uint32_t *mark;  /* per token: the stamp of the position whose alike set holds it */
    uint32_t stamp;
    uint32_t *visit; /* per token: the stamp of the position whose walk of any characters reached it */
    uint32_t visit_stamp;
    struct Found { Py_ssize_t off, m, i; int c, d; double gain; } *found; /* the suspects, made into a list */
    Py_ssize_t nfound, found_cap;           /* once the GIL is held again */
} Work;

static int found_push(Work *w, Py_ssize_t off, Py_ssize_t m, Py_ssize_t i, int c, double gain, int d) {
    if (w->nfound == w->found_cap) {
        Py_ssize_t cap = w->found_cap * 2 + 64;
        struct Found *f = realloc(w->found, cap * sizeof(struct Found));
        if (!f) return -1;
        w->found = f;
        w->found_cap = cap;
    }
    w->found[w->nfound].off = off;
    w->found[w->nfound].m = m;
    w->found[w->nfound].i = i;
    w->found[w->nfound].c = c;
    w->found[w->nfound].d = d;
    w->found[w->nfound].gain = gain;
    w->nfound++;
    return 0;
}

/* one context of the window (nearest first) with position k replaced by c (or not, when c < 0) */
static int ctx_at(const uint16_t *seq, Py_ssize_t j, Py_ssize_t k, int c, uint16_t *ctx) {
    int n = 0;
    for (Py_ssize_t i = j - 1; i >= 0 && n < ORDER - 1; i--) ctx[n++] = (i == k && c >= 0) ? (uint16_t)c : seq[i];
    return n;
}

/* the context of position j (nearest first) with positions k and k + 1 replaced by x and y */
static int ctx_pair(const uint16_t *seq, Py_ssize_t j, Py_ssize_t k, uint16_t x, uint16_t y, uint16_t *ctx) {
    int n = 0;
    for (Py_ssize_t i = j - 1; i >= 0 && n < ORDER - 1; i--) ctx[n++] = i == k ? x : i == k + 1 ? y : seq[i];
    return n;
}

static int pre_push(Work *w, Py_ssize_t *len, double g, int c) {
    if (*len >= w->pre_cap) {
        Py_ssize_t cap = w->pre_cap * 2 + 64;
        Pre *p = realloc(w->pre, cap * sizeof(Pre));
        if (!p) return -1;
        w->pre = p;
        w->pre_cap = cap;
    }
    w->pre[*len].g = g;
    w->pre[*len].c = c;
    (*len)++;
    return 0;
}

static int take_best(Work *w, Py_ssize_t nbest, Py_ssize_t off, Py_ssize_t m);

/* log10 P(seq[k + 1] | seq[k]) as written, computed once per clause */
static inline double bg_at(const Tables *t, Work *w, Py_ssize_t k) {
    if (!w->bgd[k]) {
        w->bg[k] = bigram(t, w->seq[k], w->seq[k + 1]);
        w->bgd[k] = 1;
    }
    return w->bg[k];
}

/* log10 P of the clause's tokens k..hi as written, each computed once per clause (w->base) */
static double window(const Tables *t, Work *w, Py_ssize_t k, Py_ssize_t hi) {
    uint16_t ctx[ORDER - 1];
    double old = 0.0;
    for (Py_ssize_t j = k; j <= hi; j++) {
        if (!w->based[j]) {
            int nc = ctx_at(w->seq, j, k, -1, ctx);
            w->base[j] = logp(t, w->seq[j], ctx, nc);
            w->based[j] = 1;
        }
        old += w->base[j];
    }
    return old;
}

#define PAIR_KEEP_MAX 16

typedef struct {
    double g;
    uint16_t x, y;
} PairCand;

/* keeps the `keep` best candidates in descending (g, x, y) order: Python's sort(reverse=True) of (g, x, y) */
static void pair_keep(PairCand *kept, int *n, int keep, double g, uint16_t x, uint16_t y) {
    int at = *n;
    while (at > 0 && (kept[at - 1].g < g || (kept[at - 1].g == g && (kept[at - 1].x < x ||
                                                                    (kept[at - 1].x == x && kept[at - 1].y < y)))))
        at--;
    if (at >= keep) return;
    int last = *n < keep ? *n : keep - 1;
    for (int i = last; i > at; i--) kept[i] = kept[i - 1];
    kept[at].g = g;
    kept[at].x = x;
    kept[at].y = y;
    if (*n < keep) (*n)++;
}

static int clause(const Tables *t, const Params *pr, Work *w, const uint16_t *ids, Py_ssize_t m,
                  const Py_UCS4 *chars, Py_ssize_t off) {
    Py_ssize_t n = m + 2;
    uint16_t *seq = w->seq;
    seq[0] = BOS;
    memcpy(seq + 1, ids, m * sizeof(uint16_t));
    seq[n - 1] = EOS;
    Py_ssize_t unseen = 0;
    for (Py_ssize_t k = 0; k < n - 1; k++) {
        w->hole[k] = !SEEN(t, seq[k], seq[k + 1]);
        unseen += w->hole[k];
    }
    if ((double)(unseen - pr->explain) > pr->other_unseen * (double)(n - 1)) return 0;
    /* few enough unseen bigrams that every character may be judged, not only those next to one */
    int seen_ok = (double)unseen <= pr->other_unseen * (double)(n - 1);
    double limit = (double)unseen - pr->other_unseen * (double)(n - 1);
    if (limit > 2) limit = 2; /* with more, each suspect explains both of its bigrams */
    memset(w->based, 0, n);
    memset(w->bgd, 0, n);
    Py_ssize_t nbest = 0;
    uint16_t ctx[ORDER - 1];
    for (Py_ssize_t k = 1; k < n - 1; k++) {
        int hl = w->hole[k - 1], hr = w->hole[k];
        int seen_mode = !hl && !hr;  /* both bigrams of the character are in the model */
        if (seen_mode && !seen_ok) continue;
        Py_UCS4 ch = chars[k - 1];
        uint8_t f = ch < 65536 ? t->flags[ch] : 0;
        if ((f & F_NUMERAL) || !(f & F_HAN) || (double)(hl + hr) < limit) continue;
        uint16_t a = seq[k - 1], b = seq[k + 1];
        if (a == NUM || a == LAT || b == NUM || b == LAT) continue;
        if (seen_mode && bg_at(t, w, k - 1) + bg_at(t, w, k) > pr->seen_bigram) continue;
        uint16_t row = t->alike_of[ch];
        uint32_t alo = 0, ahi = 0;
        if (row != 0xFFFF) { alo = t->al_off[row]; ahi = t->al_off[row + 1]; }
        int any_char = hl && hr;
        double o2 = bg_at(t, w, k - 1) + bg_at(t, w, k) + pr->pre_gain;
        Py_ssize_t np_alike = 0;
        w->stamp++;
        for (uint32_t i = alo; i < ahi; i++) {
            uint16_t c = t->al_tok[i];
            w->mark[c] = w->stamp;
            if (!SEEN(t, a, c) || !SEEN(t, c, b)) continue;
            double g = bigram(t, a, c) + bigram(t, c, b);
            if (g > o2 && pre_push(w, &np_alike, g, c) < 0) return -1;
        }
        qsort(w->pre, np_alike, sizeof(Pre), pre_desc);
        if (np_alike > pr->pre_keep) np_alike = pr->pre_keep;
        Py_ssize_t np = np_alike;
        if (any_char) {
            double o3 = o2 + pr->any_pre_gain;
            const double *book = t->pbook[2];
            /* every c with both bigrams a c and c b: a's successors and b's predecessors, each most probable
             * first, walked together from the higher head; a c reached by neither has P(c | a) and P(b | c) at
             * most the heads', so once their sum cannot pass o3 no c left can (the same set as walking all) */
            uint32_t i = t->by_off[a], ie = t->by_off[a + 1], j = t->child[1][b], je = t->child[1][b + 1];
            w->visit_stamp++;
            while (i < ie && j < je) {
                double pa = book[t->by_code[i]], pb = book[t->pr_code[j]];
                if (pa + pb <= o3) break;
                uint16_t c;
                double g;
                if (pa >= pb) {
                    c = t->by_tok[i++];
                    if (c <= LAT || w->mark[c] == w->stamp || w->visit[c] == w->visit_stamp) continue;
                    w->visit[c] = w->visit_stamp;
                    if (!SEEN(t, c, b)) continue;
                    g = pa + bigram(t, c, b);
                } else {
                    c = t->pr_tok[j++];
                    if (c <= LAT || w->mark[c] == w->stamp || w->visit[c] == w->visit_stamp) continue;
                    w->visit[c] = w->visit_stamp;
                    if (!SEEN(t, a, c)) continue;
                    g = bigram(t, a, c) + pb;
                }
                if (g > o3 && pre_push(w, &np, g, c) < 0) return -1;
            }
            qsort(w->pre + np_alike, np - np_alike, sizeof(Pre), pre_desc);
            if (np - np_alike > pr->pre_keep_any) np = np_alike + pr->pre_keep_any;
        }
        if (!np) continue;
        Py_ssize_t hi = k + ORDER - 1 < n - 1 ? k + ORDER - 1 : n - 1;
        double old = window(t, w, k, hi);
        double top = -1e9;
        int top_c = -1;
        for (Py_ssize_t q = 0; q < np; q++) {
            int c = w->pre[q].c;
            double bar = seen_mode ? pr->seen_gain : w->mark[c] == w->stamp ? pr->info : pr->dissimilar;
            double need = old + bar > top ? old + bar : top; /* what the sum must reach to count */
            double nw = 0.0;
            int gone = 0;
            for (Py_ssize_t j = k; j <= hi && !gone; j++) {
                int nc = ctx_at(seq, j, k, c, ctx);
                nw += logp(t, j == k ? (uint16_t)c : seq[j], ctx, nc);
                gone = nw + t->most * (double)(hi - j) < need - 1e-9; /* the rest cannot lift it there */
            }
            if (!gone && nw > top && nw - old >= bar) { top = nw; top_c = c; }
        }
        if (top_c >= 0) {
            w->best[nbest].gain = top - old;
            w->best[nbest].k = k;
            w->best[nbest].c = top_c;
            nbest++;
        }
    }
    if (nbest && take_best(w, nbest, off, m) < 0) return -1;
    /* two characters an input method chose for a same-sounding word (淡味 for 单位, 征服 for 政府). Where the three
     * bigrams around them are all seen, the pair is tried only if they read below pair_seen_bigram together, a
     * replacement's three bigrams must be seen too, and only the pair_pre_keep best by the gain over those bigrams
     * (above pair_pre_gain) are scored in full, in that order (lm.py's _clause: the same) */
    for (Py_ssize_t k = 1; k + 2 < n; k++) {
        int seen_pair = !w->hole[k - 1] && !w->hole[k] && !w->hole[k + 1];
        uint16_t t1 = seq[k], t2 = seq[k + 1];
        if (t1 == BOS || t1 == EOS || t1 == NUM || t1 == LAT || t2 == BOS || t2 == EOS || t2 == NUM || t2 == LAT)
            continue;
        uint16_t pa = seq[k - 1], pb = seq[k + 2];
        double o3 = 0.0;
        if (seen_pair) {
            o3 = bg_at(t, w, k - 1) + bg_at(t, w, k) + bg_at(t, w, k + 1);
            if (o3 > pr->pair_seen_bigram) continue;
            o3 += pr->pair_pre_gain;
        }
        Py_UCS4 c1 = chars[k - 1], c2 = chars[k];
        if (c1 >= 65536 || c2 >= 65536) continue;
        uint16_t r1 = t->alike_of[c1], r2 = t->alike_of[c2];
        if (r1 == 0xFFFF || r2 == 0xFFFF || r1 >= t->nsyl || r2 >= t->nsyl) continue;
        uint16_t y1 = t->syl[r1], y2 = t->syl[r2];
        if (y1 == 0xFFFF || y2 == 0xFFFF) continue;
        uint32_t key = (uint32_t)y1 * 1024 + y2;
        Py_ssize_t lo = 0, hi_ = t->nhomo;
        while (lo < hi_) {
            Py_ssize_t mid = lo + (hi_ - lo) / 2;
            if (t->homo_key[mid] < key) lo = mid + 1; else hi_ = mid;
        }
        if (lo == t->nhomo || t->homo_key[lo] != key) continue;
        PairCand kept[PAIR_KEEP_MAX];
        int nkept = 0;
        if (seen_pair) {
            for (uint32_t q = t->homo_off[lo]; q < t->homo_off[lo + 1]; q++) {
                uint16_t x = t->homo_tok[2 * q], y = t->homo_tok[2 * q + 1];
                if (x == t1 || y == t2 || !SEEN(t, x, y) || !SEEN(t, pa, x) || !SEEN(t, y, pb)) continue;
                double g = bigram(t, pa, x) + bigram(t, x, y) + bigram(t, y, pb);
                if (g > o3) pair_keep(kept, &nkept, pr->pair_pre_keep, g, x, y);
            }
            if (!nkept) continue;
        }
        Py_ssize_t hi = k + ORDER < n - 1 ? k + ORDER : n - 1;
        double old = window(t, w, k, hi);
        double top = -1e9;
        int top_x = -1, top_y = -1;
        /* none of the three bigrams as written in the model: a word it has not met needs more */
        double bar = w->hole[k - 1] && w->hole[k] && w->hole[k + 1] ? pr->pair_unseen_gain : pr->pair_gain;
        uint32_t qlo = seen_pair ? 0 : t->homo_off[lo], qhi = seen_pair ? (uint32_t)nkept : t->homo_off[lo + 1];
        for (uint32_t q = qlo; q < qhi; q++) {
            uint16_t x = seen_pair ? kept[q].x : t->homo_tok[2 * q], y = seen_pair ? kept[q].y : t->homo_tok[2 * q + 1];
            if (x == t1 || y == t2 || !SEEN(t, x, y)) continue;
            double need = old + bar > top ? old + bar : top;
            double nw = 0.0;
            int gone = 0;
            for (Py_ssize_t j = k; j <= hi && !gone; j++) {
                int nc = ctx_pair(seq, j, k, x, y, ctx);
                nw += logp(t, j == k ? x : j == k + 1 ? y : seq[j], ctx, nc);
                gone = nw + t->most * (double)(hi - j) < need - 1e-9;
            }
            if (!gone && nw > top && nw - old >= bar) { top = nw; top_x = x; top_y = y; }
        }
        if (top_x >= 0) {
            if (found_push(w, off, m, k - 1, top_x, top - old, top_y) < 0) return -1;
        }
    }
    return 0;
}

/* one suspect per unseen bigram: the most probable first, none next to one taken */
static int take_best(Work *w, Py_ssize_t nbest, Py_ssize_t off, Py_ssize_t m) {
    qsort(w->best, nbest, sizeof(Best), best_desc);
    Py_ssize_t ntaken = 0;
    for (Py_ssize_t q = 0; q < nbest; q++) {
        Py_ssize_t k = w->best[q].k;
        int free_ = 1;
        for (Py_ssize_t r = 0; r < ntaken; r++) {
            Py_ssize_t d = k - w->best[r].k;
            if (d >= -1 && d <= 1) { free_ = 0; break; }
        }
        if (!free_) continue;
        w->best[ntaken++] = w->best[q];  /* taken entries stay at the front */
        if (found_push(w, off, m, k - 1, w->best[q].c, w->best[q].gain, -1) < 0) return -1;
    }
    return 0;
}

/* the hash table's slots for n bigrams: at most 70% full (4 MB for the shipped model) */
static size_t slots_for(size_t n) {
    size_t slots = 1024;
    while (slots * 7 < n * 10) slots *= 2;
    return slots;
}

/* bigram_bits' bytes after the bitset: the hash table, then the sorted bigrams */
static size_t bits_tail(size_t vocab, size_t n) {
    size_t tail = 8 * slots_for(n) + 4 * (vocab + 1 + ((vocab + 1) & 1)) + 6 * n;
    return (tail + 7) & ~(size_t)7;
}

static int get_tables(PyObject *seq, Py_buffer *views, Tables *t) {
    if (!PyTuple_Check(seq) || PyTuple_GET_SIZE(seq) != NTABLES) {
        PyErr_SetString(PyExc_TypeError, "tables: a tuple of 30 buffers");
        return -1;
    }
    for (int i = 0; i < NTABLES; i++) {
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(seq, i), &views[i], PyBUF_C_CONTIGUOUS) < 0) {
            for (int j = 0; j < i; j++) PyBuffer_Release(&views[j]);
            return -1;
        }
    }
    int i = 0;
    t->code = views[i++].buf;
    t->flags = views[i++].buf;
    t->alike_of = views[i++].buf;
    for (int k = 1; k < ORDER; k++) t->child[k] = views[i++].buf;
    for (int k = 2; k <= ORDER; k++) t->tok[k] = views[i++].buf;
    for (int k = 1; k <= ORDER; k++) t->prob[k] = views[i++].buf;
    for (int k = 1; k < ORDER; k++) t->bo[k] = views[i++].buf;
    /* codebooks: one buffer of doubles each, pbook 1..4 then bbook 1..3 */
    for (int k = 1; k <= ORDER; k++) t->pbook[k] = views[i++].buf;
    for (int k = 1; k < ORDER; k++) t->bbook[k] = views[i++].buf;
    t->al_off = views[i++].buf;
    t->al_tok = views[i++].buf;
    t->seen = views[i].buf;
    Py_ssize_t vocab = views[3].len / 4 - 1;
    Py_ssize_t bits = (vocab * vocab + 7) / 8;
    Py_ssize_t nbig = views[3 + ORDER - 1].len / 2; /* tok[2]: one token per bigram */
    const uint8_t *head = (const uint8_t *)views[i].buf + ((bits + 7) & ~(Py_ssize_t)7);
    size_t slots = slots_for((size_t)nbig);
    if (views[i].len != (Py_ssize_t)(head - (const uint8_t *)views[i].buf) + (Py_ssize_t)bits_tail(vocab, nbig)) {
        for (int j = 0; j < NTABLES; j++) PyBuffer_Release(&views[j]);
        PyErr_SetString(PyExc_ValueError, "tables: the bigram tables do not fit the model");
        return -1;
    }
    t->slots = (const uint32_t *)head;
    t->mask = (uint32_t)slots - 1;
    t->by_off = (const uint32_t *)(head + 8 * slots);
    t->by_tok = (const uint16_t *)(t->by_off + vocab + 1 + ((vocab + 1) & 1));
    t->pr_tok = t->by_tok + nbig;
    t->by_code = (const uint8_t *)(t->pr_tok + nbig);
    t->pr_code = t->by_code + nbig;
    i++;
    t->syl = views[i].buf;
    t->nsyl = views[i++].len / 2;
    t->homo_key = views[i].buf;
    t->nhomo = views[i++].len / 4;
    t->homo_off = views[i++].buf;
    t->homo_tok = views[i++].buf;
    t->vocab = views[3].len / 4 - 1; /* child1 has one entry per token, and one more */
    /* an upper bound of logp: the largest probability of any level plus every positive back-off weight */
    double most = -1e300, lift = 0.0;
    for (int k = 1; k <= ORDER; k++)
        for (Py_ssize_t q = 0; q < views[16 + k - 1].len / 8; q++)
            if (t->pbook[k][q] > most) most = t->pbook[k][q];
    for (int k = 1; k < ORDER; k++) {
        double top = 0.0;
        for (Py_ssize_t q = 0; q < views[20 + k - 1].len / 8; q++)
            if (t->bbook[k][q] > top) top = t->bbook[k][q];
        lift += top;
    }
    t->most = most + lift > 0 ? most + lift : 0.0;
    return 0;
}

static double monotonic(void) { /* time.monotonic() */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static PyObject *scan(PyObject *self, PyObject *args) {
    PyObject *text, *tables;
    Params pr;
    Py_buffer bounds = {0}, cursor = {0};
    double limit = 0.0;
    if (!PyArg_ParseTuple(args, "UO(ddddddddiiiiddid)|y*w*d", &text, &tables, &pr.info, &pr.dissimilar,
                          &pr.seen_gain, &pr.seen_bigram, &pr.pair_gain, &pr.pre_gain, &pr.any_pre_gain,
                          &pr.other_unseen, &pr.pre_keep, &pr.pre_keep_any, &pr.min_clause, &pr.explain,
                          &pr.pair_seen_bigram, &pr.pair_pre_gain, &pr.pair_pre_keep, &pr.pair_unseen_gain, &bounds,
                          &cursor, &limit))
        return NULL;
    if (pr.pair_pre_keep < 1 || pr.pair_pre_keep > PAIR_KEEP_MAX) {
        PyErr_SetString(PyExc_ValueError, "pair_pre_keep out of range");
        return NULL;
    }
    /* pieces: bounds holds int64 cuts c0 < c1 < ... (piece q is [c_q, c_q+1)), cursor one int64, the next piece
     * to take, shared by every thread searching the same text: each takes pieces until none is left, or until
     * time.monotonic() passes limit (when above 0) */
    int pieces = bounds.buf != NULL;
    if (pieces != (cursor.buf != NULL) || (pieces && (bounds.len % 8 || bounds.len < 16 || cursor.len < 8))) {
        if (bounds.buf) PyBuffer_Release(&bounds);
        if (cursor.buf) PyBuffer_Release(&cursor);
        PyErr_SetString(PyExc_ValueError, "scan: bounds (int64 cuts, two or more) and cursor (int64) go together");
        return NULL;
    }
    const int64_t *cuts = pieces ? (const int64_t *)bounds.buf : NULL;
    int64_t *next = pieces ? (int64_t *)cursor.buf : NULL;
    int64_t npieces = pieces ? (int64_t)(bounds.len / 8) - 1 : 1;
    Py_buffer views[NTABLES];
    Tables t;
    if (get_tables(tables, views, &t) < 0) {
        if (pieces) { PyBuffer_Release(&bounds); PyBuffer_Release(&cursor); }
        return NULL;
    }
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    if (pieces && (cuts[0] < 0 || cuts[npieces] > len)) {
        for (int k = 0; k < NTABLES; k++) PyBuffer_Release(&views[k]);
        PyBuffer_Release(&bounds);
        PyBuffer_Release(&cursor);
        PyErr_SetString(PyExc_ValueError, "scan: a cut beyond the text");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Work w = {0};
    uint16_t *ids = NULL;
    Py_UCS4 *chars = NULL;
    Py_ssize_t cap = 0; /* the longest clause so far, plus three: the buffers grow with it */
    w.mark = calloc(t.vocab + 1, sizeof(uint32_t));
    w.visit = calloc(t.vocab + 1, sizeof(uint32_t));
    int failed = !w.mark || !w.visit;
    Py_ssize_t *taken = NULL, ntaken = 0; /* per piece searched here: its index, and where its suspects start */
    if (pieces && !(taken = malloc(2 * (size_t)npieces * sizeof(Py_ssize_t)))) failed = 1;
    Py_BEGIN_ALLOW_THREADS  /* the text is immutable and held by the call: other threads may run meanwhile */
    for (;;) {
    Py_ssize_t i = 0, end = len;
    if (pieces) {
        if (failed || (limit > 0 && monotonic() > limit)) break;
        int64_t q = __atomic_fetch_add(next, 1, __ATOMIC_SEQ_CST);
        if (q >= npieces) break;
        i = (Py_ssize_t)cuts[q];
        end = (Py_ssize_t)cuts[q + 1];
        taken[2 * ntaken] = (Py_ssize_t)q;
        taken[2 * ntaken + 1] = w.nfound;
        ntaken++;
    }
    while (!failed && i < end) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch >= 65536 || !(t.flags[ch] & F_CLAUSE)) { i++; continue; }
        Py_ssize_t start = i, m;
        while (i < end) {
            ch = PyUnicode_READ(kind, data, i);
            if (ch >= 65536 || !(t.flags[ch] & F_CLAUSE)) break;
            i++;
        }
        m = i - start;
        if (m < pr.min_clause) continue;
        if (m + 3 > cap) {
            Py_ssize_t want = m + 3 > 2 * cap ? m + 3 : 2 * cap;
            void *p[9] = {realloc(ids, want * sizeof(uint16_t)), realloc(chars, want * sizeof(Py_UCS4)),
                          realloc(w.seq, want * sizeof(uint16_t)), realloc(w.hole, want),
                          realloc(w.base, want * sizeof(double)), realloc(w.based, want),
                          realloc(w.best, want * sizeof(Best)), realloc(w.bg, want * sizeof(double)),
                          realloc(w.bgd, want)};
            /* a failed realloc leaves its block as it was: keep whichever pointer is valid, for free() */
            if (p[0]) ids = p[0];
            if (p[1]) chars = p[1];
            if (p[2]) w.seq = p[2];
            if (p[3]) w.hole = p[3];
            if (p[4]) w.base = p[4];
            if (p[5]) w.based = p[5];
            if (p[6]) w.best = p[6];
            if (p[7]) w.bg = p[7];
            if (p[8]) w.bgd = p[8];
            if (!p[0] || !p[1] || !p[2] || !p[3] || !p[4] || !p[5] || !p[6] || !p[7] || !p[8]) { failed = 1; break; }
            cap = want;
        }
        for (Py_ssize_t q = 0; q < m; q++) {
            ch = PyUnicode_READ(kind, data, start + q);
            chars[q] = ch;
            ids[q] = t.code[ch];
        }
        if (clause(&t, &pr, &w, ids, m, chars, start) < 0) failed = 1;
    }
    if (!pieces) break;
    }
    Py_END_ALLOW_THREADS
    free(ids); free(chars); free(w.seq); free(w.hole); free(w.base); free(w.based); free(w.bg); free(w.bgd);
    free(w.best); free(w.mark); free(w.visit);
    free(w.pre);
    PyObject *out = failed ? NULL : PyList_New(w.nfound);
    Py_ssize_t piece = 0; /* with pieces, each suspect carries the index of its piece */
    for (Py_ssize_t q = 0; out && q < w.nfound; q++) {
        struct Found *f = &w.found[q];
        while (pieces && piece + 1 < ntaken && taken[2 * (piece + 1) + 1] <= q) piece++;
        PyObject *item = pieces ? Py_BuildValue("(nnnidin)", f->off, f->m, f->i, f->c, f->gain, f->d, taken[2 * piece])
                                : Py_BuildValue("(nnnidi)", f->off, f->m, f->i, f->c, f->gain, f->d);
        if (!item) { Py_CLEAR(out); break; }
        PyList_SET_ITEM(out, q, item);
    }
    free(w.found);
    free(taken);
    if (!out) failed = 1;
    if (pieces) { PyBuffer_Release(&bounds); PyBuffer_Release(&cursor); }
    for (int k = 0; k < NTABLES; k++) PyBuffer_Release(&views[k]);
    if (failed) { Py_XDECREF(out); if (!PyErr_Occurred()) PyErr_NoMemory(); return NULL; }
    return out;
}

/* bigram_bits(child1, tok2, prob2, pbook2) -> bytes: one bit per (a, b), set where the model holds the bigram
 * a b; then, from the next multiple of 8 bytes, an open-addressing table of (a * vocab + b + 1, its index in
 * level 2) pairs; then each token's bigrams, most probable first: offsets of a's bigrams a c (uint32,
 * vocab + 1, padded to 8 bytes), their tokens c, then b's bigrams c b (at child1's offsets) their tokens c
 * (uint16), then the probability codes of both in the same order (uint8) */
static const double *by_book; /* bigram_bits' sorts: the codebook of the codes compared */
static int by_desc(const void *x, const void *y) { /* code << 16 | token: by probability, then token, descending */
    const uint32_t *a = x, *b = y;
    double pa = by_book[*a >> 16], pb = by_book[*b >> 16];
    if (pa != pb) return pa < pb ? 1 : -1;
    return ((*a & 0xFFFF) < (*b & 0xFFFF)) - ((*a & 0xFFFF) > (*b & 0xFFFF));
}

static PyObject *bigram_bits(PyObject *self, PyObject *args) {
    Py_buffer ch, tok, pr, bk;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &ch, &tok, &pr, &bk)) return NULL;
    const uint32_t *child = ch.buf;
    const uint16_t *toks = tok.buf;
    const uint8_t *codes = pr.buf;
    size_t vocab = ch.len / 4 - 1, n = tok.len / 2;
    size_t bits = (vocab * vocab + 7) / 8, head = (bits + 7) & ~(size_t)7;
    size_t slots = slots_for(n);
    uint32_t *pairs = malloc((n ? n : 1) * sizeof(uint32_t)), *fill = calloc(vocab + 1, sizeof(uint32_t));
    int fits = (size_t)pr.len >= n && child[vocab] == n && vocab <= 0xFFFF && (size_t)bk.len >= 256 * sizeof(double);
    PyObject *out = pairs && fill && fits ? PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(head + bits_tail(vocab, n)))
                                          : NULL;
    if (!fits) PyErr_SetString(PyExc_ValueError, "bigram_bits: the arrays do not fit together");
    if (out) {
        uint8_t *seen = (uint8_t *)PyBytes_AS_STRING(out);
        uint32_t *table = (uint32_t *)(seen + head);
        uint32_t mask = (uint32_t)slots - 1;
        uint32_t *off = (uint32_t *)(seen + head + 8 * slots);
        uint16_t *by_tok = (uint16_t *)(off + vocab + 1 + ((vocab + 1) & 1)), *pr_tok = by_tok + n;
        uint8_t *by_code = (uint8_t *)(pr_tok + n), *pr_code = by_code + n;
        memset(seen, 0, head + bits_tail(vocab, n));
        by_book = bk.buf;
        for (size_t b = 0; b < vocab; b++) {  /* node b of level 1: its children are the tokens seen before b */
            for (uint32_t j = child[b]; j < child[b + 1]; j++) {
                size_t bit = (size_t)toks[j] * vocab + b;
                seen[bit >> 3] |= (uint8_t)(1u << (bit & 7));
                uint32_t key = (uint32_t)bit + 1, i = slot_of(key, mask);
                while (table[2 * i] && table[2 * i] != key) i = (i + 1) & mask;
                table[2 * i] = key;
                table[2 * i + 1] = j;
                off[toks[j] + 1]++;
                pairs[j] = (uint32_t)codes[j] << 16 | toks[j];
            }
            qsort(pairs + child[b], child[b + 1] - child[b], sizeof(uint32_t), by_desc);
            for (uint32_t j = child[b]; j < child[b + 1]; j++) {
                pr_tok[j] = (uint16_t)(pairs[j] & 0xFFFF);
                pr_code[j] = (uint8_t)(pairs[j] >> 16);
            }
        }
        for (size_t a = 0; a < vocab; a++) off[a + 1] += off[a];
        for (size_t b = 0; b < vocab; b++)
            for (uint32_t j = child[b]; j < child[b + 1]; j++) {
                uint16_t a = toks[j];
                pairs[off[a] + fill[a]++] = (uint32_t)codes[j] << 16 | (uint32_t)b;
            }
        for (size_t a = 0; a < vocab; a++) qsort(pairs + off[a], off[a + 1] - off[a], sizeof(uint32_t), by_desc);
        for (size_t q = 0; q < n; q++) {
            by_tok[q] = (uint16_t)(pairs[q] & 0xFFFF);
            by_code[q] = (uint8_t)(pairs[q] >> 16);
        }
    }
    free(pairs);
    free(fill);
    PyBuffer_Release(&ch);
    PyBuffer_Release(&tok);
    PyBuffer_Release(&pr);
    PyBuffer_Release(&bk);
    if (!out && !PyErr_Occurred()) PyErr_NoMemory();
    return out;
}

static PyMethodDef methods[] = {
    {"bigram_bits", bigram_bits, METH_VARARGS, "bigram_bits(child1, tok2): the model's bigrams as a bitset"},
    {"scan", scan, METH_VARARGS,
     "scan(text, tables, params[, bounds, cursor, limit]): the suspects of Detector._clause, for every clause (of "
     "the pieces this call takes, each suspect with its piece's index)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lmscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__lmscan(void) { return PyModule_Create(&module); }
