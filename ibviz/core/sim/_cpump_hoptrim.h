/* The hop record's trims (keep, keep_from): the ledger forgets the hops of retired
 * packets, which sit at the front. Included once, by _cpump_hops.h. */
#ifndef IBVIZ_CPUMP_HOPTRIM_H
#define IBVIZ_CPUMP_HOPTRIM_H

/* Move hops [from, from + count) to to (either way), column by column. */
static void
hops_move(HopRecord *h, Py_ssize_t to, Py_ssize_t from, Py_ssize_t count)
{
    if (to == from || count <= 0)
        return;
#define MOVE(f) memmove(h->f + to, h->f + from, (size_t)count * sizeof(*h->f));
    HOP_FIELDS(MOVE)
#undef MOVE
}

/* One step of a trim: a dropped hop i releases its ports, and the kept run before it,
 * from *start, moves down to *w in one go. hops_swept finishes. */
static inline void
hop_sweep(HopRecord *h, Py_ssize_t i, Py_ssize_t *w, Py_ssize_t *start, int keep)
{
    if (keep)
        return;
    hops_move(h, *w, *start, i - *start);
    *w += i - *start;
    *start = i + 1;
    Py_DECREF(h->src[i]);
    Py_DECREF(h->dst[i]);
}

static Py_ssize_t
hops_swept(HopRecord *h, Py_ssize_t w, Py_ssize_t start)
{
    Py_ssize_t gone = start - w;
    hops_move(h, w, start, h->n - start);
    h->n -= gone;
    return gone;
}

/* keep(mask) keeps, of the first len(mask) hops, those whose mask byte is non-zero, and
 * every later hop, in order */
static PyObject *
HopRecord_keep(HopRecord *h, PyObject *arg)
{
    Py_buffer mask;
    if (PyObject_GetBuffer(arg, &mask, PyBUF_SIMPLE) < 0)
        return NULL;
    Py_ssize_t end = mask.len, w = 0;
    if (end > h->n) {
        PyBuffer_Release(&mask);
        PyErr_SetString(PyExc_ValueError, "keep: the mask is longer than the record");
        return NULL;
    }
    const char *keep = mask.buf;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i < end; i++)
        hop_sweep(h, i, &w, &start, keep[i]);
    hops_swept(h, w, start);
    PyBuffer_Release(&mask);
    Py_RETURN_NONE;
}

/* Whether hop i's packet is from below on or in held (ids, m of them, sorted). */
static inline int
hop_kept(const HopRecord *h, Py_ssize_t i, long long below, const long long *ids,
         Py_ssize_t m)
{
    long long p = h->pid[i];
    if (p >= below)
        return 1;
    for (Py_ssize_t lo = 0, hi = m; lo < hi;) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (ids[mid] < p)
            lo = mid + 1;
        else if (ids[mid] > p)
            hi = mid;
        else
            return 1;
    }
    return 0;
}

/* keep_from(below, held) keeps the hops of packets from id below on and of the packets
 * whose ids are in held (int64 bytes, sorted), in order; the rest go. Returns how many
 * went. A retirement pass's trim (ledger.py): the hops that go are old, at the front, so
 * the few kept among them move up next to the later ones and the record starts after
 * them (the front slots are reused when the buffers are full), nothing else moves. */
static PyObject *
HopRecord_keep_from(HopRecord *h, PyObject *const *a, Py_ssize_t nargs)
{
    Py_buffer held;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "keep_from(below, held)");
        return NULL;
    }
    long long below = PyLong_AsLongLong(a[0]);
    if ((below == -1 && PyErr_Occurred()) ||
        PyObject_GetBuffer(a[1], &held, PyBUF_SIMPLE) < 0)
        return NULL;
    const long long *ids = held.buf;
    Py_ssize_t m = held.len / (Py_ssize_t)sizeof(long long), end = 0;
    for (Py_ssize_t i = 0; i < h->n; i++)  /* end: just after the last hop that goes */
        if (!hop_kept(h, i, below, ids, m))
            end = i + 1;
    Py_ssize_t w = end;
    for (Py_ssize_t i = end - 1; i >= 0; i--) {
        if (hop_kept(h, i, below, ids, m)) {
            hops_move(h, --w, i, 1);
        } else {
            Py_DECREF(h->src[i]);
            Py_DECREF(h->dst[i]);
        }
    }
    PyBuffer_Release(&held);
    if (w) {
#define SKIP(f) h->f += w;
        HOP_FIELDS(SKIP)
#undef SKIP
        h->base += w;
        h->n -= w;
    }
    return PyLong_FromSsize_t(w);
}

#endif /* IBVIZ_CPUMP_HOPTRIM_H */
