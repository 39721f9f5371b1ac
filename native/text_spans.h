/* The scanner's scrubbing helpers of compliance.detection._text_hints (included by text_hints.c):
 * splice (the scrubbed texts rebuilt piece by piece) and only_occurrence (where a row's single
 * match starts, without an RE2 pass). */
#ifndef SDP_TEXT_SPANS_H
#define SDP_TEXT_SPANS_H

#include <Python.h>
#include <stdint.h>
#include <string.h>

#include "arrow_offsets.h"

/* Texts with spans replaced: compliance.detection._text_hints.splice (see splice_doc). Two passes
 * over the spans (sizes and checks, then one memcpy per piece) instead of numpy's per-byte index
 * arrays; the scrubbed notes of a batch are rebuilt in ~1 ms. */
static int64_t *int64_view(Py_buffer *buffer, Py_ssize_t count, const char *name) {
    if (buffer->len != count * (Py_ssize_t)sizeof(int64_t)) {
        PyErr_Format(PyExc_ValueError, "%s must hold one int64 per span", name);
        return NULL;
    }
    return (int64_t *)buffer->buf;
}

static PyObject *spliced(Py_buffer *data, Py_buffer *offsets, Py_buffer *rows, Py_buffer *starts,
                         Py_buffer *ends, Py_buffer *replacements, Py_buffer *replacement_offsets) {
    Py_ssize_t count, spans;
    if (check_offsets(offsets, data->len, &count) < 0) return NULL;
    if (check_offsets(replacement_offsets, replacements->len, &spans) < 0) return NULL;
    const int64_t *row = int64_view(rows, spans, "rows");
    const int64_t *start = int64_view(starts, spans, "starts");
    const int64_t *end = int64_view(ends, spans, "ends");
    if (row == NULL || start == NULL || end == NULL) return NULL;
    const int64_t *bounds = (const int64_t *)offsets->buf;
    const int64_t *replacement_bounds = (const int64_t *)replacement_offsets->buf;
    /* Pass 1: check the spans, count the changed texts and the output bytes. */
    Py_ssize_t changed = 0;
    int64_t total = 0;
    for (Py_ssize_t k = 0; k < spans; k++) {
        int new_row = k == 0 || row[k] != row[k - 1];
        int64_t length = row[k] >= 0 && row[k] < count ? bounds[row[k] + 1] - bounds[row[k]] : -1;
        int unsorted = k > 0 && (row[k] < row[k - 1] || (!new_row && start[k] < end[k - 1]));
        if (unsorted || length < 0 || start[k] < 0 || start[k] > end[k] || end[k] > length) {
            PyErr_SetString(PyExc_ValueError,
                            "spans must be sorted by (row, start), disjoint and within their text");
            return NULL;
        }
        if (new_row) {
            changed++;
            total += length;
        }
        total += (replacement_bounds[k + 1] - replacement_bounds[k]) - (end[k] - start[k]);
    }
    if (total > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "scrubbed text of one batch exceeds 2 GiB; use smaller batches");
        return NULL;
    }
    PyObject *text = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    PyObject *value_offsets = PyBytes_FromStringAndSize(NULL, (changed + 1) * (Py_ssize_t)sizeof(int32_t));
    if (text == NULL || value_offsets == NULL) {
        Py_XDECREF(text);
        Py_XDECREF(value_offsets);
        return NULL;
    }
    unsigned char *out = (unsigned char *)PyBytes_AsString(text);
    int32_t *out_offsets = (int32_t *)PyBytes_AsString(value_offsets);
    const unsigned char *source = (const unsigned char *)data->buf;
    const unsigned char *replacement = (const unsigned char *)replacements->buf;
    /* Pass 2: per changed text, the text before each span, its replacement, then the tail. */
    Py_BEGIN_ALLOW_THREADS
    int64_t at = 0, cursor = 0;
    Py_ssize_t value = 0;
    for (Py_ssize_t k = 0; k < spans; k++) {
        const unsigned char *base = source + bounds[row[k]];
        if (k == 0 || row[k] != row[k - 1]) {
            out_offsets[value++] = (int32_t)at;
            cursor = 0;
        }
        memcpy(out + at, base + cursor, (size_t)(start[k] - cursor));
        at += start[k] - cursor;
        int64_t size = replacement_bounds[k + 1] - replacement_bounds[k];
        memcpy(out + at, replacement + replacement_bounds[k], (size_t)size);
        at += size;
        cursor = end[k];
        if (k + 1 == spans || row[k + 1] != row[k]) {
            int64_t tail = bounds[row[k] + 1] - bounds[row[k]] - cursor;
            memcpy(out + at, base + cursor, (size_t)tail);
            at += tail;
        }
    }
    out_offsets[value] = (int32_t)at;
    Py_END_ALLOW_THREADS
    return Py_BuildValue("(NN)", text, value_offsets);
}

PyDoc_STRVAR(splice_doc,
             "splice(data, offsets, rows, starts, ends, replacements, replacement_offsets)\n"
             "    -> (bytes, int32 offsets as bytes)\n\n"
             "The texts data[offsets[r]:offsets[r+1]] of the distinct rows r in `rows`, in order, each with\n"
             "its spans [starts[k], ends[k]) (bytes within the text) replaced by replacement k =\n"
             "replacements[replacement_offsets[k]:replacement_offsets[k+1]]: the joined text and its\n"
             "m + 1 offsets. Spans are sorted by (row, start) and disjoint; offsets, rows, starts, ends\n"
             "and replacement_offsets are native int64.");

static PyObject *splice(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer data, offsets, rows, starts, ends, replacements, replacement_offsets;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*", &data, &offsets, &rows, &starts, &ends, &replacements,
                          &replacement_offsets))
        return NULL;
    PyObject *result = spliced(&data, &offsets, &rows, &starts, &ends, &replacements, &replacement_offsets);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&ends);
    PyBuffer_Release(&replacements);
    PyBuffer_Release(&replacement_offsets);
    return result;
}

/* Where needle i occurs in text i: compliance.detection._text_hints.only_occurrence (see its doc).
 * The scanner knows the text of a row's single match (extract_regex) and needs where it starts:
 * when that text occurs once in the row, its position is the answer, without an RE2 pass. */
static int64_t only_at(const unsigned char *text, int64_t n, const unsigned char *needle, int64_t size) {
    if (size == 0 || size > n) return -1;
    int64_t found = -1;
    for (int64_t i = 0; i + size <= n; i++) {
        const unsigned char *hit = memchr(text + i, needle[0], (size_t)(n - size - i + 1));
        if (hit == NULL) break;
        i = hit - text;
        if (memcmp(hit, needle, (size_t)size) == 0) {
            if (found >= 0) return -1; /* twice (overlaps count) */
            found = i;
        }
    }
    return found;
}

static PyObject *only_occurrence(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer data, offsets, needles, needle_offsets;
    if (!PyArg_ParseTuple(args, "y*y*y*y*", &data, &offsets, &needles, &needle_offsets)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t count, needle_count;
    if (check_offsets(&offsets, data.len, &count) < 0 ||
        check_offsets(&needle_offsets, needles.len, &needle_count) < 0)
        goto done;
    if (needle_count != count) {
        PyErr_SetString(PyExc_ValueError, "one needle per text");
        goto done;
    }
    result = PyBytes_FromStringAndSize(NULL, count * (Py_ssize_t)sizeof(int64_t));
    if (result == NULL) goto done;
    int64_t *out = (int64_t *)PyBytes_AsString(result);
    const int64_t *bounds = (const int64_t *)offsets.buf, *needle_bounds = (const int64_t *)needle_offsets.buf;
    const unsigned char *text = (const unsigned char *)data.buf, *needle = (const unsigned char *)needles.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < count; i++)
        out[i] = only_at(text + bounds[i], bounds[i + 1] - bounds[i], needle + needle_bounds[i],
                         needle_bounds[i + 1] - needle_bounds[i]);
    Py_END_ALLOW_THREADS
done:
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&needles);
    PyBuffer_Release(&needle_offsets);
    return result;
}

PyDoc_STRVAR(only_occurrence_doc,
             "only_occurrence(data, offsets, needles, needle_offsets) -> bytes\n\n"
             "n native int64: the byte position of needle i = needles[needle_offsets[i]:needle_offsets[i+1]]\n"
             "in text i = data[offsets[i]:offsets[i+1]] when it occurs there exactly once (overlapping\n"
             "occurrences count), else -1 (also for an empty needle). Offsets: native int64, n + 1.");

#endif
