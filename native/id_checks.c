/* Fused shape + checksum passes over identifier columns: compliance.detection._id_checks.check.
 *
 * The recognizers validate an SSN, card, NPI or IBAN column with a shape regex, then numpy
 * matrices of its digits for the checksum: several passes over the column and a few temporary
 * matrices per value. This loop does the shape and the checksum in one pass per value and hands
 * back one int64 per value; the rules that are data (SSA exclusions, card brands, IBAN lengths)
 * stay in Python (compliance/detection/recognizers.py), which applies them to these numbers.
 * Texts arrive as an Arrow string array's data buffer plus n + 1 int64 offsets (buffer protocol
 * only: no numpy/pyarrow C API, so one .so serves every venv). The GIL is released.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

enum { KIND_SSN, KIND_CARD, KIND_NPI, KIND_IBAN, KINDS };
static const char *const KIND_NAMES[KINDS] = {"ssn", "card", "npi", "iban"};

#define NO_MATCH (-1)
#define UNDECIDED (-2) /* a byte >= 0x80: Unicode case mapping may matter, Python decides */

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }

/* ^\d{3}[- ]?\d{2}[- ]?\d{4}$ -> the nine digits as a number. */
static int64_t ssn(const unsigned char *s, Py_ssize_t n) {
    static const int group[3] = {3, 2, 4};
    int64_t number = 0;
    Py_ssize_t i = 0;
    for (int g = 0; g < 3; g++) {
        if (g > 0 && i < n && (s[i] == '-' || s[i] == ' ')) i++;
        for (int k = 0; k < group[g]; k++, i++) {
            if (i >= n || !is_digit(s[i])) return NO_MATCH;
            number = number * 10 + (s[i] - '0');
        }
    }
    return i == n ? number : NO_MATCH;
}

/* Luhn over digits[0..count), the check digit last. */
static int luhn(const unsigned char *digits, int count) {
    int sum = 0;
    for (int k = 0; k < count; k++) {
        int d = digits[count - 1 - k];
        if (k & 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
    }
    return sum % 10 == 0;
}

/* ^\d(?:[ -]?\d){11,18}$ and Luhn -> first six digits * 100 + digit count. */
static int64_t card(const unsigned char *s, Py_ssize_t n) {
    unsigned char digits[19];
    int count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_digit(s[i])) {
            if (count == 19) return NO_MATCH;
            digits[count++] = (unsigned char)(s[i] - '0');
        } else if ((s[i] == ' ' || s[i] == '-') && i > 0 && is_digit(s[i - 1]) && i + 1 < n && is_digit(s[i + 1])) {
            continue;
        } else {
            return NO_MATCH;
        }
    }
    if (count < 12 || !luhn(digits, count)) return NO_MATCH;
    int64_t prefix = 0;
    for (int k = 0; k < 6; k++) prefix = prefix * 10 + digits[k];
    return prefix * 100 + count;
}

/* ^[12]\d{9}$ and Luhn over 80840 + the ten digits -> 1, else 0. */
static int64_t npi(const unsigned char *s, Py_ssize_t n) {
    unsigned char digits[15] = {8, 0, 8, 4, 0};
    if (n != 10 || (s[0] != '1' && s[0] != '2')) return 0;
    for (int k = 0; k < 10; k++) {
        if (!is_digit(s[k])) return 0;
        digits[5 + k] = (unsigned char)(s[k] - '0');
    }
    return luhn(digits, 15);
}

/* Spaces and dashes dropped, upper-cased: ^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$ with ISO 7064 mod 97 of
 * (rest + first four) == 1 -> country code (0..675) * 64 + length. */
static int64_t iban(const unsigned char *s, Py_ssize_t n) {
    unsigned char compact[34];
    int length = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 0x80) return UNDECIDED;
        if (c == ' ' || c == '-') continue;
        if (c >= 'a' && c <= 'z') c = (unsigned char)(c - 32);
        if (!is_digit(c) && !is_upper(c)) return NO_MATCH;
        if (length == 34) return NO_MATCH; /* case mapping keeps the character count: too long */
        compact[length++] = c;
    }
    if (length < 15 || !is_upper(compact[0]) || !is_upper(compact[1]) || !is_digit(compact[2]) ||
        !is_digit(compact[3]))
        return NO_MATCH;
    int remainder = 0;
    for (int k = 0; k < length; k++) {
        unsigned char c = compact[(k + 4) % length];
        remainder = is_digit(c) ? (remainder * 10 + (c - '0')) % 97 : (remainder * 100 + (c - 'A' + 10)) % 97;
    }
    if (remainder != 1) return NO_MATCH;
    return ((int64_t)(compact[0] - 'A') * 26 + (compact[1] - 'A')) * 64 + length;
}

static int check_offsets(Py_buffer *offsets, Py_ssize_t data_len, Py_ssize_t *count) {
    if (offsets->len % (Py_ssize_t)sizeof(int64_t) != 0 || offsets->len < (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "offsets must hold n + 1 int64 values");
        return -1;
    }
    *count = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    const int64_t *bounds = (const int64_t *)offsets->buf;
    for (Py_ssize_t i = 0; i < *count; i++) {
        if (bounds[i] < 0 || bounds[i] > bounds[i + 1] || bounds[i + 1] > (int64_t)data_len) {
            PyErr_SetString(PyExc_ValueError, "offsets must be non-decreasing and within data");
            return -1;
        }
    }
    return 0;
}

PyDoc_STRVAR(check_doc,
             "check(kind, data, offsets) -> bytes\n\n"
             "n native int64 results, one per text i = data[offsets[i]:offsets[i+1]] (offsets: native\n"
             "int64, n + 1 values, non-decreasing, within data). kind 'ssn': the number, or -1 unless\n"
             "^\\d{3}[- ]?\\d{2}[- ]?\\d{4}$. 'card': first six digits * 100 + digit count when\n"
             "^\\d(?:[ -]?\\d){11,18}$ and the Luhn check holds, else -1. 'npi': 1 when ^[12]\\d{9}$ and\n"
             "Luhn over 80840 + it holds, else 0. 'iban': with spaces and dashes dropped and ASCII\n"
             "upper-cased, (country letters as 0..675) * 64 + length when ^[A-Z]{2}\\d{2}[A-Z0-9]{11,30}$\n"
             "and mod 97 of (rest + first four) is 1, -2 for a text with a byte >= 0x80, else -1.");

static PyObject *check(PyObject *Py_UNUSED(self), PyObject *args) {
    const char *name;
    Py_buffer data, offsets;
    if (!PyArg_ParseTuple(args, "sy*y*", &name, &data, &offsets)) return NULL;
    int kind = 0;
    while (kind < KINDS && strcmp(name, KIND_NAMES[kind]) != 0) kind++;
    PyObject *result = NULL;
    Py_ssize_t count;
    if (kind == KINDS) {
        PyErr_Format(PyExc_ValueError, "unknown check %R", PyTuple_GetItem(args, 0));
    } else if (check_offsets(&offsets, data.len, &count) == 0 &&
               (result = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(int64_t))) != NULL) {
        int64_t *out = (int64_t *)PyBytes_AsString(result);
        const int64_t *bounds = (const int64_t *)offsets.buf;
        const unsigned char *bytes = (const unsigned char *)data.buf;
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < count; i++) {
            const unsigned char *s = bytes + bounds[i];
            Py_ssize_t n = (Py_ssize_t)(bounds[i + 1] - bounds[i]);
            switch (kind) {
            case KIND_SSN: out[i] = ssn(s, n); break;
            case KIND_CARD: out[i] = card(s, n); break;
            case KIND_NPI: out[i] = npi(s, n); break;
            default: out[i] = iban(s, n); break;
            }
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    return result;
}

static PyMethodDef methods[] = {
    {"check", check, METH_VARARGS, check_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_id_checks",
    .m_doc = "Fused shape + checksum checks of SSN, card, NPI and IBAN columns.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__id_checks(void) { return PyModule_Create(&module); }
