/* Which identifier types each text may hold: compliance.detection._text_hints.candidates.
 *
 * The free-text scanner runs one RE2 pass per type, and a pass costs about the same per byte
 * whatever it finds. One pass of this loop over the bytes of every text evaluates, per type, a
 * necessary condition for its pattern to match (a shape such as ddd-dd-dddd or '@', or a keyword
 * at a word start such as "dob"); the RE2 passes then run only on the texts whose condition holds.
 * The conditions only ever say "maybe": a text with any byte >= 0x80 is a maybe for every type
 * (RE2 case folding and classes reach beyond ASCII there), so results equal a scan without hints.
 * Texts arrive as an Arrow string array's data buffer plus n + 1 int64 offsets (buffer protocol
 * only: no numpy/pyarrow C API, so one .so serves every venv). The GIL is released.
 * Two more helpers of the scanner's scrubbing are in this module too (text_spans.h): only_occurrence
 * (where a row's single match starts, without an RE2 pass) and splice (scrubbed texts rebuilt).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "arrow_offsets.h"
#include "text_spans.h"

/* Shapes, one bit each; the Python side (compliance/detection/hints.py) names them in this order. */
enum {
    SHAPE_SSN = 1u << 0,          /* \d{3}-\d{2}-\d{4} */
    SHAPE_CARD_DIGITS = 1u << 1,  /* 13 or more digits in one run of [0-9 -] */
    SHAPE_CAPS_DIGITS = 1u << 2,  /* [A-Z]{2}\d{2} */
    SHAPE_AT = 1u << 3,           /* @ */
    SHAPE_PHONE = 1u << 4,        /* \+\d | 00\d | \d{3}[-. )]\d{4} */
    SHAPE_DOTTED_QUAD = 1u << 5,  /* \d+(?:\.\d+){3} */
    SHAPE_HEX_COLONS = 1u << 6,   /* [0-9A-Fa-f]:[0-9A-Fa-f]{0,4}: */
    SHAPE_HEX_RUN15 = 1u << 7,    /* [0-9A-Fa-f:-]{15} */
    SHAPE_UPPER_RUN17 = 1u << 8,  /* [A-Z0-9]{17} */
    SHAPE_DECIMAL_COMMA = 1u << 9, /* \d\.\d somewhere and a comma somewhere */
    SHAPE_DIGIT = 1u << 10,       /* \d */
    SHAPE_CAPS_ZIP = 1u << 11,    /* [A-Z]{2}\s+\d{5} or ,\s*[a-z]{2}\s+\d{5} */
    SHAPE_ZERO_GROUP = 1u << 12,  /* \b0\d{1,4}\)?[ .\-/)]\d{2}: a national number's trunk-0 group */
    SHAPE_ALWAYS = 1u << 31,      /* no condition: every text is a candidate */
};

#define FLAG_EXACT_CASE 1 /* keyword compared case-sensitively */
#define FLAG_WHOLE_WORD 2 /* keyword must also end where the word ends */

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline int is_hex(unsigned char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int is_word(unsigned char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || is_upper(c) || c == '_';
}
static inline int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static inline unsigned char lower(unsigned char c) { return is_upper(c) ? (unsigned char)(c + 32) : c; }

/* Byte classes, so the common bytes (letters, spaces) cost one table load and a few run updates. */
enum {
    C_DIGIT = 1,
    C_HEX = 2,          /* [0-9A-Fa-f] */
    C_HEX_RUN = 4,      /* [0-9A-Fa-f:-]: MAC addresses and IMEIs */
    C_UPPER_RUN = 8,    /* [A-Z0-9]: VINs */
    C_CARD_RUN = 16,    /* [0-9 -]: card numbers */
    C_SPECIAL = 32,     /* a byte some shape looks at: digits, @ , : and >= 0x80 */
};
static unsigned char CLASS[256];

static void init_classes(void) {
    for (int c = 0; c < 256; c++) {
        unsigned char k = 0;
        if (is_digit((unsigned char)c)) k |= C_DIGIT | C_SPECIAL | C_CARD_RUN | C_UPPER_RUN;
        if (is_hex((unsigned char)c)) k |= C_HEX | C_HEX_RUN;
        if (c == ':' || c == '-') k |= C_HEX_RUN;
        if (is_upper((unsigned char)c)) k |= C_UPPER_RUN;
        if (c == ' ' || c == '-') k |= C_CARD_RUN;
        if (c == '@' || c == ',' || c == ':' || c >= 0x80) k |= C_SPECIAL;
        CLASS[c] = k;
    }
}

static inline int digits_at(const unsigned char *s, Py_ssize_t from, Py_ssize_t count) {
    for (Py_ssize_t k = 0; k < count; k++)
        if (!is_digit(s[from + k])) return 0;
    return 1;
}

/* Shape bits of one ASCII text s[0:n]; *ascii is cleared on a byte >= 0x80 (then bits are moot). */
static uint32_t shapes_of(const unsigned char *s, Py_ssize_t n, int *ascii) {
    uint32_t found = 0;
    Py_ssize_t digits = 0, digit_run = 0, hex_run = 0, upper_run = 0, hex_since_colon = 0;
    Py_ssize_t card_digits = 0; /* digits in the current run of [0-9 -] */
    int quad = 0, colon_after_hex = 0, decimal = 0, comma = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i], k = CLASS[c];
        hex_run = (k & C_HEX_RUN) ? hex_run + 1 : 0;
        upper_run = (k & C_UPPER_RUN) ? upper_run + 1 : 0;
        if (hex_run >= 15) found |= SHAPE_HEX_RUN15;
        if (upper_run >= 17) found |= SHAPE_UPPER_RUN17;
        if (!(k & C_CARD_RUN)) card_digits = 0;
        if (!(k & C_SPECIAL)) { /* letters, spaces, most punctuation */
            if (k & C_HEX) {
                hex_since_colon++;
            } else {
                colon_after_hex = 0;
            }
            digit_run = 0;
            continue;
        }
        if (c >= 0x80) {
            *ascii = 0;
            return found;
        }
        unsigned char p = i > 0 ? s[i - 1] : 0;
        if (c == '@') found |= SHAPE_AT;
        if (c == ',') comma = 1;
        if (c == ':') {
            if (colon_after_hex && hex_since_colon <= 4) found |= SHAPE_HEX_COLONS;
            colon_after_hex = i > 0 && (CLASS[p] & C_HEX);
            hex_since_colon = 0;
        } else if (k & C_HEX) {
            hex_since_colon++;
        } else {
            colon_after_hex = 0;
        }
        if (!(k & C_DIGIT)) {
            digit_run = 0;
            continue;
        }
        digits++;
        digit_run++;
        if (++card_digits >= 13) found |= SHAPE_CARD_DIGITS;
        if (digit_run == 1) { /* a new run of digits: does it continue a dotted chain? */
            int dotted = p == '.' && i >= 2 && is_digit(s[i - 2]);
            quad = dotted ? quad + 1 : 1;
            if (quad >= 4) found |= SHAPE_DOTTED_QUAD;
            if (dotted) decimal = 1;
            if (p == '+') found |= SHAPE_PHONE;
        }
        if (i >= 2 && p == '0' && s[i - 2] == '0') found |= SHAPE_PHONE;
        if (i >= 7 && (s[i - 4] == '-' || s[i - 4] == '.' || s[i - 4] == ' ' || s[i - 4] == ')') &&
            digits_at(s, i - 3, 3) && digits_at(s, i - 7, 3))
            found |= SHAPE_PHONE;
        if (i >= 10 && s[i - 4] == '-' && s[i - 7] == '-' && digits_at(s, i - 3, 3) && digits_at(s, i - 6, 2) &&
            digits_at(s, i - 10, 3))
            found |= SHAPE_SSN;
        if (i >= 3 && is_digit(p) && is_upper(s[i - 2]) && is_upper(s[i - 3])) found |= SHAPE_CAPS_DIGITS;
        if (i >= 4 && is_digit(p) && !(found & SHAPE_ZERO_GROUP)) {
            unsigned char sep = s[i - 2];
            if (sep == ' ' || sep == '.' || sep == '-' || sep == '/' || sep == ')') {
                Py_ssize_t end = i - 3; /* the group's last digit, before an optional ')' */
                if (sep != ')' && s[end] == ')') end--;
                Py_ssize_t start = end;
                while (start >= 0 && is_digit(s[start]) && end - start < 5) start--;
                start++;
                if (end - start >= 1 && s[start] == '0' && (start == 0 || !is_word(s[start - 1])))
                    found |= SHAPE_ZERO_GROUP;
            }
        }
        if (digit_run == 5 && i >= 7 && is_space(s[i - 5])) {
            Py_ssize_t j = i - 5;
            while (j >= 0 && is_space(s[j])) j--;
            if (j >= 1 && is_upper(s[j]) && is_upper(s[j - 1])) found |= SHAPE_CAPS_ZIP;
            /* ", id 83520": a lower-case state after a comma */
            if (j >= 2 && s[j] >= 'a' && s[j] <= 'z' && s[j - 1] >= 'a' && s[j - 1] <= 'z') {
                Py_ssize_t k = j - 2;
                while (k >= 0 && is_space(s[k])) k--;
                if (k >= 0 && s[k] == ',') found |= SHAPE_CAPS_ZIP;
            }
        }
    }
    if (digits) found |= SHAPE_DIGIT;
    if (decimal && comma) found |= SHAPE_DECIMAL_COMMA;
    return found;
}

typedef struct {
    const unsigned char *text; /* lower case unless FLAG_EXACT_CASE */
    Py_ssize_t size;
    int32_t type;
    uint8_t flags;
} Keyword;

/* Keywords bucketed by a hash of their first two bytes (lower-cased): a word start looks at its
 * bucket only, ~1 keyword instead of the ~20 that share a first letter (street suffixes). Keywords
 * of exact case sit in buckets of their bytes as they are: the ~3,000 given-name starts ("Re",
 * "Pa") are then not compared at every lower-case word ("refill", "patient"). */
#define BUCKETS 1024
typedef struct {
    Keyword *keywords;
    Py_ssize_t start[2 * BUCKETS + 1]; /* folded buckets, then exact-case ones */
} Keywords;

static inline unsigned bucket_of(unsigned char first, unsigned char second, int exact) {
    if (exact) return BUCKETS + (((unsigned)first * 37u + second) & (BUCKETS - 1));
    return ((unsigned)lower(first) * 37u + lower(second)) & (BUCKETS - 1);
}

/* The buckets keyword w[0:size] goes in, written to `keys`; their number. A one-byte keyword
 * goes in the bucket of every second byte (0 stands for the end of the text). */
static int keyword_buckets(const unsigned char *w, Py_ssize_t size, int exact, unsigned *keys) {
    if (size >= 2) {
        keys[0] = bucket_of(w[0], w[1], exact);
        return 1;
    }
    unsigned char seen[2 * BUCKETS] = {0};
    int count = 0;
    for (int second = 0; second < 256; second++) {
        unsigned key = bucket_of(w[0], (unsigned char)second, exact);
        if (!seen[key]) {
            seen[key] = 1;
            keys[count++] = key;
        }
    }
    return count;
}

static int keyword_at(const Keyword *k, const unsigned char *s, Py_ssize_t i, Py_ssize_t n, Py_ssize_t word) {
    if (i + k->size > n || ((k->flags & FLAG_WHOLE_WORD) && k->size != word)) return 0;
    if (k->flags & FLAG_EXACT_CASE) {
        if (memcmp(s + i, k->text, (size_t)k->size) != 0) return 0;
    } else {
        for (Py_ssize_t j = 0; j < k->size; j++)
            if (lower(s[i + j]) != k->text[j]) return 0;
    }
    return 1;
}

/* Types of the keywords starting a word of s[0:n] turned on in `row`, where `allowed` (their
 * required shapes are there). */
static void keyword_hits(const Keywords *table, const unsigned char *s, Py_ssize_t n, unsigned char *row,
                         const unsigned char *allowed) {
    Py_ssize_t i = 0;
    while (i < n) {
        if (!is_word(s[i])) { /* every keyword starts with a word character, at a word start (\b) */
            i++;
            continue;
        }
        Py_ssize_t word = 1; /* length of the word starting here */
        while (i + word < n && is_word(s[i + word])) word++;
        unsigned char second = i + 1 < n ? s[i + 1] : 0;
        for (int exact = 0; exact < 2; exact++) {
            unsigned key = bucket_of(s[i], second, exact);
            for (Py_ssize_t k = table->start[key]; k < table->start[key + 1]; k++) {
                const Keyword *keyword = &table->keywords[k];
                if (!row[keyword->type] && allowed[keyword->type] && keyword_at(keyword, s, i, n, word))
                    row[keyword->type] = 1;
            }
        }
        i += word;
    }
}

/* Rows of the shape sets met so far (a column has a handful): `on`, the types a shape turns on,
 * and `allowed`, those whose required shapes are there, per slot; tags[slot] is its shape set
 * (never 0: SHAPE_ALWAYS is in every set). Two passes over the types per text were most of the
 * time on short texts (numbers, dates). */
#define SHAPE_SLOTS 64
typedef struct {
    uint32_t tags[SHAPE_SLOTS];
    unsigned char *on, *allowed;
} ShapeRows;

static Py_ssize_t shape_slot(ShapeRows *cache, uint32_t shapes, const uint32_t *shape_of_type,
                             const uint32_t *required, Py_ssize_t types) {
    Py_ssize_t slot = (Py_ssize_t)((shapes ^ (shapes >> 6)) & (SHAPE_SLOTS - 1));
    if (cache->tags[slot] != shapes) {
        for (Py_ssize_t t = 0; t < types; t++) {
            unsigned char allowed = (shapes & required[t]) == required[t];
            cache->allowed[slot * types + t] = allowed;
            cache->on[slot * types + t] = allowed && (shapes & shape_of_type[t]) != 0;
        }
        cache->tags[slot] = shapes;
    }
    return slot;
}

static PyObject *hint_matrix(Py_buffer *data, Py_buffer *offsets, Py_buffer *type_shapes,
                             Py_buffer *type_requires, Py_buffer *words, Py_buffer *word_offsets,
                             Py_buffer *word_types, Py_buffer *word_flags) {
    Py_ssize_t count, word_count;
    if (check_offsets(offsets, data->len, &count) < 0) return NULL;
    if (type_shapes->len % (Py_ssize_t)sizeof(uint32_t) != 0 || type_shapes->len == 0) {
        PyErr_SetString(PyExc_ValueError, "type_shapes must hold one uint32 per type");
        return NULL;
    }
    Py_ssize_t types = type_shapes->len / (Py_ssize_t)sizeof(uint32_t);
    if (type_requires->len != type_shapes->len) {
        PyErr_SetString(PyExc_ValueError, "type_requires must hold one uint32 per type");
        return NULL;
    }
    if (check_offsets(word_offsets, words->len, &word_count) < 0) return NULL;
    if (word_types->len != word_count * (Py_ssize_t)sizeof(int32_t) || word_flags->len != word_count) {
        PyErr_SetString(PyExc_ValueError, "word_types (int32) and word_flags (uint8) need one value per keyword");
        return NULL;
    }
    const uint32_t *shape_of_type = (const uint32_t *)type_shapes->buf;
    const uint32_t *required = (const uint32_t *)type_requires->buf;
    const int64_t *bounds = (const int64_t *)offsets->buf, *word_bounds = (const int64_t *)word_offsets->buf;
    const int32_t *type_of_word = (const int32_t *)word_types->buf;
    const uint8_t *flags = (const uint8_t *)word_flags->buf;
    const unsigned char *text = (const unsigned char *)words->buf;
    Keywords table;
    /* Counting sort of the keywords by bucket. */
    Py_ssize_t per_bucket[2 * BUCKETS + 1] = {0}, fill[2 * BUCKETS];
    unsigned keys[256];
    for (Py_ssize_t k = 0; k < word_count; k++) {
        Py_ssize_t size = (Py_ssize_t)(word_bounds[k + 1] - word_bounds[k]);
        if (size == 0 || type_of_word[k] < 0 || type_of_word[k] >= types) {
            PyErr_SetString(PyExc_ValueError, "keywords must be non-empty and name a type in range");
            return NULL;
        }
        int in = keyword_buckets(text + word_bounds[k], size, flags[k] & FLAG_EXACT_CASE, keys);
        for (int b = 0; b < in; b++) per_bucket[keys[b] + 1]++;
    }
    table.start[0] = 0;
    for (int b = 1; b <= 2 * BUCKETS; b++) table.start[b] = table.start[b - 1] + per_bucket[b];
    Py_ssize_t slots = table.start[2 * BUCKETS] ? table.start[2 * BUCKETS] : 1;
    table.keywords = PyMem_Malloc((size_t)slots * sizeof(Keyword));
    ShapeRows cache = {{0}, PyMem_Malloc((size_t)(2 * SHAPE_SLOTS * types)), NULL};
    if (table.keywords == NULL || cache.on == NULL) {
        PyMem_Free(table.keywords);
        PyMem_Free(cache.on);
        return PyErr_NoMemory();
    }
    cache.allowed = cache.on + SHAPE_SLOTS * types;
    memcpy(fill, table.start, sizeof fill);
    for (Py_ssize_t k = 0; k < word_count; k++) {
        Py_ssize_t size = (Py_ssize_t)(word_bounds[k + 1] - word_bounds[k]);
        int in = keyword_buckets(text + word_bounds[k], size, flags[k] & FLAG_EXACT_CASE, keys);
        for (int b = 0; b < in; b++) {
            Keyword *slot = &table.keywords[fill[keys[b]]++];
            slot->text = text + word_bounds[k];
            slot->size = size;
            slot->type = type_of_word[k];
            slot->flags = flags[k];
        }
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, count * types);
    if (result == NULL) {
        PyMem_Free(table.keywords);
        PyMem_Free(cache.on);
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AsString(result);
    const unsigned char *bytes = (const unsigned char *)data->buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++) {
        const unsigned char *s = bytes + bounds[i];
        Py_ssize_t n = (Py_ssize_t)(bounds[i + 1] - bounds[i]);
        unsigned char *row = out + i * types;
        int ascii = 1;
        uint32_t shapes = shapes_of(s, n, &ascii) | SHAPE_ALWAYS;
        if (!ascii) {
            memset(row, 1, (size_t)types);
            continue;
        }
        Py_ssize_t slot = shape_slot(&cache, shapes, shape_of_type, required, types);
        memcpy(row, cache.on + slot * types, (size_t)types);
        keyword_hits(&table, s, n, row, cache.allowed + slot * types);
    }
    Py_END_ALLOW_THREADS
    PyMem_Free(table.keywords);
    PyMem_Free(cache.on);
    return result;
}

PyDoc_STRVAR(candidates_doc,
             "candidates(data, offsets, type_shapes, type_requires, words, word_offsets, word_types,\n"
             "           word_flags) -> bytes\n\n"
             "An n x types matrix of 0/1 bytes, row-major: whether text i = data[offsets[i]:offsets[i+1]]\n"
             "may hold type t. It does when the text has a byte >= 0x80, or when it has every shape of\n"
             "type_requires[t] and either a shape among type_shapes[t] (uint32 bit sets per type) or a\n"
             "keyword k with word_types[k] == t starting at a word start (ASCII \\b); keywords are\n"
             "lower case, compared case-insensitively unless\n"
             "word_flags[k] & 1, and must end at a word end if word_flags[k] & 2. offsets and\n"
             "word_offsets: native int64, n + 1 (k + 1) values, non-decreasing, within their data.");

static PyObject *candidates(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer data, offsets, type_shapes, type_requires, words, word_offsets, word_types, word_flags;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*y*", &data, &offsets, &type_shapes, &type_requires, &words,
                          &word_offsets, &word_types, &word_flags))
        return NULL;
    PyObject *result = hint_matrix(&data, &offsets, &type_shapes, &type_requires, &words, &word_offsets,
                                   &word_types, &word_flags);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&type_shapes);
    PyBuffer_Release(&type_requires);
    PyBuffer_Release(&words);
    PyBuffer_Release(&word_offsets);
    PyBuffer_Release(&word_types);
    PyBuffer_Release(&word_flags);
    return result;
}

static PyMethodDef methods[] = {
    {"candidates", candidates, METH_VARARGS, candidates_doc},
    {"splice", splice, METH_VARARGS, splice_doc},
    {"only_occurrence", only_occurrence, METH_VARARGS, only_occurrence_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_text_hints",
    .m_doc = "Per-text candidate identifier types, match positions and span splicing for the free-text scanner.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__text_hints(void) {
    init_classes();
    return PyModule_Create(&module);
}
