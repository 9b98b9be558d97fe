/* _cpump.HopRecord: the hop record as columns. Included once, by _cpump.c. */
#ifndef IBVIZ_CPUMP_HOPS_H
#define IBVIZ_CPUMP_HOPS_H

/* HopRecord: the hop record as columns (packet id, flow id, kind code, t0, t1, and the
 * two ports as references), filled by the loop without a tuple or a float per hop; rows
 * are made only for the hops a view asks about (ibviz/core/sim/hopcolumns.py). Flow ids
 * number the flows in the order of their first hop, as HopLog's do. */
#define FID_SLOTS 2048
#define FID_PROBES 4

typedef struct {
    PyObject_HEAD
    Py_ssize_t n, cap, base; /* base: slots before hop 0 in the buffers (trims free them) */
    long long *pid;
    int *flow;
    signed char *kind;
    double *t0, *t1;
    PyObject **src, **dst;
    PyObject *ids;        /* flow name -> id (dict) */
    PyObject *names;      /* id -> flow name (list) */
    PyObject *kind_codes; /* kind name -> code (dict) */
    PyObject *kind_names; /* code -> kind name (tuple) */
    /* flow name object -> id, by identity, in front of ids: a flow's id never changes
     * (ids only grows), so a name found here needs no dict lookup (strong keys) */
    PyObject *fid_keys[FID_SLOTS];
    int fid_vals[FID_SLOTS];
} HopRecord;

static PyTypeObject HopRecordType;

#define HOP_FIELDS(X) X(pid) X(flow) X(kind) X(t0) X(t1) X(src) X(dst)

static int
hops_grow(HopRecord *h)
{
    Py_ssize_t b = h->base;
    if (b && b * 4 >= h->cap) {  /* trims freed a quarter at the front: slide back */
#define SLIDE(f) h->f -= b; memmove(h->f, h->f + b, (size_t)h->n * sizeof(*h->f));
        HOP_FIELDS(SLIDE)
#undef SLIDE
        h->base = 0;
        return 0;
    }
    Py_ssize_t cap = h->cap ? h->cap * 2 : 4096;
    void *p;
#define GROW(f)                                                              \
    p = PyMem_Realloc(h->f ? h->f - b : NULL, (size_t)cap * sizeof(*h->f));  \
    if (p == NULL) {                                                         \
        PyErr_NoMemory();                                                    \
        return -1;                                                           \
    }                                                                        \
    h->f = (void *)((char *)p + b * (Py_ssize_t)sizeof(*h->f));
    HOP_FIELDS(GROW)
#undef GROW
    h->cap = cap;
    return 0;
}

/* Append one hop (the references to src and dst are taken, not stolen). */
static int
hops_add(HopRecord *h, PyObject *pid, PyObject *flow, PyObject *kind, PyObject *src,
         PyObject *dst, double t0, double t1)
{
    if (h->base + h->n == h->cap && hops_grow(h) < 0)
        return -1;
    long long p = PyLong_AsLongLong(pid);
    if (p == -1 && PyErr_Occurred())
        return -1;
    size_t slot = ((uintptr_t)flow >> 4) & (FID_SLOTS - 1), free_slot = FID_SLOTS;
    for (int k = 0; k < FID_PROBES; k++) {
        size_t j = (slot + (size_t)k) & (FID_SLOTS - 1);
        if (h->fid_keys[j] == flow) {
            free_slot = FID_SLOTS + 1;  /* found */
            slot = j;
            break;
        }
        if (h->fid_keys[j] == NULL && free_slot == FID_SLOTS)
            free_slot = j;
    }
    long fid;
    if (free_slot == FID_SLOTS + 1) {
        fid = h->fid_vals[slot];
        goto have_fid;
    }
    PyObject *id = PyDict_GetItemWithError(h->ids, flow);
    if (id == NULL) {
        if (PyErr_Occurred())
            return -1;
        fid = (long)PyList_GET_SIZE(h->names);
        PyObject *new_id = PyLong_FromLong(fid);
        if (new_id == NULL)
            return -1;
        int rc = PyDict_SetItem(h->ids, flow, new_id);
        Py_DECREF(new_id);
        if (rc < 0 || PyList_Append(h->names, flow) < 0)
            return -1;
    } else if ((fid = PyLong_AsLong(id)) == -1 && PyErr_Occurred())
        return -1;
    if (free_slot < FID_SLOTS) {
        h->fid_keys[free_slot] = Py_NewRef(flow);
        h->fid_vals[free_slot] = (int)fid;
    }
have_fid:;
    long code = -1;  /* the kind's place in kind_names, by identity, else by the dict */
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(h->kind_names); k++)
        if (PyTuple_GET_ITEM(h->kind_names, k) == kind) {
            code = (long)k;
            break;
        }
    if (code < 0) {
        PyObject *code_o = PyDict_GetItemWithError(h->kind_codes, kind);
        if (code_o == NULL) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_KeyError, "unknown packet kind %R", kind);
            return -1;
        }
        code = PyLong_AsLong(code_o);
    }
    Py_ssize_t i = h->n;
    h->pid[i] = p;
    h->flow[i] = (int)fid;
    h->kind[i] = (signed char)code;
    h->t0[i] = t0;
    h->t1[i] = t1;
    h->src[i] = Py_NewRef(src);
    h->dst[i] = Py_NewRef(dst);
    h->n = i + 1;
    return 0;
}

static PyObject *
HopRecord_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *kind_names;
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        PyErr_SetString(PyExc_TypeError, "HopRecord(kind_names) takes no keywords");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!:HopRecord", &PyTuple_Type, &kind_names))
        return NULL;
    HopRecord *h = (HopRecord *)type->tp_alloc(type, 0);
    if (h == NULL)
        return NULL;
    h->ids = PyDict_New();
    h->names = PyList_New(0);
    h->kind_codes = PyDict_New();
    h->kind_names = Py_NewRef(kind_names);
    if (h->ids == NULL || h->names == NULL || h->kind_codes == NULL) {
        Py_DECREF(h);
        return NULL;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(kind_names); k++) {
        PyObject *code = PyLong_FromSsize_t(k);
        int rc = code == NULL ? -1 :
                 PyDict_SetItem(h->kind_codes, PyTuple_GET_ITEM(kind_names, k), code);
        Py_XDECREF(code);
        if (rc < 0) {
            Py_DECREF(h);
            return NULL;
        }
    }
    return (PyObject *)h;
}

static void
HopRecord_dealloc(HopRecord *h)
{
    for (Py_ssize_t i = 0; i < h->n; i++) {
        Py_DECREF(h->src[i]);
        Py_DECREF(h->dst[i]);
    }
#define FREE(f) PyMem_Free(h->f ? h->f - h->base : NULL);  /* from the buffer's start */
    HOP_FIELDS(FREE)
#undef FREE
    for (int k = 0; k < FID_SLOTS; k++)
        Py_XDECREF(h->fid_keys[k]);
    Py_XDECREF(h->ids);
    Py_XDECREF(h->names);
    Py_XDECREF(h->kind_codes);
    Py_XDECREF(h->kind_names);
    Py_TYPE(h)->tp_free((PyObject *)h);
}

static Py_ssize_t
HopRecord_len(HopRecord *h)
{
    return h->n;
}

static PyObject *
HopRecord_add(HopRecord *h, PyObject *const *a, Py_ssize_t nargs)
{
    if (nargs != 7) {
        PyErr_SetString(PyExc_TypeError, "add(pid, flow, kind, src, dst, t0, t1)");
        return NULL;
    }
    double t0 = PyFloat_AsDouble(a[5]), t1 = PyFloat_AsDouble(a[6]);
    if (PyErr_Occurred() || hops_add(h, a[0], a[1], a[2], a[3], a[4], t0, t1) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* record(row): add(*row), for a row tuple (HopLog.record's signature) */
static PyObject *
HopRecord_record(HopRecord *h, PyObject *row)
{
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != 7) {
        PyErr_SetString(PyExc_TypeError, "record((pid, flow, kind, src, dst, t0, t1))");
        return NULL;
    }
    return HopRecord_add(h, &PyTuple_GET_ITEM(row, 0), 7);
}

static int
hop_index(HopRecord *h, PyObject *arg, Py_ssize_t *i)
{
    Py_ssize_t k = PyNumber_AsSsize_t(arg, PyExc_IndexError);  /* numpy ints too */
    if (k == -1 && PyErr_Occurred())
        return -1;
    if (k < 0)
        k += h->n;
    if (k < 0 || k >= h->n) {
        PyErr_SetString(PyExc_IndexError, "hop index out of range");
        return -1;
    }
    *i = k;
    return 0;
}

/* row(i) -> (pid, flow, kind, src, dst, t0, t1) */
static PyObject *
HopRecord_row(HopRecord *h, PyObject *arg)
{
    Py_ssize_t i;
    if (hop_index(h, arg, &i) < 0)
        return NULL;
    PyObject *kind = h->kind[i] >= 0 && h->kind[i] < PyTuple_GET_SIZE(h->kind_names) ?
                     PyTuple_GET_ITEM(h->kind_names, h->kind[i]) : Py_None;
    return Py_BuildValue("(LOOOOdd)", h->pid[i], PyList_GET_ITEM(h->names, h->flow[i]),
                         kind, h->src[i], h->dst[i], h->t0[i], h->t1[i]);
}

static PyObject *
HopRecord_pid(HopRecord *h, PyObject *arg)
{
    Py_ssize_t i;
    if (hop_index(h, arg, &i) < 0)
        return NULL;
    return PyLong_FromLongLong(h->pid[i]);
}

/* columns(start) -> (pid int64, flow int32, kind int8, t0 float64, t1 float64) as bytes,
 * of the hops from start on */
static PyObject *
HopRecord_columns(HopRecord *h, PyObject *arg)
{
    Py_ssize_t start = PyLong_AsSsize_t(arg);
    if (start == -1 && PyErr_Occurred())
        return NULL;
    if (start < 0 || start > h->n) {
        PyErr_SetString(PyExc_IndexError, "columns: start out of range");
        return NULL;
    }
    Py_ssize_t m = h->n - start;
    return Py_BuildValue(
        "(y#y#y#y#y#)", (const char *)(h->pid + start), m * (Py_ssize_t)sizeof(long long),
        (const char *)(h->flow + start), m * (Py_ssize_t)sizeof(int),
        (const char *)(h->kind + start), m, (const char *)(h->t0 + start),
        m * (Py_ssize_t)sizeof(double), (const char *)(h->t1 + start),
        m * (Py_ssize_t)sizeof(double));
}

/* endpoints(indices) -> [(src, dst), ...] */
static PyObject *
HopRecord_endpoints(HopRecord *h, PyObject *indices)
{
    PyObject *seq = PySequence_Fast(indices, "endpoints: a sequence of indices");
    if (seq == NULL)
        return NULL;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    PyObject *out = PyList_New(m);
    for (Py_ssize_t k = 0; out != NULL && k < m; k++) {
        Py_ssize_t i;
        PyObject *pair = NULL;
        if (hop_index(h, PySequence_Fast_GET_ITEM(seq, k), &i) == 0)
            pair = PyTuple_Pack(2, h->src[i], h->dst[i]);
        if (pair == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, k, pair);
    }
    Py_DECREF(seq);
    return out;
}

#include "_cpump_hoptrim.h"

static PyObject *
HopRecord_get_names(HopRecord *h, void *Py_UNUSED(closure))
{
    return Py_NewRef(h->names);
}

static PyObject *
HopRecord_get_ids(HopRecord *h, void *Py_UNUSED(closure))
{
    return Py_NewRef(h->ids);
}

static PyMethodDef HopRecord_methods[] = {
    {"add", (PyCFunction)(void (*)(void))HopRecord_add, METH_FASTCALL,
     "add(pid, flow, kind, src, dst, t0, t1): one hop"},
    {"record", (PyCFunction)HopRecord_record, METH_O,
     "record((pid, flow, kind, src, dst, t0, t1)): one hop, as a row"},
    {"row", (PyCFunction)HopRecord_row, METH_O, "row(i) -> (pid, flow, kind, src, dst, t0, t1)"},
    {"pid", (PyCFunction)HopRecord_pid, METH_O, "pid(i) -> the packet id of hop i"},
    {"columns", (PyCFunction)HopRecord_columns, METH_O,
     "columns(start) -> (pid, flow, kind, t0, t1) bytes of the hops from start on"},
    {"endpoints", (PyCFunction)HopRecord_endpoints, METH_O,
     "endpoints(indices) -> [(src, dst), ...]"},
    {"keep", (PyCFunction)HopRecord_keep, METH_O,
     "keep(mask bytes): keep the marked ones of the first len(mask) hops, and the rest"},
    {"keep_from", (PyCFunction)(void (*)(void))HopRecord_keep_from, METH_FASTCALL,
     "keep_from(below, held int64 bytes) -> hops gone: keep those of packets >= below or held"},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef HopRecord_getset[] = {
    {"names", (getter)HopRecord_get_names, NULL, "flow names by id (the live list)", NULL},
    {"ids", (getter)HopRecord_get_ids, NULL, "flow name -> id (the live dict)", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PySequenceMethods HopRecord_as_sequence = {.sq_length = (lenfunc)HopRecord_len};

static PyTypeObject HopRecordType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ibviz.core.sim._cpump.HopRecord",
    .tp_basicsize = sizeof(HopRecord),
    .tp_dealloc = (destructor)HopRecord_dealloc,
    .tp_as_sequence = &HopRecord_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The hop record as columns (see ibviz.core.sim.hopcolumns).",
    .tp_methods = HopRecord_methods,
    .tp_getset = HopRecord_getset,
    .tp_new = HopRecord_new,
};

#endif /* IBVIZ_CPUMP_HOPS_H */
