/* Shared by the core's C extensions: checking the offsets of a batch of texts before reading it.
 * Texts arrive as one data buffer and n + 1 native int64 offsets (Arrow's offsets, widened by the
 * caller), so a bad call raises ValueError instead of reading outside the buffer. */
#ifndef SDP_ARROW_OFFSETS_H
#define SDP_ARROW_OFFSETS_H

#include <Python.h>
#include <stdint.h>

/* 0 and *count = n when `offsets` holds n + 1 non-decreasing int64 values within [0, data_len];
 * else -1 with ValueError set. */
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

#endif
