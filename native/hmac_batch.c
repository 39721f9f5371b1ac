/* Tokens of many values in one call: compliance.anonymize._hmac_batch.tokens.
 *
 * The tokenizer hashes every distinct value of a column; hashlib costs ~0.7 us per value in Python
 * calls and numpy base32 ~0.1 us more; this loop does both in ~0.15 us. Messages arrive as an
 * Arrow binary array's data buffer plus its n + 1 int64 offsets (buffer protocol only: no
 * numpy/pyarrow C API, so one .so serves every venv).
 * The HMAC inner state is precomputed over (key ^ ipad) + a fixed message prefix, the outer over
 * (key ^ opad) (RFC 2104); each message then costs two SHA-256 continuations. The GIL is released.
 * Error messages never include the key.
 */
#define PY_SSIZE_T_CLEAN
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_CTX: a plain struct copy per message, no allocation */
#include <Python.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <string.h>

#define BLOCK 64

static void precompute(const unsigned char *key, Py_ssize_t key_len, const unsigned char *prefix,
                       Py_ssize_t prefix_len, SHA256_CTX *inner, SHA256_CTX *outer) {
    unsigned char block[BLOCK] = {0}, pad[BLOCK];
    if (key_len > BLOCK) {
        SHA256(key, (size_t)key_len, block);
    } else {
        memcpy(block, key, (size_t)key_len);
    }
    for (int i = 0; i < BLOCK; i++) pad[i] = block[i] ^ 0x36;
    SHA256_Init(inner);
    SHA256_Update(inner, pad, BLOCK);
    SHA256_Update(inner, prefix, (size_t)prefix_len);
    for (int i = 0; i < BLOCK; i++) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(outer);
    SHA256_Update(outer, pad, BLOCK);
    OPENSSL_cleanse(block, BLOCK);
    OPENSSL_cleanse(pad, BLOCK);
}

static const char BASE32[] = "abcdefghijklmnopqrstuvwxyz234567"; /* RFC 4648, lower case */

/* 5 bytes -> 8 base32 characters. */
static void base32_group(const unsigned char *in, unsigned char *out) {
    uint64_t bits = 0;
    for (int i = 0; i < 5; i++) bits = (bits << 8) | in[i];
    for (int i = 7; i >= 0; i--, bits >>= 5) out[i] = (unsigned char)BASE32[bits & 31];
}

/* HMAC of every message; each output record is `token_prefix` + base32 of the digest's first
 * `digest_bytes` bytes. Returns a new bytes object, or NULL with an exception set. */
static PyObject *hmac_tokens(Py_buffer *key, Py_buffer *prefix, Py_buffer *data, Py_buffer *offsets,
                             Py_ssize_t digest_bytes, Py_buffer *token_prefix) {
    if (digest_bytes < 5 || digest_bytes > SHA256_DIGEST_LENGTH || digest_bytes % 5) {
        PyErr_SetString(PyExc_ValueError, "digest_bytes must be a multiple of 5, at most 30");
        return NULL;
    }
    if (offsets->len % (Py_ssize_t)sizeof(int64_t) != 0 || offsets->len < (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "offsets must hold n + 1 int64 values");
        return NULL;
    }
    Py_ssize_t count = offsets->len / (Py_ssize_t)sizeof(int64_t) - 1;
    const int64_t *bounds = (const int64_t *)offsets->buf;
    for (Py_ssize_t i = 0; i < count; i++) {
        if (bounds[i] < 0 || bounds[i] > bounds[i + 1] || bounds[i + 1] > (int64_t)data->len) {
            PyErr_SetString(PyExc_ValueError, "offsets must be non-decreasing and within data");
            return NULL;
        }
    }
    Py_ssize_t head = token_prefix->len;
    Py_ssize_t width = head + digest_bytes / 5 * 8;
    PyObject *result = PyBytes_FromStringAndSize(NULL, count * width);
    if (result == NULL) return NULL;
    unsigned char *out = (unsigned char *)PyBytes_AsString(result);
    const unsigned char *bytes = (const unsigned char *)data->buf;
    SHA256_CTX inner, outer;
    precompute(key->buf, key->len, prefix->buf, prefix->len, &inner, &outer);
    Py_BEGIN_ALLOW_THREADS
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX state;
    for (Py_ssize_t i = 0; i < count; i++) {
        state = inner;
        SHA256_Update(&state, bytes + bounds[i], (size_t)(bounds[i + 1] - bounds[i]));
        SHA256_Final(digest, &state);
        state = outer;
        SHA256_Update(&state, digest, SHA256_DIGEST_LENGTH);
        SHA256_Final(digest, &state);
        unsigned char *record = out + i * width;
        memcpy(record, token_prefix->buf, (size_t)head);
        for (Py_ssize_t g = 0; g < digest_bytes / 5; g++) base32_group(digest + 5 * g, record + head + 8 * g);
    }
    OPENSSL_cleanse(&state, sizeof state);
    OPENSSL_cleanse(digest, sizeof digest);
    Py_END_ALLOW_THREADS
    OPENSSL_cleanse(&inner, sizeof inner);
    OPENSSL_cleanse(&outer, sizeof outer);
    return result;
}

PyDoc_STRVAR(tokens_doc,
             "tokens(key, prefix, data, offsets, digest_bytes, token_prefix) -> bytes\n\n"
             "Fixed-width tokens, concatenated: for each i, token_prefix + lower-case base32\n"
             "(RFC 4648, no padding) of HMAC-SHA256(key, prefix + data[offsets[i]:offsets[i+1]])\n"
             "truncated to digest_bytes (a multiple of 5, at most 30). offsets: n + 1 native int64,\n"
             "non-decreasing, within data.");

static PyObject *tokens(PyObject *Py_UNUSED(self), PyObject *args) {
    Py_buffer key, prefix, data, offsets, token_prefix;
    Py_ssize_t digest_bytes;
    if (!PyArg_ParseTuple(args, "y*y*y*y*ny*", &key, &prefix, &data, &offsets, &digest_bytes, &token_prefix))
        return NULL;
    PyObject *result = hmac_tokens(&key, &prefix, &data, &offsets, digest_bytes, &token_prefix);
    PyBuffer_Release(&key);
    PyBuffer_Release(&prefix);
    PyBuffer_Release(&data);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&token_prefix);
    return result;
}

static PyMethodDef methods[] = {
    {"tokens", tokens, METH_VARARGS, tokens_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "_hmac_batch",
    .m_doc = "Batch HMAC-SHA256 for the tokenizer.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__hmac_batch(void) { return PyModule_Create(&module); }
