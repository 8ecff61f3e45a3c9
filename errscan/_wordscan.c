/* jieba's word frequencies as one sorted blob, looked up in place (errscan/words.py): mapped from the cache
 * folder instead of unpickling a trie of 350,000 words.
 *
 * build(words, freqs, total) -> bytes: words sorted by their UTF-8 bytes, unique.
 *   layout (little-endian uint32 unless said): magic "WORDS001", n, total (uint64), offsets[n + 1] into the
 *   text, freqs[n], then the words' UTF-8 bytes one after another.
 * get(blob, word, default) -> the frequency of word, or default.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

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
    const char *b = view.buf;
    size_t head = 8 + 4 + 8;
    if ((size_t)view.len < head || memcmp(b, MAGIC, 8)) {
        PyErr_SetString(PyExc_ValueError, "not a words blob");
        goto done;
    }
    uint32_t n;
    memcpy(&n, b + 8, 4);
    size_t need = head + 4 * ((size_t)n + 1) + 4 * (size_t)n;
    if ((size_t)view.len < need) {
        PyErr_SetString(PyExc_ValueError, "a words blob cut short");
        goto done;
    }
    const char *offs = b + head, *fq = offs + 4 * ((size_t)n + 1), *txt = fq + 4 * (size_t)n;
    size_t text_len = (size_t)view.len - need;
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

static PyMethodDef methods[] = {
    {"build", build, METH_VARARGS, "build(words, freqs, total): the blob of sorted UTF-8 words"},
    {"get", (PyCFunction)(void (*)(void))get, METH_FASTCALL, "get(blob, word, default): a word's frequency"},
    {"total", total, METH_O, "total(blob): the sum of the dictionary's frequencies"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_wordscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__wordscan(void) { return PyModule_Create(&module); }
