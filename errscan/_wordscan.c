/* jieba's word frequencies as one sorted blob, looked up in place (errscan/words.py): mapped from the cache
 * folder instead of unpickling a trie of 350,000 words.
 *
 * build(words, freqs, total) -> bytes: words sorted by their UTF-8 bytes, unique.
 *   layout (little-endian uint32 unless said): magic "WORDS001", n, total (uint64), offsets[n + 1] into the
 *   text, freqs[n], then the words' UTF-8 bytes one after another.
 * get(blob, word, default) -> the frequency of word, or default.
 * cut(blob, text) -> jieba's tokens of text (Tokenizer.cut, HMM off): what errscan/words.py segments with.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

static const char MAGIC[8] = {'W', 'O', 'R', 'D', 'S', '0', '0', '1'};

static PyObject *build(PyObject *self, PyObject *args) {
    PyObject *words, *freqs;
    unsigned long long total;
    if (!PyArg_ParseTuple(args, "O!O!K", &PyList_Type, &words, &PyList_Type, &freqs, &total)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(words);
    if (PyList_GET_SIZE(freqs) != n || n >= UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "words and freqs: lists of the same length");
        return NULL;
    }
    size_t text = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PyList_GET_ITEM(words, i);
        if (!PyBytes_Check(w)) {
            PyErr_SetString(PyExc_TypeError, "words: UTF-8 bytes");
            return NULL;
        }
        text += (size_t)PyBytes_GET_SIZE(w);
    }
    if (text >= UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "too many words");
        return NULL;
    }
    size_t head = 8 + 4 + 8, size = head + 4 * (size_t)(n + 1) + 4 * (size_t)n + text;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (!out) return NULL;
    char *b = PyBytes_AS_STRING(out);
    uint32_t count = (uint32_t)n;
    uint64_t tot = total;
    memcpy(b, MAGIC, 8);
    memcpy(b + 8, &count, 4);
    memcpy(b + 12, &tot, 8);
    char *offs = b + head, *fq = offs + 4 * (n + 1), *txt = fq + 4 * n;
    uint32_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PyList_GET_ITEM(words, i);
        unsigned long f = PyLong_AsUnsignedLong(PyList_GET_ITEM(freqs, i));
        if (f == (unsigned long)-1 && PyErr_Occurred()) { Py_DECREF(out); return NULL; }
        uint32_t f32 = f > UINT32_MAX ? UINT32_MAX : (uint32_t)f;
        memcpy(offs + 4 * i, &at, 4);
        memcpy(fq + 4 * i, &f32, 4);
        memcpy(txt + at, PyBytes_AS_STRING(w), (size_t)PyBytes_GET_SIZE(w));
        at += (uint32_t)PyBytes_GET_SIZE(w);
    }
    memcpy(offs + 4 * n, &at, 4);
    return out;
}

typedef struct {
    uint32_t n;
    uint64_t total;
    const char *offs, *fq, *txt;
    size_t text_len;
} Blob;

/* The parts of a blob, its header checked; -1 with ValueError set when it is not one or is cut short. */
static int open_blob(const Py_buffer *view, Blob *out) {
    const char *b = view->buf;
    size_t head = 8 + 4 + 8;
    if ((size_t)view->len < head || memcmp(b, MAGIC, 8)) {
        PyErr_SetString(PyExc_ValueError, "not a words blob");
        return -1;
    }
    memcpy(&out->n, b + 8, 4);
    memcpy(&out->total, b + 12, 8);
    size_t need = head + 4 * ((size_t)out->n + 1) + 4 * (size_t)out->n;
    if ((size_t)view->len < need) {
        PyErr_SetString(PyExc_ValueError, "a words blob cut short");
        return -1;
    }
    out->offs = b + head;
    out->fq = out->offs + 4 * ((size_t)out->n + 1);
    out->txt = out->fq + 4 * (size_t)out->n;
    out->text_len = (size_t)view->len - need;
    return 0;
}

static PyObject *get(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "get(blob, word, default)");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) return NULL;
    Py_ssize_t len;
    const char *word = PyUnicode_Check(args[1]) ? PyUnicode_AsUTF8AndSize(args[1], &len) : NULL;
    PyObject *result = NULL;
    if (!word) {
        PyErr_Clear();  /* not a str, or one that is not UTF-8 (lone surrogates): no word of the dictionary */
        result = Py_NewRef(args[2]);
        goto done;
    }
    Blob bl;
    if (open_blob(&view, &bl) < 0) goto done;
    uint32_t n = bl.n;
    const char *offs = bl.offs, *fq = bl.fq, *txt = bl.txt;
    size_t text_len = bl.text_len;
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2, a, z;
        memcpy(&a, offs + 4 * (size_t)mid, 4);
        memcpy(&z, offs + 4 * ((size_t)mid + 1), 4);
        if (z < a || z > text_len) {
            PyErr_SetString(PyExc_ValueError, "a damaged words blob");
            goto done;
        }
        size_t wl = z - a, m = wl < (size_t)len ? wl : (size_t)len;
        int c = memcmp(txt + a, word, m);
        if (c == 0) c = wl < (size_t)len ? -1 : wl > (size_t)len ? 1 : 0;
        if (c == 0) {
            uint32_t f;
            memcpy(&f, fq + 4 * (size_t)mid, 4);
            result = PyLong_FromUnsignedLong(f);
            goto done;
        }
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    result = Py_NewRef(args[2]);
done:
    PyBuffer_Release(&view);
    return result;
}

static PyObject *total(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    PyObject *out = NULL;
    if (view.len >= 20 && !memcmp(view.buf, MAGIC, 8)) {
        uint64_t t;
        memcpy(&t, (const char *)view.buf + 12, 8);
        out = PyLong_FromUnsignedLongLong(t);
    } else {
        PyErr_SetString(PyExc_ValueError, "not a words blob");
    }
    PyBuffer_Release(&view);
    return out;
}


/* Entry i against frag (len bytes): as sorted, an entry that is a shorter prefix of frag comes before it. */
static int prefix_cmp(const char *txt, const char *offs, uint32_t i, const char *frag, size_t len, int *exact) {
    uint32_t a, z;
    memcpy(&a, offs + 4 * (size_t)i, 4);
    memcpy(&z, offs + 4 * ((size_t)i + 1), 4);
    size_t wl = z - a, m = wl < len ? wl : len;
    int c = memcmp(txt + a, frag, m);
    if (c == 0 && wl < len) c = -1;  /* shorter than frag and a prefix of it: before frag's range */
    *exact = (c == 0 && wl == len);
    return c;
}

/* The entries that start with each character of the BMP: [first_at[c], first_at[c + 1]) (entries are sorted by
 * their UTF-8 bytes, which keeps the order of their first code points), made at the first cut() over a blob:
 * the first step of each start of the DAG then needs no binary search of the whole dictionary. One table, for
 * the blob last seen (a process maps one); NULL where the blob's first characters are out of order (damaged). */
#define FIRSTS 0x10000
static uint32_t *first_at = NULL;
static const char *first_for = NULL;  /* the blob (its buffer, count and text length) the table was made for */
static uint32_t first_n = 0;
static size_t first_len = 0;

static uint32_t lead_cp(const unsigned char *w, size_t len) {
    if (len == 0) return 0;
    unsigned char b = w[0];
    if (b < 0x80) return b;
    if (b < 0xE0 && len >= 2) return ((uint32_t)(b & 0x1F) << 6) | (w[1] & 0x3F);
    if (b < 0xF0 && len >= 3) return ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(w[1] & 0x3F) << 6) | (w[2] & 0x3F);
    return FIRSTS;  /* beyond the BMP (or malformed): after every BMP character, searched as before */
}

static const uint32_t *firsts(const Py_buffer *view, const Blob *bl) {
    if (first_at && first_for == view->buf && first_n == bl->n && first_len == bl->text_len) return first_at;
    uint32_t *t = first_at ? first_at : PyMem_Malloc(sizeof(uint32_t) * (FIRSTS + 1));
    first_at = NULL;
    if (!t) return NULL;  /* no memory: the binary search alone */
    uint32_t c = 0, prev = 0;
    for (uint32_t i = 0; i < bl->n; i++) {
        uint32_t a, z;
        memcpy(&a, bl->offs + 4 * (size_t)i, 4);
        memcpy(&z, bl->offs + 4 * ((size_t)i + 1), 4);
        if (z < a || z > bl->text_len) { PyMem_Free(t); return NULL; }
        uint32_t cp = lead_cp((const unsigned char *)bl->txt + a, z - a);
        if (cp < prev) { PyMem_Free(t); return NULL; }
        prev = cp;
        while (c <= cp && c <= FIRSTS) t[c++] = i;
    }
    while (c <= FIRSTS) t[c++] = bl->n;
    first_at = t;
    first_for = view->buf;
    first_n = bl->n;
    first_len = bl->text_len;
    return t;
}

/* One edge of the DAG (its end and its word's frequency) appended, the arrays grown as needed; -1 on no memory. */
static int push(size_t **xs, uint32_t **fs, size_t *cap, size_t *used, size_t x, uint32_t f) {
    if (*used == *cap) {
        size_t more = *cap * 2;
        size_t *nx = PyMem_Realloc(*xs, sizeof(size_t) * more);
        if (!nx) { PyErr_NoMemory(); return -1; }
        *xs = nx;
        uint32_t *nf = PyMem_Realloc(*fs, sizeof(uint32_t) * more);
        if (!nf) { PyErr_NoMemory(); return -1; }
        *fs = nf;
        *cap = more;
    }
    (*xs)[*used] = x;
    (*fs)[*used] = f;
    (*used)++;
    return 0;
}

/* next[x] for x in [0, N): the last character of the token that starts at x on jieba's best route through
 * chars[0 .. N) (HMM off): its DAG of the dictionary's words starting at each character (a prefix of no word
 * ends the search, as jieba's prefix dictionary does; a character no word starts with is a token of frequency
 * 1) and, from the right, the route of the highest sum of log(freq or 1) - log(total), ties to the longer
 * word, as jieba's calc(). 0, or -1 with an exception set. */
static int best_route(const Blob *bl, const uint32_t *fa, const Py_UCS4 *chars, Py_ssize_t N, Py_ssize_t *next) {
    int ok = -1;
    uint32_t n = bl->n;
    const char *offs = bl->offs, *fq = bl->fq, *txt = bl->txt;
    char *utf = PyMem_Malloc(4 * (size_t)N + 1);
    size_t *boff = PyMem_Malloc(sizeof(size_t) * ((size_t)N + 1));
    size_t *dag_at = PyMem_Malloc(sizeof(size_t) * ((size_t)N + 1));
    double *best = PyMem_Malloc(sizeof(double) * ((size_t)N + 1));
    size_t cap = (size_t)N + 16, used = 0;  /* most texts grow it: push() is exercised everywhere */
    size_t *xs = PyMem_Malloc(sizeof(size_t) * cap);
    uint32_t *fs = PyMem_Malloc(sizeof(uint32_t) * cap);
    if (!boff || !utf || !dag_at || !best || !xs || !fs) {
        PyErr_NoMemory();
        goto done;
    }
    size_t at = 0;
    for (Py_ssize_t i = 0; i < N; i++) {  /* UTF-8 by hand: a lone surrogate matches no word either way */
        Py_UCS4 c = chars[i];
        boff[i] = at;
        if (c < 0x80) utf[at++] = (char)c;
        else if (c < 0x800) { utf[at++] = (char)(0xC0 | (c >> 6)); utf[at++] = (char)(0x80 | (c & 0x3F)); }
        else if (c < 0x10000) {
            utf[at++] = (char)(0xE0 | (c >> 12)); utf[at++] = (char)(0x80 | ((c >> 6) & 0x3F));
            utf[at++] = (char)(0x80 | (c & 0x3F));
        } else {
            utf[at++] = (char)(0xF0 | (c >> 18)); utf[at++] = (char)(0x80 | ((c >> 12) & 0x3F));
            utf[at++] = (char)(0x80 | ((c >> 6) & 0x3F)); utf[at++] = (char)(0x80 | (c & 0x3F));
        }
    }
    boff[N] = at;
    for (Py_ssize_t k = 0; k < N; k++) {
        dag_at[k] = used;
        uint32_t lo = 0, hi = n;
        for (Py_ssize_t i = k; i < N; i++) {
            const char *frag = utf + boff[k];
            size_t len = boff[i + 1] - boff[k];
            int exact = 0;
            uint32_t first, l;
            if (i == k && fa && chars[k] < FIRSTS) {  /* the entries that start with this character */
                first = fa[chars[k]];
                l = fa[chars[k] + 1];
                if (first >= l) break;  /* a prefix of no word */
            } else {
                uint32_t h = hi;  /* the first entry not before frag */
                l = lo;
                while (l < h) {
                    uint32_t mid = l + (h - l) / 2;
                    if (prefix_cmp(txt, offs, mid, frag, len, &exact) < 0) l = mid + 1; else h = mid;
                }
                if (l >= hi || prefix_cmp(txt, offs, l, frag, len, &exact) != 0) break;  /* a prefix of no word */
                first = l;
                h = hi;  /* the first entry after frag's range */
                while (l < h) {
                    uint32_t mid = l + (h - l) / 2;
                    if (prefix_cmp(txt, offs, mid, frag, len, &exact) <= 0) l = mid + 1; else h = mid;
                }
            }
            lo = first; hi = l;
            prefix_cmp(txt, offs, first, frag, len, &exact);  /* frag itself is a word: the range's first */
            if (exact) {
                uint32_t f;
                memcpy(&f, fq + 4 * (size_t)first, 4);
                if (f) {
                    if (push(&xs, &fs, &cap, &used, (size_t)i, f) < 0) goto done;
                }
            }
        }
        if (used == dag_at[k]) {  /* no word starts here: the character alone, frequency 0 or none -> 1 */
            if (push(&xs, &fs, &cap, &used, (size_t)k, 1) < 0) goto done;
        }
    }
    dag_at[N] = used;
    double logtotal = log((double)bl->total);
    best[N] = 0.0;
    for (Py_ssize_t idx = N - 1; idx >= 0; idx--) {
        double bp = 0.0;
        Py_ssize_t bx = -1;
        for (size_t j = dag_at[idx]; j < dag_at[idx + 1]; j++) {
            Py_ssize_t x = (Py_ssize_t)xs[j];
            double p = log((double)fs[j]) - logtotal + best[x + 1];
            if (bx < 0 || p > bp || (p == bp && x > bx)) { bp = p; bx = x; }
        }
        best[idx] = bp;
        next[idx] = bx;
    }
    ok = 0;
done:
    PyMem_Free(boff); PyMem_Free(utf); PyMem_Free(dag_at); PyMem_Free(best);
    PyMem_Free(xs); PyMem_Free(fs);
    return ok;
}

/* The blob's parts, its offsets' end checked. */
static int open_checked(const Py_buffer *view, Blob *bl) {
    if (open_blob(view, bl) < 0) return -1;
    uint32_t last;
    memcpy(&last, bl->offs + 4 * (size_t)bl->n, 4);
    if (last > bl->text_len) {
        PyErr_SetString(PyExc_ValueError, "a damaged words blob");
        return -1;
    }
    return 0;
}

/* The characters jieba routes through its dictionary (its re_han_default, cut_all and HMM off): runs of them
 * are routed, anything else is a token of its own ("\r\n" one token). */
static inline int routed(Py_UCS4 c) {
    return (c >= 0x4E00 && c <= 0x9FD5) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '+' || c == '#' || c == '&' || c == '.' || c == '_' || c == '%' ||
           c == '-';
}

static inline int ascii_alnum(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int append_piece(PyObject *out, PyObject *text, Py_ssize_t a, Py_ssize_t b) {
    PyObject *t = PyUnicode_Substring(text, a, b);
    if (!t) return -1;
    int r = PyList_Append(out, t);
    Py_DECREF(t);
    return r;
}

/* cut(blob, text) -> jieba's tokens of text with HMM off (Tokenizer.cut): the runs it routes on the best route,
 * one-character Latin letters and digits of a run glued together as jieba glues them, every other character a
 * token of its own, "\r\n" one token. */
static PyObject *cut(PyObject *self, PyObject *args) {
    Py_buffer view;
    PyObject *text;
    if (!PyArg_ParseTuple(args, "y*U", &view, &text)) return NULL;
    PyObject *out = NULL;
    Py_UCS4 *chars = NULL;
    Py_ssize_t *next = NULL;
    Blob bl;
    if (open_checked(&view, &bl) < 0) goto done;
    const uint32_t *fa = firsts(&view, &bl);
    Py_ssize_t N = PyUnicode_GET_LENGTH(text);
    chars = PyUnicode_AsUCS4Copy(text);
    next = PyMem_Malloc(sizeof(Py_ssize_t) * ((size_t)N + 1));
    out = PyList_New(0);
    if (!chars || !next || !out) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        Py_CLEAR(out);
        goto done;
    }
    for (Py_ssize_t i = 0; i < N;) {
        if (!routed(chars[i])) {
            Py_ssize_t j = i + (chars[i] == '\r' && i + 1 < N && chars[i + 1] == '\n' ? 2 : 1);
            if (append_piece(out, text, i, j) < 0) { Py_CLEAR(out); goto done; }
            i = j;
            continue;
        }
        Py_ssize_t j = i;
        while (j < N && routed(chars[j])) j++;
        if (best_route(&bl, fa, chars + i, j - i, next) < 0) { Py_CLEAR(out); goto done; }
        Py_ssize_t glued = -1;  /* where a run of one-character letters and digits began */
        for (Py_ssize_t x = 0; x < j - i;) {
            Py_ssize_t y = next[x] + 1;
            if (y - x == 1 && ascii_alnum(chars[i + x])) {
                if (glued < 0) glued = x;
            } else {
                if (glued >= 0 && append_piece(out, text, i + glued, i + x) < 0) { Py_CLEAR(out); goto done; }
                glued = -1;
                if (append_piece(out, text, i + x, i + y) < 0) { Py_CLEAR(out); goto done; }
            }
            x = y;
        }
        if (glued >= 0 && append_piece(out, text, i + glued, j) < 0) { Py_CLEAR(out); goto done; }
        i = j;
    }
done:
    if (chars) PyMem_Free(chars);
    PyMem_Free(next);
    PyBuffer_Release(&view);
    return out;
}

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, "build(words, freqs, total): the blob of sorted UTF-8 words"},
    {"get", (PyCFunction)(void (*)(void))get, METH_FASTCALL, "get(blob, word, default): a word's frequency"},
    {"cut", cut, METH_VARARGS, "cut(blob, text): jieba's tokens of text (HMM off), routed in the blob"},
    {"total", total, METH_O, "total(blob): the sum of the dictionary's frequencies"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_wordscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__wordscan(void) { return PyModule_Create(&module); }
