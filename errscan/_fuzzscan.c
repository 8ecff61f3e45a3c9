/* The compiled candidate scan of errscan.fuzzy: the same candidates, in the same order, as its pure-Python path.

   When fuzzy.py makes its index it gives compile() the keys and actions (plain bytes) and gets one blob of
   bytes back, which it caches in a file beside the index (native byte order: the cache is the machine's own).
   Scanner(blob) takes that file mapped (or the bytes), checks its header and scans with it in place; nothing
   else is read before a scan needs it, and the scan checks every index it takes from the blob before reading
   through it.

   A key is a pattern of two to four characters ending at a position p of the text, each character as a 15-bit
   id (an ideograph U+4E00..U+9FFF is its offset + 1; the few other characters of keys follow, in the `special`
   table), the one at p in the low bits, and its shape in bits 60..63:

     0 (contiguous)  text[p-L+1 .. p], L = 2..4
     1..6 (hole)     l characters, a hole (any character), r characters: (l, r) = (1, 1) (1, 2) (2, 1) (2, 2)
                     (1, 3) (3, 1); the hole is text[p - r]

   The pure-Python scan's gapped keys (characters two apart) stand for a character replaced or added between
   two of a name's; here each such edit is keyed by up to four of the name's characters around the hole, and a
   swap found through them by the swapped string itself: fewer keys hit, and a hit is checked in full. compile()
   takes one key per action, and the actions as uint64: the entry id | (type | position << 8 | a << 16 |
   b << 24) << 32:

     FIRST    s[1 : 1 + size] ends at p, s[0] replaced     LAST     s[n-1-size : n-1] ends at p, s[-1] replaced
     CHAR2    the whole variant of a two-character name     VARIANT  a = kind, b = characters up to p inclusive
     HOLE_SUB s[i] replaced (a = r)   HOLE_INS  a character added before s[i] (a = r)
     SWAP_AT  s[i], s[i+1] swapped (b as VARIANT), unless the text also reads as HOLE_INS (the Python order)

   The keys sit in an open-addressing hash table behind a bitset (two bits a key, in one word), and a byte
   array notes, by a hash of a key's last two characters, which shapes end with them: a position is looked at
   only for those. The candidate keys of a block of positions are gathered first, then filtered by the bitset,
   then looked up with their slots fetched ahead. Each action is held with one more character it needs (its
   sentinel) and with the canonical character that the replaced one must differ from and, for names that take
   only sound- or shape-alike replacements, be alike to: both are tried before the entry's name is read. The
   alike pairs (similar.relation) are sorted rows behind a bitset. Positions are code points of the text
   (PyUnicode_READ), the GIL is released while scanning, and the spans are sorted and deduplicated as
   fuzzy.candidates does: (start, end, entry, kind, position), kinds numbered in the order of their names. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LAYOUT 3 /* of the blob: bump on any change to it */
#define URO_LO 0x4E00u
#define URO_SPAN 0x5200u /* U+4E00..U+9FFF */
#define CHARS ((((uint64_t)1) << 60) - 1)
#define SHAPE(k) ((k) >> 60)
#define TAG(shape) ((uint64_t)(shape) << 60)
#define SHAPES 7
#define MAX_NAME 64
#define PAIR_ROWS (URO_SPAN + 1)
#define PAIR_BLOOM_BITS 23
#define HASH_MUL 0x9E3779B97F4A7C15ull
#define NO_SENTINEL 127
#define ENDS_BITS 19
#define SLOT_NUM 1 /* the hash table at most SLOT_NUM / SLOT_DEN full */
#define SLOT_DEN 2
#define BLOOM_SLOTS 4 /* log2 of the slots a word of the bitset covers */

/* The shapes that end with a pair of characters: adjacent ones (text[p-1], text[p]) ... */
enum { END_C2 = 1, END_C3 = 2, END_C4 = 4, END_H12 = 8, END_H22 = 16, END_H13 = 32 };
/* ... and two apart (text[p-2], text[p]) */
enum { END_H11 = 1, END_H21 = 2, END_H31 = 4 };

enum { A_FIRST, A_LAST, A_CHAR2, A_VARIANT, A_HOLE_SUB, A_HOLE_INS, A_SWAP_AT, A_TYPES };
enum { K_INSERT, K_OMIT, K_SUBSTITUTE, K_SWAP, K_TRANSPOSE, K_KINDS }; /* sorted by name */
static const int HOLE_L[SHAPES] = {0, 1, 1, 2, 2, 1, 3}, HOLE_R[SHAPES] = {0, 1, 2, 1, 2, 3, 1};

typedef struct {
    uint64_t key;
    uint32_t lo, hi; /* its actions: acts[lo .. hi) */
} Slot;

typedef struct {
    uint32_t eid;
    uint8_t type, pos, a, b;
    int8_t soff; /* text[p + soff] must be schar, unless NO_SENTINEL */
    uint8_t alike_only;
    uint16_t schar;
    uint16_t achar; /* the canonical character the replaced one, text[p + eoff], must differ from */
    uint8_t n; /* the name's length */
    int8_t eoff; /* NO_SENTINEL where the action replaces no character */
} Act;

typedef struct {
    Py_ssize_t start, end;
    uint32_t eid;
    uint8_t kind, pos;
} Span;

/* The blob: this header, then its sections, each at a multiple of 64 bytes. */
enum { S_SLOTS, S_ACTS, S_BLOOM, S_ENDS, S_PAIR_BLOOM, S_PAIR_OFF, S_PAIR_CHARS, S_NAME_OFF, S_CHARS, S_SET_CODE,
       S_SPECIAL, SECTIONS };

typedef struct {
    char magic[8];
    uint32_t layout, slot_bits;
    uint64_t nnames, nchars, nacts, npairs, nspecial, lowest;
    uint64_t at[SECTIONS], size[SECTIONS];
} Header;

static const char MAGIC[8] = "fuzzscan";

/* The tables: pointers into the blob (or into its copy, where its buffer is not aligned). */
typedef struct {
    Slot *slots;
    int slot_shift;
    uint64_t slot_mask;
    uint64_t *bloom;
    int bloom_shift;
    uint8_t *ends; /* 1 << ENDS_BITS, by a hash of a key's last two characters: the shapes there (END_*) */
    Act *acts;
    Py_ssize_t nacts;
    Py_UCS2 *chars; /* the names, one after the other */
    uint32_t *name_off; /* nnames + 1 */
    uint8_t *set_code;
    Py_ssize_t nnames;
    uint64_t nchars;
    uint32_t *pair_off; /* PAIR_ROWS + 1: the characters alike to U+4E00 + row */
    uint32_t *pair_chars;
    uint64_t npairs;
    uint64_t *pair_bloom;
    uint32_t *special;
    Py_ssize_t nspecial;
    Py_UCS4 lowest; /* no key holds a character below it */
} Tables;

typedef struct {
    PyObject_HEAD
    Tables t;
    int ready;
    Py_buffer blob; /* bytes or a read-only mmap of the cached file */
    void *copy; /* the blob, aligned, if its buffer was not */
    PyObject *set_names; /* tuple */
    PyObject *kinds; /* tuple of K_KINDS str */
} Scanner;

static int
bad(const char *what)
{
    PyErr_Format(PyExc_ValueError, "_fuzzscan: %s", what);
    return -1;
}

static inline uint64_t
get64(const void *buf, Py_ssize_t i)
{
    uint64_t v;
    memcpy(&v, (const char *)buf + 8 * i, sizeof(v));
    return v;
}

static inline uint32_t
get32(const void *buf, Py_ssize_t i)
{
    uint32_t v;
    memcpy(&v, (const char *)buf + 4 * i, sizeof(v));
    return v;
}

static inline uint64_t
hash_key(uint64_t key)
{
    return key * HASH_MUL;
}

/* Two bits of one word of the bitset. */
static inline uint64_t
bloom_bits(uint64_t h)
{
    return (uint64_t)1 << ((h >> 20) & 63) | (uint64_t)1 << ((h >> 26) & 63);
}

/* Where the shapes that end with two characters (the pair of ids; apart: two apart) are noted. */
static inline uint64_t
end_slot(uint64_t pair, int apart)
{
    return ((pair | (uint64_t)apart << 40) * HASH_MUL) >> (64 - ENDS_BITS);
}

static inline uint64_t
pair_bit(Py_UCS4 written, Py_UCS2 canonical)
{
    return (((uint64_t)written << 16 | canonical) * HASH_MUL) >> (64 - PAIR_BLOOM_BITS);
}

/* The characters of a key (its nonzero ids from the low end), or 0 if it is malformed. */
static int
key_length(uint64_t key)
{
    int shape = (int)SHAPE(key), n = 0;
    uint64_t chars = key & CHARS;
    for (; chars & 0x7FFF; chars >>= 15)
        n++;
    if (chars || shape >= SHAPES)
        return 0;
    if (shape == 0)
        return n >= 2 ? n : 0;
    return n == HOLE_L[shape] + HOLE_R[shape] ? n : 0;
}

/* fuzzy._variant(name, kind, pos) into v; its length */
static int
variant(const Py_UCS2 *name, int n, int kind, int pos, Py_UCS2 *v)
{
    if (kind == K_TRANSPOSE) {
        memcpy(v, name, sizeof(Py_UCS2) * (size_t)n);
        v[pos] = name[pos + 1];
        v[pos + 1] = name[pos];
        return n;
    }
    if (kind == K_OMIT) {
        memcpy(v, name, sizeof(Py_UCS2) * (size_t)pos);
        memcpy(v + pos, name + pos + 1, sizeof(Py_UCS2) * (size_t)(n - pos - 1));
        return n - 1;
    }
    memcpy(v, name + pos, sizeof(Py_UCS2) * (size_t)(n - pos)); /* swap: s[pos:] + s[:pos] */
    memcpy(v + (n - pos), name, sizeof(Py_UCS2) * (size_t)pos);
    return n;
}

/* Whether an action of a name of n characters reads only inside the name (the scan relies on it). */
static int
action_fits(int type, int n, int i, int a, int b)
{
    (void)b;
    switch (type) {
    case A_FIRST:
    case A_LAST:
        return n >= 2;
    case A_CHAR2:
        return 1;
    case A_VARIANT:
        if (a == K_TRANSPOSE)
            return i + 1 < n;
        if (a == K_OMIT)
            return i < n && n >= 2;
        return a == K_SWAP && i <= n;
    case A_HOLE_SUB:
        return a >= 1 && a <= 3 && i < n;
    case A_HOLE_INS:
        return a >= 1 && a <= 3 && i <= n;
    case A_SWAP_AT:
        return i + 1 < n;
    }
    return 0;
}

/* ... and whether it fits its key's shape. */
static int
action_ok(int type, int n, int i, int a, int b, uint64_t key)
{
    int shape = (int)SHAPE(key);
    if (!action_fits(type, n, i, a, b))
        return 0;
    if (type == A_HOLE_SUB || type == A_HOLE_INS)
        return shape && a == HOLE_R[shape];
    return shape == 0 && (type != A_CHAR2 || key_length(key) == 2);
}

/* An action with its sentinel, a character of the text it needs besides its key (klen characters), and the
   place and canonical character of the character it replaces. */
static void
make_act(const Py_UCS2 *name, int n, Act *x, uint32_t eid, uint32_t word, int klen, int alike_only)
{
    int size = n - 1 < 4 ? n - 1 : 4;
    memset(x, 0, sizeof(*x));
    x->eid = eid;
    x->type = word & 0xFF;
    x->pos = (word >> 8) & 0xFF;
    x->a = (word >> 16) & 0xFF;
    x->b = word >> 24;
    x->soff = x->eoff = NO_SENTINEL;
    x->n = (uint8_t)n;
    x->alike_only = (uint8_t)(alike_only != 0);
    int i = x->pos, r = x->a, l = klen - x->a, b = x->b;
    switch (x->type) {
    case A_FIRST: /* text[p + 1 ..] = s[1 + size ..] */
        x->achar = name[0];
        x->eoff = (int8_t)-size;
        if (n - 1 - size > 0) {
            x->soff = 1;
            x->schar = name[1 + size];
        }
        break;
    case A_LAST: /* text[p + 2 - n ..] = s[: n - 1 - size] */
        x->achar = name[n - 1];
        x->eoff = 1;
        if (n - 1 - size > 0) {
            x->soff = (int8_t)-size;
            x->schar = name[n - 2 - size];
        }
        break;
    case A_VARIANT:
    case A_SWAP_AT: { /* text[p + 1 - b ..] = the variant; the key is its characters up to b */
        Py_UCS2 v[MAX_NAME];
        int m = variant(name, n, x->type == A_SWAP_AT ? K_TRANSPOSE : x->a, i, v);
        if (b < m) {
            x->soff = 1;
            x->schar = v[b];
        }
        else if (b - klen - 1 >= 0 && b - klen - 1 < m) {
            x->soff = (int8_t)-klen;
            x->schar = v[b - klen - 1];
        }
        break;
    }
    case A_HOLE_SUB: /* the hole text[p - r] is s[i]; the key s[i-l .. i-1], s[i+1 .. i+r] */
    case A_HOLE_INS: /* the hole is added before s[i]; the key s[i-l .. i-1], s[i .. i+r-1] */
        if (x->type == A_HOLE_SUB) {
            x->achar = name[i];
            x->eoff = (int8_t)-r;
        }
        if (i - l - 1 >= 0) {
            x->soff = (int8_t)(-r - l - 1);
            x->schar = name[i - l - 1];
        }
        else {
            int next = x->type == A_HOLE_SUB ? i + r + 1 : i + r;
            if (next < n) {
                x->soff = 1;
                x->schar = name[next];
            }
        }
        break;
    }
}

/* Where the sections of a blob lie, from its header's counts. */
static uint64_t
layout(Header *h)
{
    uint64_t size[SECTIONS] = {
        [S_SLOTS] = ((uint64_t)1 << h->slot_bits) * sizeof(Slot),
        [S_ACTS] = h->nacts * sizeof(Act),
        [S_BLOOM] = ((uint64_t)1 << (h->slot_bits - BLOOM_SLOTS)) * 8,
        [S_ENDS] = (uint64_t)1 << ENDS_BITS,
        [S_PAIR_BLOOM] = ((uint64_t)1 << PAIR_BLOOM_BITS) / 8,
        [S_PAIR_OFF] = (PAIR_ROWS + 1) * 4,
        [S_PAIR_CHARS] = h->npairs * 4,
        [S_NAME_OFF] = (h->nnames + 1) * 4,
        [S_CHARS] = h->nchars * 2,
        [S_SET_CODE] = h->nnames,
        [S_SPECIAL] = h->nspecial * 4,
    };
    uint64_t at = (sizeof(Header) + 63) / 64 * 64;
    for (int j = 0; j < SECTIONS; j++) {
        h->at[j] = at;
        h->size[j] = size[j];
        at += (size[j] + 63) / 64 * 64;
    }
    return at;
}

/* Pointers into a blob whose header is laid out. */
static void
point(Tables *t, char *base, const Header *h)
{
    t->slots = (Slot *)(base + h->at[S_SLOTS]);
    t->slot_shift = 64 - (int)h->slot_bits;
    t->slot_mask = ((uint64_t)1 << h->slot_bits) - 1;
    t->acts = (Act *)(base + h->at[S_ACTS]);
    t->nacts = (Py_ssize_t)h->nacts;
    t->bloom = (uint64_t *)(base + h->at[S_BLOOM]);
    t->bloom_shift = 64 - ((int)h->slot_bits - BLOOM_SLOTS);
    t->ends = (uint8_t *)(base + h->at[S_ENDS]);
    t->pair_bloom = (uint64_t *)(base + h->at[S_PAIR_BLOOM]);
    t->pair_off = (uint32_t *)(base + h->at[S_PAIR_OFF]);
    t->pair_chars = (uint32_t *)(base + h->at[S_PAIR_CHARS]);
    t->name_off = (uint32_t *)(base + h->at[S_NAME_OFF]);
    t->chars = (Py_UCS2 *)(base + h->at[S_CHARS]);
    t->set_code = (uint8_t *)(base + h->at[S_SET_CODE]);
    t->nnames = (Py_ssize_t)h->nnames;
    t->nchars = h->nchars;
    t->npairs = h->npairs;
    t->special = (uint32_t *)(base + h->at[S_SPECIAL]);
    t->nspecial = (Py_ssize_t)h->nspecial;
    t->lowest = (Py_UCS4)h->lowest;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* compile(): the blob from fuzzy.py's tables */

typedef struct {
    uint64_t key, at; /* an action's key, and its place in fuzzy.py's order */
} Pair;

static int
pair_cmp(const void *x, const void *y)
{
    const Pair *a = x, *b = y;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->at > b->at) - (a->at < b->at);
}

static PyObject *
fz_compile(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"keys", "actions", "names", "alike_only", "set_codes", "pair_off", "pair_chars",
                             "special", NULL};
    Py_buffer keys = {0}, acts = {0}, alike = {0}, codes = {0}, poff = {0}, pchars = {0}, spec = {0};
    PyObject *names, *blob = NULL;
    uint32_t *name_off = NULL;
    Py_UCS2 *name_chars = NULL;
    Pair *order = NULL;
    int ok = 0;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*y*Uy*y*y*y*y*", kwlist, &keys, &acts, &names, &alike, &codes,
                                     &poff, &pchars, &spec))
        return NULL;
    if (keys.len % 8 || acts.len != keys.len || poff.len != 4 * (PAIR_ROWS + 1) || pchars.len % 4 || spec.len % 4) {
        bad("table sizes");
        goto done;
    }
    Py_ssize_t nacts = acts.len / 8, nspecial = spec.len / 4, npairs = pchars.len / 4;
    if (nacts >= 0x7FFFFFFF || nspecial > 0x7FFF - (Py_ssize_t)URO_SPAN - 1 ||
        get32(poff.buf, PAIR_ROWS) != (uint32_t)npairs) {
        bad("table sizes");
        goto done;
    }
    /* the actions grouped by key (in their order within a key) */
    order = PyMem_Malloc(sizeof(Pair) * (size_t)(nacts ? nacts : 1));
    if (order == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < nacts; i++) {
        order[i].key = get64(keys.buf, i);
        order[i].at = (uint64_t)i;
    }
    qsort(order, (size_t)nacts, sizeof(Pair), pair_cmp);
    Py_ssize_t nkeys = 0;
    for (Py_ssize_t i = 0; i < nacts; i++)
        nkeys += !i || order[i].key != order[i - 1].key;

    /* the names: one str, "\n" between them, every character in the BMP */
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(names) < 0)
        goto done;
#endif
    Py_ssize_t len = PyUnicode_GET_LENGTH(names), nnames = len ? 1 : 0, nchars = 0;
    int kind = PyUnicode_KIND(names);
    const void *data = PyUnicode_DATA(names);
    for (Py_ssize_t i = 0; i < len; i++)
        nnames += PyUnicode_READ(kind, data, i) == '\n';
    if (alike.len != nnames || codes.len != nnames) {
        bad("names, alike_only and set codes differ in length");
        goto done;
    }
    name_off = PyMem_Malloc(sizeof(uint32_t) * (size_t)(nnames + 1));
    name_chars = PyMem_Malloc(sizeof(Py_UCS2) * (size_t)(len + 1));
    if (name_off == NULL || name_chars == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    name_off[0] = 0;
    for (Py_ssize_t i = 0, e = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == '\n') {
            name_off[++e] = (uint32_t)nchars;
            continue;
        }
        if (c > 0xFFFF) {
            bad("a name beyond the BMP");
            goto done;
        }
        name_chars[nchars++] = (Py_UCS2)c;
    }
    if (nnames)
        name_off[nnames] = (uint32_t)nchars;
    for (Py_ssize_t e = 0; e < nnames; e++)
        if (name_off[e + 1] - name_off[e] > MAX_NAME) {
            bad("a name too long");
            goto done;
        }

    Header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, MAGIC, sizeof(MAGIC));
    h.layout = LAYOUT;
    h.slot_bits = BLOOM_SLOTS + 2; /* the bitset at least a few words */
    while (((uint64_t)1 << h.slot_bits) * SLOT_NUM < (uint64_t)nkeys * SLOT_DEN)
        h.slot_bits++;
    h.nnames = (uint64_t)nnames;
    h.nchars = (uint64_t)nchars;
    h.nacts = (uint64_t)nacts;
    h.npairs = (uint64_t)npairs;
    h.nspecial = (uint64_t)nspecial;
    h.lowest = nspecial && get32(spec.buf, 0) < URO_LO ? get32(spec.buf, 0) : URO_LO;
    uint64_t size = layout(&h);
    blob = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (blob == NULL)
        goto done;
    char *base = PyBytes_AS_STRING(blob);
    memset(base, 0, size);
    memcpy(base, &h, sizeof(h));
    Tables t;
    point(&t, base, &h);
    memcpy(t.name_off, name_off, sizeof(uint32_t) * (size_t)(nnames + 1));
    memcpy(t.chars, name_chars, sizeof(Py_UCS2) * (size_t)nchars);
    memcpy(t.set_code, codes.buf, (size_t)nnames);
    memcpy(t.pair_off, poff.buf, (size_t)poff.len);
    memcpy(t.pair_chars, pchars.buf, (size_t)pchars.len);
    memcpy(t.special, spec.buf, (size_t)spec.len);
    for (Py_ssize_t i = 1; i < nspecial; i++)
        if (t.special[i - 1] >= t.special[i]) {
            bad("special characters");
            goto done;
        }
    for (uint32_t r = 0; r < PAIR_ROWS; r++) {
        if (t.pair_off[r] > t.pair_off[r + 1]) {
            bad("pair offsets");
            goto done;
        }
        for (uint32_t j = t.pair_off[r]; j < t.pair_off[r + 1]; j++) {
            uint64_t bit = pair_bit(t.pair_chars[j], (Py_UCS2)(URO_LO + r));
            t.pair_bloom[bit >> 6] |= (uint64_t)1 << (bit & 63);
        }
    }
    static const uint8_t end_bits[SHAPES] = {0, END_H11, END_H12, END_H21, END_H22, END_H13, END_H31};
    for (Py_ssize_t lo = 0, hi; lo < nacts; lo = hi) {
        uint64_t kk = order[lo].key;
        for (hi = lo + 1; hi < nacts && order[hi].key == kk;)
            hi++;
        int klen = key_length(kk), shape = (int)SHAPE(kk);
        if (!klen) {
            bad("a key");
            goto done;
        }
        int apart = shape == 1 || shape == 3 || shape == 6;
        t.ends[end_slot(kk & 0x3FFFFFFF, apart)] |= shape ? end_bits[shape] : (uint8_t)(1 << (klen - 2));
        for (Py_ssize_t i = lo; i < hi; i++) {
            uint64_t action = get64(acts.buf, (Py_ssize_t)order[i].at);
            uint32_t eid = (uint32_t)action, word = (uint32_t)(action >> 32);
            if (eid >= (uint32_t)nnames) {
                bad("an action");
                goto done;
            }
            int n = (int)(name_off[eid + 1] - name_off[eid]);
            if (!action_ok(word & 0xFF, n, (word >> 8) & 0xFF, (word >> 16) & 0xFF, word >> 24, kk)) {
                bad("an action");
                goto done;
            }
            make_act(name_chars + name_off[eid], n, &t.acts[i], eid, word, klen, ((uint8_t *)alike.buf)[eid]);
        }
        uint64_t hk = hash_key(kk), at = hk >> t.slot_shift;
        t.bloom[hk >> t.bloom_shift] |= bloom_bits(hk);
        while (t.slots[at].key)
            at = (at + 1) & t.slot_mask;
        t.slots[at].key = kk;
        t.slots[at].lo = (uint32_t)lo;
        t.slots[at].hi = (uint32_t)hi;
    }
    ok = 1;
done:
    PyMem_Free(order);
    PyMem_Free(name_off);
    PyMem_Free(name_chars);
    PyBuffer_Release(&keys);
    PyBuffer_Release(&acts);
    PyBuffer_Release(&alike);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&poff);
    PyBuffer_Release(&pchars);
    PyBuffer_Release(&spec);
    if (!ok)
        Py_CLEAR(blob);
    return blob;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* Scanner(blob, set_names, kinds): the blob's header checked, the blob used in place */

static void
Scanner_clear(Scanner *self)
{
    self->ready = 0;
    if (self->blob.obj != NULL)
        PyBuffer_Release(&self->blob);
    PyMem_Free(self->copy);
    self->copy = NULL;
    Py_CLEAR(self->set_names);
    Py_CLEAR(self->kinds);
}

static void
Scanner_dealloc(Scanner *self)
{
    Scanner_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int
Scanner_init(Scanner *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"blob", "set_names", "kinds", NULL};
    Py_buffer blob = {0};
    PyObject *set_names, *kinds;
    Scanner_clear(self);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*O!O!", kwlist, &blob, &PyTuple_Type, &set_names, &PyTuple_Type,
                                     &kinds))
        return -1;
    int rc = -1;
    Header h;
    char *base = blob.buf;
    if (PyTuple_GET_SIZE(kinds) != K_KINDS) {
        bad("kinds");
        goto done;
    }
    for (Py_ssize_t i = 0; i < K_KINDS; i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(kinds, i))) {
            bad("kinds");
            goto done;
        }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(set_names); i++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(set_names, i))) {
            bad("set names");
            goto done;
        }
    if ((size_t)blob.len < sizeof(h)) {
        bad("not a blob");
        goto done;
    }
    memcpy(&h, base, sizeof(h));
    if (memcmp(h.magic, MAGIC, sizeof(MAGIC)) || h.layout != LAYOUT) {
        bad("not a blob of this layout");
        goto done;
    }
    if (h.slot_bits < BLOOM_SLOTS + 2 || h.slot_bits > 40 || h.nnames > 0x7FFFFFFF || h.nchars > 0xFFFFFFFF ||
        h.nacts > 0x7FFFFFFF || h.npairs > 0xFFFFFFFF || h.nspecial > 0x7FFF || h.lowest > 0x10FFFF) {
        bad("blob counts");
        goto done;
    }
    Header want = h;
    if (layout(&want) != (uint64_t)blob.len || memcmp(want.at, h.at, sizeof(h.at)) ||
        memcmp(want.size, h.size, sizeof(h.size))) {
        bad("blob size");
        goto done;
    }
    if ((uintptr_t)base % 16) { /* mmap and bytes are aligned; a copy where not */
        self->copy = PyMem_Malloc((size_t)blob.len);
        if (self->copy == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        memcpy(self->copy, base, (size_t)blob.len);
        base = self->copy;
    }
    /* The contents are not read here (an mmap'd blob costs nothing until scanned): the scan checks every index
       it takes from them before it reads through it. */
    point(&self->t, base, &h);
    self->blob = blob;
    blob.obj = NULL;
    Py_INCREF(set_names);
    self->set_names = set_names;
    Py_INCREF(kinds);
    self->kinds = kinds;
    self->ready = 1;
    rc = 0;
done:
    if (blob.obj != NULL)
        PyBuffer_Release(&blob);
    return rc;
}

/* The scan (no Python objects: it runs without the GIL) */

typedef struct {
    Span *items;
    size_t len, cap;
    int failed;
} Spans;

typedef struct {
    const Tables *s;
    int kind;
    const void *data;
    Py_ssize_t len;
    Spans *out;
} Text;

#define AT(t, i) PyUnicode_READ((t)->kind, (t)->data, (i))

static void
emit(Spans *out, Py_ssize_t start, Py_ssize_t end, uint32_t eid, int kind, uint32_t pos)
{
    if (out->len == out->cap) {
        size_t cap = out->cap ? 2 * out->cap : 256;
        Span *grown = PyMem_RawRealloc(out->items, cap * sizeof(Span));
        if (grown == NULL) {
            out->failed = 1;
            return;
        }
        out->items = grown;
        out->cap = cap;
    }
    Span *sp = &out->items[out->len++];
    sp->start = start;
    sp->end = end;
    sp->eid = eid;
    sp->kind = (uint8_t)kind;
    sp->pos = (uint8_t)pos;
}

/* text[at : at + n] == name[:n] as Python's slices compare: an empty piece is equal anywhere */
static inline int
same(const Text *t, Py_ssize_t at, const Py_UCS2 *name, Py_ssize_t n)
{
    if (n <= 0)
        return 1;
    if (at < 0 || at + n > t->len)
        return 0;
    for (Py_ssize_t j = 0; j < n; j++)
        if (AT(t, at + j) != name[j])
            return 0;
    return 1;
}

/* similar.relation(written, canonical) is not None, for a canonical character in U+4E00..U+9FFF */
static int
alike(const Tables *s, Py_UCS4 written, Py_UCS2 canonical)
{
    uint64_t bit = pair_bit(written, canonical);
    if (!(s->pair_bloom[bit >> 6] >> (bit & 63) & 1))
        return 0;
    uint32_t row = (uint32_t)canonical - URO_LO;
    if (row >= URO_SPAN)
        return 0;
    uint32_t lo = s->pair_off[row], hi = s->pair_off[row + 1], end = hi;
    if (lo > hi || hi > s->npairs)
        return 0;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->pair_chars[mid] < written)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < end && s->pair_chars[lo] == written;
}

/* The actions of a key whose last character is text[p]; the checks are fuzzy's _contiguous and _gapped. */
static void
act(const Text *t, const Slot *slot, Py_ssize_t p)
{
    const Tables *s = t->s;
    Py_ssize_t stop = p + 1; /* past a contiguous key */
    for (uint32_t k = slot->lo; k < slot->hi; k++) {
        const Act *x = &s->acts[k];
        if (x->soff != NO_SENTINEL) {
            Py_ssize_t q = p + x->soff;
            if (q < 0 || q >= t->len || AT(t, q) != x->schar)
                continue;
        }
        Py_UCS4 c = 0; /* the replaced character, not the canonical one (most hits are the name as it is) */
        if (x->eoff != NO_SENTINEL) {
            Py_ssize_t q = p + x->eoff;
            if (q < 0 || q >= t->len || (c = AT(t, q)) == x->achar || (x->alike_only && !alike(s, c, x->achar)))
                continue;
        }
        uint32_t eid = x->eid, pos = x->pos;
        Py_ssize_t n = x->n;
        if (eid >= (uint64_t)s->nnames || !action_fits(x->type, (int)n, x->pos, x->a, x->b))
            continue;
        /* the name, read only once the cheaper tests pass, and only inside the table */
#define name (s->chars + s->name_off[eid])
#define NAME_OK (s->name_off[eid] <= s->nchars && (uint64_t)n <= s->nchars - s->name_off[eid] && n <= MAX_NAME)
        Py_ssize_t size = n - 1 < 4 ? n - 1 : 4, i = pos;
        switch (x->type) {
        case A_FIRST: { /* s[1 : 1 + size] ends at stop: s[0] replaced (c, at start = stop - size - 1) */
            Py_ssize_t start = stop - size - 1;
            if (start >= 0 && NAME_OK && same(t, stop, name + 1 + size, n - 1 - size))
                emit(t->out, start, start + n, eid, K_SUBSTITUTE, 0);
            break;
        }
        case A_LAST: { /* s[n-1-size : n-1] ends at stop: s[-1] replaced (c, at stop) */
            Py_ssize_t start = stop - (n - 1);
            if (start >= 0 && stop < t->len && NAME_OK && same(t, start, name, n - 1 - size))
                emit(t->out, start, stop + 1, eid, K_SUBSTITUTE, (uint32_t)(n - 1));
            break;
        }
        case A_CHAR2:
            emit(t->out, stop - 2, stop, eid, K_SUBSTITUTE, pos);
            break;
        case A_VARIANT: { /* fuzzy._variant(s, kind, pos), compared in place */
            Py_UCS2 v[MAX_NAME];
            Py_ssize_t start = stop - (Py_ssize_t)x->b;
            if (start < 0 || !NAME_OK)
                break;
            Py_ssize_t m = variant(name, (int)n, x->a, (int)pos, v);
            if (same(t, start, v, m))
                emit(t->out, start, start + m, eid, x->a, pos);
            break;
        }
        case A_HOLE_SUB: { /* text[start ..] is s with text[hole] (c) for s[i] */
            Py_ssize_t hole = p - x->a, start = hole - i;
            if (start >= 0 && NAME_OK && same(t, start, name, i) && same(t, hole + 1, name + i + 1, n - i - 1))
                emit(t->out, start, start + n, eid, K_SUBSTITUTE, pos);
            break;
        }
        case A_HOLE_INS: { /* text[start ..] is s with text[hole] added before s[i] */
            Py_ssize_t hole = p - x->a, start = hole - i;
            if (start >= 0 && NAME_OK && same(t, start, name, i) && same(t, hole + 1, name + i, n - i))
                emit(t->out, start, start + n + 1, eid, K_INSERT, pos);
            break;
        }
        case A_SWAP_AT: { /* s[i] and s[i+1] swapped, where the text does not read as s with a character added */
            Py_ssize_t start = stop - (Py_ssize_t)x->b;
            if (start < 0 || start + n > t->len || !NAME_OK || !same(t, start, name, i))
                break;
            if (AT(t, start + i) != name[i + 1] || AT(t, start + i + 1) != name[i] ||
                !same(t, start + i + 2, name + i + 2, n - i - 2))
                break;
            if (!same(t, start + i + 2, name + i + 1, n - i - 1))
                emit(t->out, start, start + n, eid, K_TRANSPOSE, pos);
            break;
        }
        }
    }
#undef name
#undef NAME_OK
}

static inline uint64_t
char_id(const Tables *s, Py_UCS4 c)
{
    uint32_t d = (uint32_t)c - URO_LO;
    if (d < URO_SPAN)
        return d + 1;
    if (!s->nspecial || c < s->special[0] || c > s->special[s->nspecial - 1])
        return 0;
    Py_ssize_t lo = 0, hi = s->nspecial;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (s->special[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return s->special[lo] == c ? URO_SPAN + 1 + (uint64_t)lo : 0;
}

/* The keys that may end at p, gathered for a block of positions, then those the bitset lets through, then
   looked up with their slots fetched ahead: few branches on unpredictable data, misses overlapped. */
#define BLOCK 256
#define FETCH_AHEAD 6

typedef struct {
    uint64_t key[BLOCK * 9];
    Py_ssize_t at[BLOCK * 9];
    const Slot *slot[BLOCK * 9];
} Batch;

/* The ids of text[p] .. text[p-4] (0: in no key) -> the keys of every shape noted for their last two
   characters, appended to b without branching. */
static inline size_t
gather(const Tables *s, Batch *b, size_t n, Py_ssize_t p, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3,
       uint64_t w4)
{
    uint64_t k2 = w0 | w1 << 15, kg = w0 | w2 << 15, k3 = k2 | w2 << 30;
    unsigned adj = s->ends[end_slot(k2, 0)], gap = s->ends[end_slot(kg, 1)];
    unsigned z0 = w0 != 0, z1 = w1 != 0, z2 = w2 != 0, z3 = w3 != 0, z4 = w4 != 0;
    unsigned a01 = z0 & z1, g02 = z0 & z2;
    uint64_t keys[9] = {k2, k3, k3 | w3 << 45, TAG(2) | k2 | w3 << 30, TAG(4) | k2 | w3 << 30 | w4 << 45,
                        TAG(5) | k3 | w4 << 45, TAG(1) | kg, TAG(3) | kg | w3 << 30,
                        TAG(6) | kg | w3 << 30 | w4 << 45};
    unsigned take[9] = {a01 & adj, a01 & z2 & adj >> 1, a01 & z2 & z3 & adj >> 2, a01 & z3 & adj >> 3,
                        a01 & z3 & z4 & adj >> 4, a01 & z2 & z4 & adj >> 5, g02 & gap, g02 & z3 & gap >> 1,
                        g02 & z3 & z4 & gap >> 2};
    for (int j = 0; j < 9; j++) {
        b->key[n] = keys[j];
        b->at[n] = p;
        n += take[j] & 1;
    }
    return n;
}

/* The slot of a key, or NULL. */
static inline const Slot *
lookup(const Tables *s, uint64_t key)
{
    uint64_t at = hash_key(key) >> s->slot_shift;
    for (uint64_t tries = 0; tries <= s->slot_mask; tries++, at = (at + 1) & s->slot_mask) {
        const Slot *slot = &s->slots[at];
        if (slot->key == key) /* its actions inside the table, or none */
            return slot->lo <= slot->hi && slot->hi <= (uint64_t)s->nacts ? slot : NULL;
        if (!slot->key)
            return NULL;
    }
    return NULL;
}

/* The gathered keys: those the bitset passes, their slots (fetched ahead), their actions (fetched ahead). */
static void
run_batch(const Text *t, Batch *b, size_t n)
{
    const Tables *s = t->s;
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        uint64_t h = hash_key(b->key[j]), want = bloom_bits(h);
        b->key[m] = b->key[j];
        b->at[m] = b->at[j];
        m += (s->bloom[h >> s->bloom_shift] & want) == want;
    }
    for (size_t j = 0; j < m && j < FETCH_AHEAD; j++)
        __builtin_prefetch(&s->slots[hash_key(b->key[j]) >> s->slot_shift]);
    size_t found = 0;
    for (size_t j = 0; j < m; j++) {
        if (j + FETCH_AHEAD < m)
            __builtin_prefetch(&s->slots[hash_key(b->key[j + FETCH_AHEAD]) >> s->slot_shift]);
        const Slot *slot = lookup(s, b->key[j]);
        if (slot != NULL) {
            __builtin_prefetch(&s->acts[slot->lo]);
            b->slot[found] = slot;
            b->at[found++] = b->at[j];
        }
    }
    for (size_t j = 0; j < found; j++)
        act(t, b->slot[j], b->at[j]);
}

#define SCAN_LOOP(TYPE)                                                                                            \
    do {                                                                                                           \
        const TYPE *chars = (const TYPE *)t->data;                                                                 \
        uint64_t w1 = 0, w2 = 0, w3 = 0, w4 = 0;                                                                   \
        size_t n = 0;                                                                                              \
        for (Py_ssize_t p = 0; p < t->len; p++) {                                                                  \
            uint64_t w0 = char_id(s, chars[p]);                                                                    \
            if (w0)                                                                                                \
                n = gather(s, b, n, p, w0, w1, w2, w3, w4);                                                        \
            w4 = w3;                                                                                               \
            w3 = w2;                                                                                               \
            w2 = w1;                                                                                               \
            w1 = w0;                                                                                               \
            if (n > (BLOCK - 1) * 9) {                                                                             \
                run_batch(t, b, n);                                                                                \
                n = 0;                                                                                             \
            }                                                                                                      \
        }                                                                                                          \
        run_batch(t, b, n);                                                                                        \
    } while (0)

static void
scan(const Text *t)
{
    const Tables *s = t->s;
    Batch *b = PyMem_RawMalloc(sizeof(Batch));
    if (b == NULL) {
        t->out->failed = 1;
        return;
    }
    if (t->kind == PyUnicode_2BYTE_KIND)
        SCAN_LOOP(Py_UCS2);
    else if (t->kind == PyUnicode_4BYTE_KIND)
        SCAN_LOOP(Py_UCS4);
    else
        SCAN_LOOP(Py_UCS1);
    PyMem_RawFree(b);
}

static int
span_cmp(const void *x, const void *y)
{
    const Span *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    if (a->eid != b->eid)
        return a->eid < b->eid ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

static PyObject *
Scanner_candidates(Scanner *self, PyObject *text)
{
    if (!self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "_fuzzscan.Scanner is not initialised");
        return NULL;
    }
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "candidates() needs a str");
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(text) < 0)
        return NULL;
#endif
    Spans spans = {NULL, 0, 0, 0};
    const Tables *s = &self->t;
    Text t = {s, PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text), &spans};
    if (t.len >= 2 && PyUnicode_MAX_CHAR_VALUE(text) >= s->lowest) {
        Py_BEGIN_ALLOW_THREADS
        scan(&t);
        if (!spans.failed && spans.len > 1)
            qsort(spans.items, spans.len, sizeof(Span), span_cmp);
        Py_END_ALLOW_THREADS
    }
    if (spans.failed) {
        PyMem_RawFree(spans.items);
        return PyErr_NoMemory();
    }
    PyObject *out = PyList_New(0);
    for (size_t i = 0; out != NULL && i < spans.len; i++) {
        const Span *sp = &spans.items[i];
        if (i && sp->start == sp[-1].start && sp->end == sp[-1].end && sp->eid == sp[-1].eid)
            continue; /* the same (start, end, entry): the first in order stays */
        uint32_t lo = s->name_off[sp->eid], hi = s->name_off[sp->eid + 1]; /* eid < nnames: act() saw to it */
        if (lo > hi || hi > s->nchars || s->set_code[sp->eid] >= PyTuple_GET_SIZE(self->set_names)) {
            bad("a damaged blob");
            Py_CLEAR(out);
            break;
        }
        PyObject *name = PyUnicode_FromKindAndData(PyUnicode_2BYTE_KIND, s->chars + lo, (Py_ssize_t)(hi - lo));
        PyObject *item = name == NULL ? NULL
                                      : Py_BuildValue("(nnNOOI)", sp->start, sp->end, name,
                                                      PyTuple_GET_ITEM(self->set_names, s->set_code[sp->eid]),
                                                      PyTuple_GET_ITEM(self->kinds, sp->kind), (unsigned)sp->pos);
        if (item == NULL || PyList_Append(out, item) < 0)
            Py_CLEAR(out);
        Py_XDECREF(item);
    }
    PyMem_RawFree(spans.items);
    return out;
}

static PyMethodDef Scanner_methods[] = {
    {"candidates", (PyCFunction)Scanner_candidates, METH_O,
     "candidates(text) -> [(start, end, canonical, set, kind, position)], as errscan.fuzzy.candidates"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScannerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "errscan._fuzzscan.Scanner",
    .tp_basicsize = sizeof(Scanner),
    .tp_dealloc = (destructor)Scanner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The tables of errscan.fuzzy's index, ready to scan (see errscan/_fuzzscan.c).",
    .tp_methods = Scanner_methods,
    .tp_init = (initproc)Scanner_init,
    .tp_new = PyType_GenericNew,
};

static PyMethodDef module_methods[] = {
    {"compile", (PyCFunction)(void (*)(void))fz_compile, METH_VARARGS | METH_KEYWORDS,
     "compile(keys, actions, names, alike_only, set_codes, pair_off, pair_chars, special) -> the blob of bytes "
     "a Scanner scans with"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef fuzzscan_module = {
    PyModuleDef_HEAD_INIT, "_fuzzscan", "The compiled candidate scan of errscan.fuzzy (errscan/_fuzzscan.c).", -1,
    module_methods,
};

PyMODINIT_FUNC
PyInit__fuzzscan(void)
{
    if (PyType_Ready(&ScannerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&fuzzscan_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScannerType);
    if (PyModule_AddIntConstant(m, "LAYOUT", LAYOUT) < 0 ||
        PyModule_AddObject(m, "Scanner", (PyObject *)&ScannerType) < 0) {
        Py_DECREF(&ScannerType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
