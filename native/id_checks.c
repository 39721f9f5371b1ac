/* Fused shape + checksum passes over identifier columns: compliance.detection._id_checks.check.
 *
 * The recognizers validate an SSN, card, NPI or IBAN column with a shape regex, then numpy
 * matrices of its digits for the checksum: several passes over the column and a few temporary
 * matrices per value; a ZIP code, MRN, date of birth, phone or name column with several regexes (or
 * strptime passes, or numpy matrices) per value. This loop does the shape and the checksum in one
 * pass per value and hands back one int64 per value; the rules that are data (SSA exclusions,
 * card brands, IBAN lengths) stay in Python (compliance/detection/recognizers/), which applies
 * them to these numbers.
 * Texts arrive as an Arrow string array's data buffer plus n + 1 int64 offsets (buffer protocol
 * only: no numpy/pyarrow C API, so one .so serves every venv). The GIL is released.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "arrow_offsets.h"

enum {
    KIND_SSN, KIND_CARD, KIND_NPI, KIND_IBAN, KIND_ZIP, KIND_MRN, KIND_DATE, KIND_PHONE, KIND_NAME, KINDS
};
static const char *const KIND_NAMES[KINDS] = {
    "ssn", "card", "npi", "iban", "zip", "mrn", "date", "phone", "name",
};

#define NO_MATCH (-1)
#define UNDECIDED (-2) /* Python decides: e.g. a byte >= 0x80, where Unicode case mapping may matter */

static inline int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline int is_letter(unsigned char c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }
static inline int is_alnum(unsigned char c) { return is_letter(c) || is_digit(c); }

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

/* ^\d{5}(?:-?\d{4})?$ not starting 00000 (US), Canadian A1A 1A1, or British AA9A 9AA -> 1, else 0. */
static int64_t zip(const unsigned char *s, Py_ssize_t n) {
    int digits = 0;
    while (digits < n && is_digit(s[digits])) digits++;
    if (digits >= 5 && memcmp(s, "00000", 5) != 0 &&
        ((n == 5 && digits == 5) || (n == 9 && digits == 9) ||
         (n == 10 && digits == 5 && s[5] == '-' && is_digit(s[6]) && is_digit(s[7]) && is_digit(s[8]) &&
          is_digit(s[9]))))
        return 1;
    /* ^[ABCEGHJ-NPRSTVXYabceghj-nprstvxy]\d[A-Za-z] ?\d[A-Za-z]\d$ */
    if ((n == 6 || (n == 7 && s[3] == ' ')) && is_letter(s[0]) &&
        strchr("ABCEGHJKLMNPRSTVXY", s[0] & ~0x20) && is_digit(s[1]) && is_letter(s[2]) &&
        is_digit(s[n - 3]) && is_letter(s[n - 2]) && is_digit(s[n - 1]))
        return 1;
    /* ^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$: the inward code is the last three characters. */
    if (n < 5 || !is_digit(s[n - 3]) || !is_letter(s[n - 2]) || !is_letter(s[n - 1])) return 0;
    Py_ssize_t end = n - 3; /* the outward code, maybe with a trailing space, is s[0..end) */
    for (int space = 0; space < 2; space++) {
        Py_ssize_t out = end - space;
        if (space && (out < 1 || s[out] != ' ')) continue;
        for (int letters = 1; letters <= 2; letters++) {
            if (out != letters + 1 && out != letters + 2) continue;
            int ok = is_letter(s[0]) && (letters == 1 || is_letter(s[1])) && is_digit(s[letters]);
            if (ok && (out == letters + 1 || is_alnum(s[letters + 1]))) return 1;
        }
    }
    return 0;
}

/* ^[A-Za-z0-9](?:-?[A-Za-z0-9]){5,11}$ holding a digit -> 1, else 0. */
static int64_t mrn(const unsigned char *s, Py_ssize_t n) {
    int alnums = 0, digit = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (is_alnum(s[i])) {
            alnums++;
            digit |= is_digit(s[i]);
        } else if (s[i] != '-' || i == 0 || i + 1 == n || !is_alnum(s[i + 1])) {
            return 0;
        }
    }
    return alnums >= 6 && alnums <= 12 && digit;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

#define DATE_BIAS 1000000 /* keeps decided dates >= 0: days since 1970 + DATE_BIAS */

/* Whether no date format can read the text: it has no two digits in a row, or an '_' or '*'
 * (DateOfBirthRecognizer.UNPARSEABLE: tokens and masked values). */
static int unparseable(const unsigned char *s, Py_ssize_t n) {
    int pair = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] == '_' || s[i] == '*') return 1;
        pair |= i > 0 && is_digit(s[i - 1]) && is_digit(s[i]);
    }
    return !pair;
}

/* ^\d{4}-\d{2}-\d{2}(?:[T ].*)?$ naming a real date of years 1000-9999 -> its days since 1970 +
 * DATE_BIAS; a text no format reads -> NO_MATCH; anything else (other layouts, impossible dates) ->
 * UNDECIDED, for strptime to decide. */
static int64_t date(const unsigned char *s, Py_ssize_t n) {
    static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 10 || (n > 10 && s[10] != 'T' && s[10] != ' ') || s[4] != '-' || s[7] != '-')
        return unparseable(s, n) ? NO_MATCH : UNDECIDED;
    for (int k = 0; k < 10; k++)
        if (k != 4 && k != 7 && !is_digit(s[k])) return unparseable(s, n) ? NO_MATCH : UNDECIDED;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (year < 1000 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1] ||
        (month == 2 && day == 29 && !leap))
        return UNDECIDED;
    return days_from_civil(year, month, day) + DATE_BIAS;
}

/* Whether a phone number with an extension (phone.py's EXTENSION: x, ext. or #, ASCII case-insensitive,
 * then digits) may hide in the text: it has an x or a #, and no byte outside phone characters and those
 * of an extension (other texts are no phone number, with or without their end stripped). */
static int may_have_extension(const unsigned char *s, Py_ssize_t n) {
    int mark = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == 'x' || c == 'X' || c == '#')
            mark = 1;
        else if (!is_digit(c) && (c == 0 || !strchr(" ().-/+eEtT\t\n\f\r", c)))
            return 0;
    }
    return mark;
}

/* A phone number without extension, 6-24 bytes of [0-9 ().\-/+] with at most one '+', first ->
 * ((last 15 digits as a number) * 32 + digit count) * 2 + international (written with + or 00),
 * where a leading "00" does not count as digits; UNDECIDED when the text may end with an extension
 * (Python strips it, then checks the rest); else NO_MATCH. As phone.py's _normalise. */
static int64_t phone(const unsigned char *s, Py_ssize_t n) {
    if (n < 6 || n > 24) return may_have_extension(s, n) ? UNDECIDED : NO_MATCH;
    int64_t number = 0, modulus = 1000000000000000LL; /* 10^15: keeps the last 15 digits */
    int count = 0, plus = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (is_digit(c)) {
            number = (number * 10 + (c - '0')) % modulus;
            count++;
        } else if (c == '+') {
            if (i > 0 || plus) return NO_MATCH;
            plus = 1;
        } else if (c != ' ' && c != '(' && c != ')' && c != '.' && c != '-' && c != '/') {
            return may_have_extension(s, n) ? UNDECIDED : NO_MATCH;
        }
    }
    int double_zero = s[0] == '0' && s[1] == '0';
    if (double_zero) count -= 2;
    return ((number * 32 + count) * 2) + (plus || double_zero);
}

/* An ASCII person name, ^'?[A-Za-z][A-Za-z'. ,-]*$ of 2+ characters -> 1, else 0; UNDECIDED for a
 * text with a byte >= 0x80 (Unicode letters and marks: Python's regex decides). */
static int64_t person_name(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t first = n >= 1 && s[0] == '\'';
    int64_t found = n >= 2 && first < n && is_letter(s[first]);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (s[i] >= 0x80) return UNDECIDED;
        if (!is_letter(s[i]) && (s[i] == 0 || !strchr("'. ,-", s[i]))) found = 0;
    }
    return found;
}

PyDoc_STRVAR(check_doc,
             "check(kind, data, offsets) -> bytes\n\n"
             "n native int64 results, one per text i = data[offsets[i]:offsets[i+1]] (offsets: native\n"
             "int64, n + 1 values, non-decreasing, within data). kind 'ssn': the number, or -1 unless\n"
             "^\\d{3}[- ]?\\d{2}[- ]?\\d{4}$. 'card': first six digits * 100 + digit count when\n"
             "^\\d(?:[ -]?\\d){11,18}$ and the Luhn check holds, else -1. 'npi': 1 when ^[12]\\d{9}$ and\n"
             "Luhn over 80840 + it holds, else 0. 'iban': with spaces and dashes dropped and ASCII\n"
             "upper-cased, (country letters as 0..675) * 64 + length when ^[A-Z]{2}\\d{2}[A-Z0-9]{11,30}$\n"
             "and mod 97 of (rest + first four) is 1, -2 for a text with a byte >= 0x80, else -1.\n"
             "'zip': 1 for a US ZIP (^\\d{5}(?:-?\\d{4})?$, not 00000...), Canadian or British postcode,\n"
             "else 0. 'mrn': 1 when ^[A-Za-z0-9](?:-?[A-Za-z0-9]){5,11}$ with a digit, else 0. 'date':\n"
             "days since 1970-01-01 + 1000000 for ^\\d{4}-\\d{2}-\\d{2}(?:[T ].*)?$ naming a real date of\n"
             "years 1000-9999, -1 when no format can read it (no two digits in a row, or an _ or *),\n"
             "else -2 (undecided: other layouts are parsed in Python). 'phone': for\n"
             "6-24 bytes of [0-9 ().\\-/+] with no '+' but a leading one, ((last 15 digits as a number)\n"
             "* 32 + digit count, a leading 00 not counted) * 2 + (1 if it starts with + or 00), -2 when\n"
             "it may end with an extension (an x or # and only phone or extension characters), else -1.\n"
             "'name': 1 for ^'?[A-Za-z][A-Za-z'. ,-]*$ of 2+ characters, -2 for a text with a byte >= 0x80,\n"
             "else 0.");

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
            case KIND_IBAN: out[i] = iban(s, n); break;
            case KIND_ZIP: out[i] = zip(s, n); break;
            case KIND_MRN: out[i] = mrn(s, n); break;
            case KIND_DATE: out[i] = date(s, n); break;
            case KIND_PHONE: out[i] = phone(s, n); break;
            default: out[i] = person_name(s, n); break;
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
    .m_doc = "Fused shape (+ checksum) checks of identifier columns (SSN, card, NPI, IBAN, ZIP, ...).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__id_checks(void) { return PyModule_Create(&module); }
