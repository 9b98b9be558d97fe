/* The packet simulator's hop loop, compiled: the same steps as
 * ibviz/core/sim/pump_loop.py's run_batch_py, statement for statement, on the same
 * Python objects (the hop record, drop rows, caches and counters are the simulator's
 * own), with the arrivals in a heap of C records (Arrivals, below) instead of a heapq
 * list of tuples: the same order, (time, push order).
 * Only the bytecode dispatch goes away. Every case the Python loop hands to a method
 * (a packet reaching a channel adapter, a router, a dead cable, a loop) calls the same
 * method here, after setting the engine's clock the same way.
 *
 * Times are C doubles only where Python computes them from floats: t0 = t + lat and
 * t1 = t0 + size * us_per_byte + prop, in that order (built with -ffp-contract=off so
 * no fused multiply-add changes a rounding). run_batch checks that lat and prop are
 * floats before choosing this loop.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

static PyObject *one;
static PyObject *s_delivered, *s_duplicates;
static PyObject *s_now, *s_limit, *s_dlid, *s_flow, *s_size, *s_kind, *s_copies,
    *s_dropped;

/* A packet's fields: read from its slots directly when its class keeps them in plain
 * slots (DataPacket, a slots dataclass), else by attribute lookup. */
enum { F_DLID, F_FLOW, F_SIZE, F_KIND, N_FIELDS };
static PyObject *field_names[N_FIELDS];
static PyTypeObject *slots_type;  /* the class whose slot offsets are known (strong) */
static PyTypeObject *lookup_type;  /* the last class found not to keep them so (strong) */
static Py_ssize_t slot_offsets[N_FIELDS];

static void
learn_slots(PyTypeObject *tp)
{
    Py_ssize_t offsets[N_FIELDS];
    for (int i = 0; i < N_FIELDS; i++) {
        PyObject *d = PyObject_GetAttr((PyObject *)tp, field_names[i]);
        if (d == NULL) {  /* asked again, by attribute, where it raises */
            PyErr_Clear();
            Py_INCREF(tp);
            Py_XSETREF(lookup_type, tp);
            return;
        }
        int plain = Py_IS_TYPE(d, &PyMemberDescr_Type) &&
                    ((PyMemberDescrObject *)d)->d_member->type == T_OBJECT_EX &&
                    !(((PyMemberDescrObject *)d)->d_member->flags & READONLY);
        if (plain)
            offsets[i] = ((PyMemberDescrObject *)d)->d_member->offset;
        Py_DECREF(d);
        if (!plain) {
            Py_INCREF(tp);
            Py_XSETREF(lookup_type, tp);
            return;
        }
    }
    Py_INCREF(tp);
    Py_XSETREF(slots_type, tp);
    memcpy(slot_offsets, offsets, sizeof offsets);
}

static inline PyObject *
field(PyObject *packet, int which)
{
    PyTypeObject *tp = Py_TYPE(packet);
    if (tp != slots_type && tp != lookup_type)
        learn_slots(tp);
    if (tp == slots_type) {
        PyObject *v = *(PyObject **)((char *)packet + slot_offsets[which]);
        if (v != NULL)
            return Py_NewRef(v);
    }
    return PyObject_GetAttr(packet, field_names[which]);
}

/* ``x in container`` for a set (the common case; an empty one, as failed nodes and
 * down links mostly are, without hashing x) or anything else. */
static inline int
contains(PyObject *container, PyObject *x)
{
    if (PyAnySet_Check(container))
        return PySet_GET_SIZE(container) ? PySet_Contains(container, x) : 0;
    return PySequence_Contains(container, x);
}

static inline double
as_double(PyObject *o)
{
    return PyFloat_CheckExact(o) ? PyFloat_AS_DOUBLE(o) : PyFloat_AsDouble(o);
}

/* The stop time: the engine's run limit, or its next other event if sooner. */
static int
stop_time(PyObject *engine, PyObject *eheap, double *limit)
{
    PyObject *l = PyObject_GetAttr(engine, s_limit);
    if (l == NULL)
        return -1;
    double v = as_double(l);
    Py_DECREF(l);
    if (v == -1.0 && PyErr_Occurred())
        return -1;
    if (PyList_GET_SIZE(eheap) > 0) {
        PyObject *top = PyList_GET_ITEM(eheap, 0);
        if (!PyTuple_Check(top) || PyTuple_GET_SIZE(top) < 1) {
            PyErr_SetString(PyExc_TypeError, "engine heap entries must be tuples");
            return -1;
        }
        double first = as_double(PyTuple_GET_ITEM(top, 0));
        if (first == -1.0 && PyErr_Occurred())
            return -1;
        if (first < v)
            v = first;
    }
    *limit = v;
    return 0;
}

static inline int
set_now(PyObject *engine, PyObject *t)
{
    return PyObject_SetAttr(engine, s_now, t);
}

/* Call fn(args...) and drop the result; -1 on error. */
static int
call_discard(PyObject *fn, PyObject *const *args, size_t n)
{
    PyObject *r = PyObject_Vectorcall(fn, args, n, NULL);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* mapping.pop(key, None) */
static int
dict_discard(PyObject *mapping, PyObject *key)
{
    if (PyDict_CheckExact(mapping)) {
        PyObject *v = PyDict_GetItemWithError(mapping, key);
        if (v == NULL)
            return PyErr_Occurred() ? -1 : 0;
        return PyDict_DelItem(mapping, key);
    }
    PyObject *r = PyObject_CallMethod(mapping, "pop", "OO", key, Py_None);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* v + delta, as Python's ``+=`` computes it (a new reference; v's is released) */
static PyObject *
plus(PyObject *v, long delta)
{
    if (v == NULL)
        return NULL;
    PyObject *d = PyLong_FromLong(delta);
    PyObject *n = d == NULL ? NULL : PyNumber_InPlaceAdd(v, d);
    Py_DECREF(v);
    Py_XDECREF(d);
    return n;
}

/* obj.name += delta */
static int
attr_add(PyObject *obj, PyObject *name, long delta)
{
    PyObject *n = plus(PyObject_GetAttr(obj, name), delta);
    if (n == NULL)
        return -1;
    int rc = PyObject_SetAttr(obj, name, n);
    Py_DECREF(n);
    return rc;
}

/* mapping[key] += delta (a Counter's missing key counts as 0, as in Python) */
static int
item_add(PyObject *mapping, PyObject *key, long delta)
{
    PyObject *n = plus(PyObject_GetItem(mapping, key), delta);
    if (n == NULL)
        return -1;
    int rc = PyObject_SetItem(mapping, key, n);
    Py_DECREF(n);
    return rc;
}

/* Arrivals: a binary min-heap of C records ordered by (time, sequence), the sequence
 * numbering pushes in order; the same order as Python's heapq on (time, sequence, ...)
 * tuples (HeapArrivals in pump_loop.py), without a tuple, a float and an int per entry. */
typedef struct {
    double t;
    long long seq;
    PyObject *pid, *packet, *at, *hops;
    PyObject *tobj;  /* t as a float object when one exists already (the hop record's), or NULL */
} Arrival;

typedef struct {
    PyObject_HEAD
    Arrival *a;
    Py_ssize_t n, cap;
    long long next_seq;
} Arrivals;

static PyTypeObject ArrivalsType;

static inline int
arrival_lt(const Arrival *x, const Arrival *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

/* Push a record (stealing its references; tobj may be NULL). */
static int
arrivals_put(Arrivals *q, double t, PyObject *pid, PyObject *packet, PyObject *at,
             PyObject *hops, PyObject *tobj)
{
    if (q->n == q->cap) {
        Py_ssize_t cap = q->cap ? q->cap * 2 : 256;
        Arrival *grown = PyMem_Realloc(q->a, (size_t)cap * sizeof(Arrival));
        if (grown == NULL) {
            Py_DECREF(pid);
            Py_DECREF(packet);
            Py_DECREF(at);
            Py_DECREF(hops);
            Py_XDECREF(tobj);
            PyErr_NoMemory();
            return -1;
        }
        q->a = grown;
        q->cap = cap;
    }
    Arrival x = {t, q->next_seq++, pid, packet, at, hops, tobj};
    Py_ssize_t pos = q->n++;
    Arrival *arr = q->a;
    while (pos > 0) {  /* sift the new record up towards the root */
        Py_ssize_t parent = (pos - 1) >> 1;
        if (!arrival_lt(&x, &arr[parent]))
            break;
        arr[pos] = arr[parent];
        pos = parent;
    }
    arr[pos] = x;
    return 0;
}

/* Pop the first record into *out (its references pass to the caller); n > 0. */
static void
arrivals_take(Arrivals *q, Arrival *out)
{
    Arrival *arr = q->a;
    *out = arr[0];
    Arrival last = arr[--q->n];
    Py_ssize_t n = q->n, pos = 0;
    if (n == 0)
        return;
    for (;;) {  /* sift the last record down from the root */
        Py_ssize_t child = 2 * pos + 1;
        if (child >= n)
            break;
        if (child + 1 < n && arrival_lt(&arr[child + 1], &arr[child]))
            child++;
        if (!arrival_lt(&arr[child], &last))
            break;
        arr[pos] = arr[child];
        pos = child;
    }
    arr[pos] = last;
}

static PyObject *
Arrivals_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds != NULL && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "Arrivals() takes no arguments");
        return NULL;
    }
    Arrivals *q = (Arrivals *)type->tp_alloc(type, 0);
    if (q != NULL) {
        q->a = NULL;
        q->n = q->cap = 0;
        q->next_seq = 0;
    }
    return (PyObject *)q;
}

static void
Arrivals_dealloc(Arrivals *q)
{
    for (Py_ssize_t i = 0; i < q->n; i++) {
        Py_DECREF(q->a[i].pid);
        Py_DECREF(q->a[i].packet);
        Py_DECREF(q->a[i].at);
        Py_DECREF(q->a[i].hops);
        Py_XDECREF(q->a[i].tobj);
    }
    PyMem_Free(q->a);
    Py_TYPE(q)->tp_free((PyObject *)q);
}

static PyObject *
Arrivals_push(Arrivals *q, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "push(t, pid, packet, port, hops)");
        return NULL;
    }
    double t = PyFloat_AsDouble(args[0]);
    if (t == -1.0 && PyErr_Occurred())
        return NULL;
    PyObject *tobj = PyFloat_CheckExact(args[0]) ? Py_NewRef(args[0]) : NULL;
    if (arrivals_put(q, t, Py_NewRef(args[1]), Py_NewRef(args[2]), Py_NewRef(args[3]),
                     Py_NewRef(args[4]), tobj) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
Arrivals_pop(Arrivals *q, PyObject *Py_UNUSED(ignored))
{
    if (q->n == 0) {
        PyErr_SetString(PyExc_IndexError, "pop from no arrivals");
        return NULL;
    }
    Arrival x;
    arrivals_take(q, &x);
    PyObject *t = x.tobj != NULL ? x.tobj : PyFloat_FromDouble(x.t);
    if (t == NULL) {
        Py_DECREF(x.pid);
        Py_DECREF(x.packet);
        Py_DECREF(x.at);
        Py_DECREF(x.hops);
        return NULL;
    }
    return Py_BuildValue("(NNNNN)", t, x.pid, x.packet, x.at, x.hops);
}

static PyObject *
Arrivals_first(Arrivals *q, PyObject *Py_UNUSED(ignored))
{
    return PyFloat_FromDouble(q->n ? q->a[0].t : Py_HUGE_VAL);
}

static Py_ssize_t
Arrivals_len(Arrivals *q)
{
    return q->n;
}

static PyMethodDef Arrivals_methods[] = {
    {"push", (PyCFunction)(void (*)(void))Arrivals_push, METH_FASTCALL,
     "push(t, pid, packet, port, hops): an arrival at time t"},
    {"pop", (PyCFunction)Arrivals_pop, METH_NOARGS,
     "pop() -> (t, pid, packet, port, hops): the first arrival (time, then push order)"},
    {"first", (PyCFunction)Arrivals_first, METH_NOARGS,
     "first() -> the first arrival's time (inf when there is none)"},
    {NULL, NULL, 0, NULL}};

static PySequenceMethods Arrivals_as_sequence = {.sq_length = (lenfunc)Arrivals_len};

static PyTypeObject ArrivalsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ibviz.core.sim._cpump.Arrivals",
    .tp_basicsize = sizeof(Arrivals),
    .tp_dealloc = (destructor)Arrivals_dealloc,
    .tp_as_sequence = &Arrivals_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Packet arrivals in time order (ties: the order they were pushed in).",
    .tp_methods = Arrivals_methods,
    .tp_new = Arrivals_new,
};

/* HopRecord: the hop record as columns (packet id, flow id, kind code, t0, t1, and the
 * two ports as references), filled by the loop without a tuple or a float per hop; rows
 * are made only for the hops a view asks about (ibviz/core/sim/hopcolumns.py). Flow ids
 * number the flows in the order of their first hop, as HopLog's do. */
typedef struct {
    PyObject_HEAD
    Py_ssize_t n, cap;
    long long *pid;
    int *flow;
    signed char *kind;
    double *t0, *t1;
    PyObject **src, **dst;
    PyObject *ids;        /* flow name -> id (dict) */
    PyObject *names;      /* id -> flow name (list) */
    PyObject *kind_codes; /* kind name -> code (dict) */
    PyObject *kind_names; /* code -> kind name (tuple) */
} HopRecord;

static PyTypeObject HopRecordType;

static int
hops_grow(HopRecord *h)
{
    Py_ssize_t cap = h->cap ? h->cap * 2 : 4096;
    void *p;
#define GROW(field, type)                                                    \
    p = PyMem_Realloc(h->field, (size_t)cap * sizeof(type));                 \
    if (p == NULL) {                                                         \
        PyErr_NoMemory();                                                    \
        return -1;                                                           \
    }                                                                        \
    h->field = p;
    GROW(pid, long long)
    GROW(flow, int)
    GROW(kind, signed char)
    GROW(t0, double)
    GROW(t1, double)
    GROW(src, PyObject *)
    GROW(dst, PyObject *)
#undef GROW
    h->cap = cap;
    return 0;
}

/* Append one hop (the references to src and dst are taken, not stolen). */
static int
hops_add(HopRecord *h, PyObject *pid, PyObject *flow, PyObject *kind, PyObject *src,
         PyObject *dst, double t0, double t1)
{
    if (h->n == h->cap && hops_grow(h) < 0)
        return -1;
    long long p = PyLong_AsLongLong(pid);
    if (p == -1 && PyErr_Occurred())
        return -1;
    PyObject *id = PyDict_GetItemWithError(h->ids, flow);
    long fid;
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
    PyObject *code = PyDict_GetItemWithError(h->kind_codes, kind);
    if (code == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_KeyError, "unknown packet kind %R", kind);
        return -1;
    }
    Py_ssize_t i = h->n;
    h->pid[i] = p;
    h->flow[i] = (int)fid;
    h->kind[i] = (signed char)PyLong_AsLong(code);
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
    PyMem_Free(h->pid);
    PyMem_Free(h->flow);
    PyMem_Free(h->kind);
    PyMem_Free(h->t0);
    PyMem_Free(h->t1);
    PyMem_Free(h->src);
    PyMem_Free(h->dst);
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
    for (Py_ssize_t i = 0; i < h->n; i++) {
        if (i < end && !keep[i]) {
            Py_DECREF(h->src[i]);
            Py_DECREF(h->dst[i]);
            continue;
        }
        if (w != i) {
            h->pid[w] = h->pid[i];
            h->flow[w] = h->flow[i];
            h->kind[w] = h->kind[i];
            h->t0[w] = h->t0[i];
            h->t1[w] = h->t1[i];
            h->src[w] = h->src[i];
            h->dst[w] = h->dst[i];
        }
        w++;
    }
    h->n = w;
    PyBuffer_Release(&mask);
    Py_RETURN_NONE;
}

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
    {"row", (PyCFunction)HopRecord_row, METH_O, "row(i) -> (pid, flow, kind, src, dst, t0, t1)"},
    {"pid", (PyCFunction)HopRecord_pid, METH_O, "pid(i) -> the packet id of hop i"},
    {"columns", (PyCFunction)HopRecord_columns, METH_O,
     "columns(start) -> (pid, flow, kind, t0, t1) bytes of the hops from start on"},
    {"endpoints", (PyCFunction)HopRecord_endpoints, METH_O,
     "endpoints(indices) -> [(src, dst), ...]"},
    {"keep", (PyCFunction)HopRecord_keep, METH_O,
     "keep(mask bytes): keep the marked ones of the first len(mask) hops, and the rest"},
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

/* Push (t1, pid, packet, peer, after), after recording the hop
 * (pid, flow, kind, out, peer, t0, t1) when rec is not None. */
static int
emit(Arrivals *q, PyObject *rec, PyObject *pid, PyObject *packet, PyObject *flow,
     PyObject *kind, PyObject *out, PyObject *peer, PyObject *t0, double t1v,
     PyObject *after)
{
    if (Py_IS_TYPE(rec, &HopRecordType)) {
        if (hops_add((HopRecord *)rec, pid, flow, kind, out, peer, PyFloat_AS_DOUBLE(t0),
                     t1v) < 0)
            return -1;
    } else if (rec != Py_None) {
        PyObject *t1 = PyFloat_FromDouble(t1v);
        if (t1 == NULL)
            return -1;
        PyObject *row = PyTuple_Pack(7, pid, flow, kind, out, peer, t0, t1);
        Py_DECREF(t1);
        if (row == NULL)
            return -1;
        PyObject_GC_UnTrack(row);  /* immutable values only: never part of a cycle */
        int rc = PyList_Append(rec, row);
        Py_DECREF(row);
        if (rc < 0)
            return -1;
        PyObject *tobj = PyTuple_GET_ITEM(row, 6);  /* the list holds the row */
        return arrivals_put(q, t1v, Py_NewRef(pid), Py_NewRef(packet), Py_NewRef(peer),
                            Py_NewRef(after), Py_NewRef(tobj));
    }
    return arrivals_put(q, t1v, Py_NewRef(pid), Py_NewRef(packet), Py_NewRef(peer),
                        Py_NewRef(after), NULL);
}

/* A copy reaches a channel adapter: NetworkSim._receive, step for step (the receive
 * checks and the flow's hook are the simulator's own Python). */
static int
deliver(PyObject *const *rx, PyObject *counters, PyObject *live, PyObject *seen_at,
        PyObject *switch_seen, PyObject *pid, PyObject *packet, PyObject *at, PyObject *t)
{
    PyObject *check = rx[0], *handlers = rx[1], *drop = rx[2], *delivered_to = rx[3],
             *delivery_rows = rx[4];
    PyObject *flow = field(packet, F_FLOW), *reason = NULL, *seen = NULL;
    int rc = -1;
    if (flow == NULL)
        return -1;
    PyObject *ca[2] = {packet, at};
    reason = PyObject_Vectorcall(check, ca, 2, NULL);
    if (reason == NULL)
        goto done;
    seen = PyDict_GetItemWithError(seen_at, pid);
    if (seen == NULL && PyErr_Occurred())
        goto done;
    Py_XINCREF(seen);  /* the hook may change seen_at */
    if (reason == Py_None) {
        int dup = 0;
        if (seen != NULL && (dup = contains(seen, at)) < 0)
            goto done;
        if (dup) {
            PyObject *c = PyObject_GetItem(counters, flow);
            int r = c == NULL ? -1 : attr_add(c, s_duplicates, 1);
            Py_XDECREF(c);
            if (r < 0)
                goto done;
            Py_SETREF(reason, PyUnicode_FromString("duplicate"));
            if (reason == NULL)
                goto done;
        } else {
            PyObject *handler = PyDict_GetItemWithError(handlers, flow);
            if (handler == NULL && PyErr_Occurred())
                goto done;
            if (handler != NULL) {
                Py_INCREF(handler);
                PyObject *ha[3] = {pid, packet, at};
                Py_SETREF(reason, PyObject_Vectorcall(handler, ha, 3, NULL));
                Py_DECREF(handler);
                if (reason == NULL)
                    goto done;
            }
        }
    }
    if (reason != Py_None) {
        PyObject *da[4] = {pid, packet, at, reason};
        rc = call_discard(drop, da, 4);
        goto done;
    }
    PyObject *c = PyObject_GetItem(counters, flow);
    int r = c == NULL ? -1 : attr_add(c, s_delivered, 1);
    Py_XDECREF(c);
    if (r < 0)
        goto done;
    PyObject *left = PyDict_GetItemWithError(live, pid);
    if (left == NULL) {
        if (!PyErr_Occurred())
            PyErr_SetObject(PyExc_KeyError, pid);
        goto done;
    }
    left = PyNumber_Subtract(left, one);
    if (left == NULL)
        goto done;
    r = PyDict_SetItem(live, pid, left);
    int last = r < 0 ? 0 : !PyObject_IsTrue(left);
    Py_DECREF(left);
    if (r < 0)
        goto done;
    if (last) {  /* its last copy: no duplicate or loop can follow */
        if (dict_discard(seen_at, pid) < 0 || dict_discard(switch_seen, pid) < 0)
            goto done;
    } else if (seen == NULL) {
        PyObject *one_port = PySet_New(NULL);
        if (one_port == NULL || PySet_Add(one_port, at) < 0 ||
            PyDict_SetItem(seen_at, pid, one_port) < 0) {
            Py_XDECREF(one_port);
            goto done;
        }
        Py_DECREF(one_port);
    } else if (PySet_Add(seen, at) < 0)
        goto done;
    PyObject *got = PyDict_GetItemWithError(delivered_to, pid);
    if (got == NULL) {
        if (PyErr_Occurred())
            goto done;
        PyObject *list = PyList_New(1);
        if (list == NULL)
            goto done;
        PyList_SET_ITEM(list, 0, Py_NewRef(at));
        r = PyDict_SetItem(delivered_to, pid, list);
        Py_DECREF(list);
        if (r < 0)
            goto done;
    } else if (PyList_Append(got, at) < 0)
        goto done;
    PyObject *row = PyTuple_Pack(4, pid, flow, at, t);
    if (row == NULL)
        goto done;
    rc = PyList_Append(delivery_rows, row);
    Py_DECREF(row);
done:
    Py_DECREF(flow);
    Py_XDECREF(reason);
    Py_XDECREF(seen);
    return rc;
}


enum {
    A_PQ, A_EHEAP, A_ENGINE, A_FAILED, A_DOWN, A_SWITCHES, A_ROUTES, A_MCAST, A_SWITCH_SEEN,
    A_COUNTERS, A_LIVE, A_REC, A_LAT, A_PROP, A_MAX_HOPS, A_ARRIVE, A_DEPART,
    A_ROUTE, A_RECEIVE, A_SEEN_AT, A_DROP_ROWS, A_FANS, A_MCAST_END, A_ROUTERS, A_MAKE_FAN,
    A_T, A_RX, N_ARGS
};

#define FAIL goto error
#define REFRESH_LIMIT() do { if (stop_time(engine, eheap, &limit) < 0) FAIL; } while (0)

static PyObject *
run_batch(PyObject *self, PyObject *const *a, Py_ssize_t nargs)
{
    if (nargs != N_ARGS) {
        PyErr_Format(PyExc_TypeError, "run_batch takes %d arguments", N_ARGS);
        return NULL;
    }
    PyObject *eheap = a[A_EHEAP], *engine = a[A_ENGINE];
    PyObject *failed = a[A_FAILED], *down = a[A_DOWN], *switches = a[A_SWITCHES];
    PyObject *routes_by_node = a[A_ROUTES], *mcast = a[A_MCAST];
    PyObject *switch_seen = a[A_SWITCH_SEEN], *counters = a[A_COUNTERS], *live = a[A_LIVE];
    PyObject *rec = a[A_REC];
    PyObject *arrive = a[A_ARRIVE], *depart = a[A_DEPART], *route = a[A_ROUTE];
    PyObject *receive = a[A_RECEIVE], *seen_at = a[A_SEEN_AT], *drop_rows = a[A_DROP_ROWS];
    PyObject *fans = a[A_FANS], *mcast_end = a[A_MCAST_END], *routers = a[A_ROUTERS];
    PyObject *make_fan = a[A_MAKE_FAN];
    /* (check, handlers, drop, delivered_to, delivery_rows): _receive inlined; None: call
     * receive */
    PyObject *const *rx = NULL;
    if (a[A_RX] != Py_None) {
        if (!PyTuple_CheckExact(a[A_RX]) || PyTuple_GET_SIZE(a[A_RX]) != 5 ||
            !PyDict_CheckExact(PyTuple_GET_ITEM(a[A_RX], 1)) ||
            !PyDict_CheckExact(PyTuple_GET_ITEM(a[A_RX], 3)) ||
            !PyList_CheckExact(PyTuple_GET_ITEM(a[A_RX], 4))) {
            PyErr_SetString(PyExc_TypeError, "run_batch: receiving is a 5-tuple");
            return NULL;
        }
        rx = &PyTuple_GET_ITEM(a[A_RX], 0);
    }
    if (!Py_IS_TYPE(a[A_PQ], &ArrivalsType)) {
        PyErr_SetString(PyExc_TypeError, "run_batch: the arrivals must be an Arrivals");
        return NULL;
    }
    Arrivals *q = (Arrivals *)a[A_PQ];
    if (!PyList_CheckExact(eheap) || !PyDict_CheckExact(fans) ||
        !PyDict_CheckExact(mcast) || !PyDict_CheckExact(routes_by_node) ||
        !PyDict_CheckExact(switch_seen) || !PyDict_CheckExact(live) ||
        !PyList_CheckExact(drop_rows) ||
        (rec != Py_None && !PyList_CheckExact(rec) && !Py_IS_TYPE(rec, &HopRecordType))) {
        PyErr_SetString(PyExc_TypeError, "run_batch: unexpected container types");
        return NULL;
    }
    double lat = PyFloat_AsDouble(a[A_LAT]), prop = PyFloat_AsDouble(a[A_PROP]);
    long max_hops = PyLong_AsLong(a[A_MAX_HOPS]);
    if (PyErr_Occurred())
        return NULL;

    PyObject *t = a[A_T];  /* the time of the last arrival run (a strong reference) */
    Py_INCREF(t);
    Arrival x;
    int taken = 0;  /* x holds references */
    PyObject *fan = NULL, *hit = NULL, *dlid_o = NULL, *decision = NULL,
             *flow = NULL, *kind = NULL, *size_o = NULL, *t0 = NULL, *after = NULL;
    Py_ssize_t done = 0;
    double limit;
    REFRESH_LIMIT();

    while (q->n > 0) {
        if (q->a[0].t > limit)
            break;
        arrivals_take(q, &x);
        taken = 1;
        double tv = x.t;
        Py_SETREF(t, x.tobj != NULL ? x.tobj : PyFloat_FromDouble(tv));
        x.tobj = NULL;  /* t holds it now */
        if (t == NULL)
            FAIL;
        PyObject *pid = x.pid, *packet = x.packet, *at = x.at, *hops = x.hops;
        done++;
        if (!PyTuple_Check(at) || PyTuple_GET_SIZE(at) < 2) {
            PyErr_SetString(PyExc_TypeError, "an arrival's port is a (node, port) tuple");
            FAIL;
        }
        PyObject *node = PyTuple_GET_ITEM(at, 0);
        int at_ca = 0;
        int r = contains(failed, node);
        if (r < 0)
            FAIL;
        if (!r) {
            dlid_o = field(packet, F_DLID);
            if (dlid_o == NULL)
                FAIL;
            long long dlid = PyLong_AsLongLong(dlid_o);
            if (dlid == -1 && PyErr_Occurred())
                FAIL;
            if (dlid >= 0xC000 && dlid != 0xFFFF) {
                decision = PyTuple_Pack(3, node, dlid_o, PyTuple_GET_ITEM(at, 1));
                if (decision == NULL)
                    FAIL;
                fan = PyDict_GetItemWithError(fans, decision);
                if (fan == NULL && PyErr_Occurred())
                    FAIL;
                Py_XINCREF(fan);
                if (fan == NULL) {
                    r = contains(switches, node);
                    if (r < 0)
                        FAIL;
                    if (r) {
                        PyObject *outs = PyDict_GetItemWithError(mcast, decision);
                        if (outs == NULL && PyErr_Occurred())
                            FAIL;
                        if (outs != NULL) {
                            PyObject *fa[1] = {outs};
                            fan = PyObject_Vectorcall(make_fan, fa, 1, NULL);
                            if (fan == NULL || PyDict_SetItem(fans, decision, fan) < 0)
                                FAIL;
                        }
                    }
                }
                int fan_true = 0;
                if (fan != NULL && (fan_true = PyObject_IsTrue(fan)) < 0)
                    FAIL;
                if (fan_true && !PyTuple_CheckExact(fan)) {
                    PyErr_SetString(PyExc_TypeError, "a multicast fan is a tuple");
                    FAIL;
                }
                if (fan_true) {
                    PyObject *seen = PyDict_GetItemWithError(switch_seen, pid);
                    if (seen == NULL && PyErr_Occurred())
                        FAIL;
                    int loop = 0;
                    if (seen == NULL) {
                        PyObject *s = PySet_New(NULL);
                        if (s == NULL || PySet_Add(s, node) < 0 ||
                            PyDict_SetItem(switch_seen, pid, s) < 0) {
                            Py_XDECREF(s);
                            FAIL;
                        }
                        Py_DECREF(s);
                    } else {
                        r = contains(seen, node);
                        if (r < 0)
                            FAIL;
                        if (!r) {
                            if (PySet_Add(seen, node) < 0)
                                FAIL;
                        } else
                            loop = 1;
                    }
                    if (loop) {  /* a multicast copy back at a switch: _switch names it */
                        if (set_now(engine, t) < 0)
                            FAIL;
                        PyObject *aa[4] = {pid, packet, at, hops};
                        if (call_discard(arrive, aa, 4) < 0)
                            FAIL;
                        REFRESH_LIMIT();
                        goto next;
                    }
                    Py_ssize_t width = PyTuple_GET_SIZE(fan);
                    long extra = (long)width - 1;
                    if (extra) {
                        flow = field(packet, F_FLOW);
                        if (flow == NULL)
                            FAIL;
                        PyObject *c = PyObject_GetItem(counters, flow);
                        if (c == NULL)
                            FAIL;
                        int rc = attr_add(c, s_copies, extra);
                        Py_DECREF(c);
                        if (rc < 0 || item_add(live, pid, extra) < 0)
                            FAIL;
                        Py_CLEAR(flow);
                    }
                    double t0v = tv + lat;
                    t0 = PyFloat_FromDouble(t0v);
                    after = PyNumber_Add(hops, one);
                    size_o = field(packet, F_SIZE);
                    flow = field(packet, F_FLOW);
                    kind = field(packet, F_KIND);
                    if (t0 == NULL || after == NULL || size_o == NULL || flow == NULL ||
                        kind == NULL)
                        FAIL;
                    double size = as_double(size_o);
                    if (size == -1.0 && PyErr_Occurred())
                        FAIL;
                    int slow = 0;
                    for (Py_ssize_t i = 0; i < width; i++) {
                        PyObject *pair = PyTuple_GET_ITEM(fan, i);
                        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
                            !(PyTuple_GET_ITEM(pair, 1) == Py_None ||
                              (PyTuple_Check(PyTuple_GET_ITEM(pair, 1)) &&
                               PyTuple_GET_SIZE(PyTuple_GET_ITEM(pair, 1)) == 4))) {
                            PyErr_SetString(PyExc_TypeError,
                                            "a fan holds (port, cable 4-tuple or None)");
                            FAIL;
                        }
                        PyObject *out = PyTuple_GET_ITEM(pair, 0);
                        PyObject *wire = PyTuple_GET_ITEM(pair, 1);
                        int dead = wire == Py_None;
                        if (!dead) {
                            dead = contains(down, PyTuple_GET_ITEM(wire, 2));
                            if (dead < 0)
                                FAIL;
                            if (!dead) {
                                dead = contains(failed,
                                                PyTuple_GET_ITEM(PyTuple_GET_ITEM(wire, 1), 0));
                                if (dead < 0)
                                    FAIL;
                            }
                        }
                        if (dead) {  /* _depart names the drop */
                            if (set_now(engine, t) < 0)
                                FAIL;
                            PyObject *da[5] = {pid, packet, out, t0, hops};
                            if (call_discard(depart, da, 5) < 0)
                                FAIL;
                            slow = 1;
                            continue;
                        }
                        double upb = as_double(PyTuple_GET_ITEM(wire, 3));
                        if (upb == -1.0 && PyErr_Occurred())
                            FAIL;
                        double t1v = t0v + size * upb;
                        t1v = t1v + prop;
                        if (emit(q, rec, pid, packet, flow, kind, out,
                                 PyTuple_GET_ITEM(wire, 1), t0, t1v, after) < 0)
                            FAIL;
                    }
                    if (slow)
                        REFRESH_LIMIT();
                    goto next;
                }
                if (fan != NULL) {  /* cached: the tree ends here (a drop) */
                    flow = field(packet, F_FLOW);
                    if (flow == NULL)
                        FAIL;
                    PyObject *reason = PyDict_GetItemWithError(mcast_end, decision);
                    if (reason == NULL) {
                        if (!PyErr_Occurred())
                            PyErr_SetObject(PyExc_KeyError, decision);
                        FAIL;
                    }
                    Py_INCREF(reason);
                    PyObject *c = PyObject_GetItem(counters, flow);
                    PyObject *dropped = c ? PyObject_GetAttr(c, s_dropped) : NULL;
                    Py_XDECREF(c);
                    int rc = dropped ? item_add(dropped, reason, 1) : -1;
                    Py_XDECREF(dropped);
                    if (rc < 0) {
                        Py_DECREF(reason);
                        FAIL;
                    }
                    PyObject *left_o = PyDict_GetItemWithError(live, pid);
                    if (left_o == NULL) {
                        if (!PyErr_Occurred())
                            PyErr_SetObject(PyExc_KeyError, pid);
                        Py_DECREF(reason);
                        FAIL;
                    }
                    PyObject *left = PyNumber_Subtract(left_o, one);
                    if (left == NULL || PyDict_SetItem(live, pid, left) < 0) {
                        Py_XDECREF(left);
                        Py_DECREF(reason);
                        FAIL;
                    }
                    int zero = !PyObject_IsTrue(left);
                    Py_DECREF(left);
                    if (zero) {
                        if (dict_discard(seen_at, pid) < 0 ||
                            dict_discard(switch_seen, pid) < 0) {
                            Py_DECREF(reason);
                            FAIL;
                        }
                    }
                    PyObject *row = PyTuple_Pack(5, t, at, pid, flow, reason);
                    Py_DECREF(reason);
                    if (row != NULL)
                        PyObject_GC_UnTrack(row);  /* immutable values: no cycle */
                    if (row == NULL || PyList_Append(drop_rows, row) < 0) {
                        Py_XDECREF(row);
                        FAIL;
                    }
                    Py_DECREF(row);
                    goto next;
                }
                r = contains(switches, node);
                if (r < 0)
                    FAIL;
                if (!r) {
                    r = contains(routers, node);
                    if (r < 0)
                        FAIL;
                    at_ca = !r;
                }
            } else {
                PyObject *routes = PyDict_GetItemWithError(routes_by_node, node);
                if (routes == NULL && PyErr_Occurred())
                    FAIL;
                if (routes == NULL) {
                    r = contains(switches, node);
                    if (r < 0)
                        FAIL;
                    if (r) {
                        PyObject *d = PyDict_New();
                        if (d == NULL || PyDict_SetItem(routes_by_node, node, d) < 0) {
                            Py_XDECREF(d);
                            FAIL;
                        }
                        routes = d;
                        Py_DECREF(d);  /* the dict of routes holds it */
                    }
                }
                if (routes != NULL) {
                    long long h = PyLong_AsLongLong(hops);
                    if (h == -1 && PyErr_Occurred())
                        FAIL;
                    if (0 < dlid && dlid < 0xC000 && h <= max_hops) {
                        hit = PyDict_GetItemWithError(routes, dlid_o);
                        if (hit == NULL && PyErr_Occurred())
                            FAIL;
                        Py_XINCREF(hit);
                        if (hit == NULL) {
                            Py_INCREF(routes);  /* route() may clear the caches */
                            PyObject *ra[2] = {node, dlid_o};
                            hit = PyObject_Vectorcall(route, ra, 2, NULL);
                            int rc = hit == NULL ? -1 : PyDict_SetItem(routes, dlid_o, hit);
                            Py_DECREF(routes);
                            if (rc < 0)
                                FAIL;
                        }
                        if (hit != Py_None &&
                            (!PyTuple_Check(hit) || PyTuple_GET_SIZE(hit) != 4)) {
                            PyErr_SetString(PyExc_TypeError, "a route is a cable 4-tuple");
                            FAIL;
                        }
                        if (hit != Py_None) {
                            PyObject *out = PyTuple_GET_ITEM(hit, 0);
                            PyObject *peer = PyTuple_GET_ITEM(hit, 1);
                            r = contains(down, PyTuple_GET_ITEM(hit, 2));
                            if (r < 0)
                                FAIL;
                            if (!r) {
                                r = contains(failed, PyTuple_GET_ITEM(peer, 0));
                                if (r < 0)
                                    FAIL;
                            }
                            if (!r) {
                                double upb = as_double(PyTuple_GET_ITEM(hit, 3));
                                size_o = field(packet, F_SIZE);
                                if (size_o == NULL)
                                    FAIL;
                                double size = as_double(size_o);
                                if ((upb == -1.0 || size == -1.0) && PyErr_Occurred())
                                    FAIL;
                                double t0v = tv + lat;
                                double t1v = t0v + size * upb;
                                t1v = t1v + prop;
                                after = PyNumber_Add(hops, one);
                                if (after == NULL)
                                    FAIL;
                                if (rec != Py_None) {  /* t0, flow, kind: the record's */
                                    t0 = PyFloat_FromDouble(t0v);
                                    if (t0 == NULL)
                                        FAIL;
                                    flow = field(packet, F_FLOW);
                                    kind = field(packet, F_KIND);
                                    if (flow == NULL || kind == NULL)
                                        FAIL;
                                }
                                if (emit(q, rec, pid, packet, flow, kind, out, peer, t0,
                                         t1v, after) < 0)
                                    FAIL;
                                goto next;
                            }
                        }
                    }
                } else {
                    r = contains(routers, node);
                    if (r < 0)
                        FAIL;
                    at_ca = !r;
                }
            }
        }
        /* everything not inlined: the simulator's own methods */
        if (set_now(engine, t) < 0)
            FAIL;
        if (at_ca && rx != NULL) {
            if (deliver(rx, counters, live, seen_at, switch_seen, pid, packet, at, t) < 0)
                FAIL;
        } else if (at_ca) {
            PyObject *ra[3] = {pid, packet, at};
            if (call_discard(receive, ra, 3) < 0)
                FAIL;
        } else {
            PyObject *aa[4] = {pid, packet, at, hops};
            if (call_discard(arrive, aa, 4) < 0)
                FAIL;
        }
        REFRESH_LIMIT();
    next:
        Py_DECREF(x.pid);
        Py_DECREF(x.packet);
        Py_DECREF(x.at);
        Py_DECREF(x.hops);
        taken = 0;
        Py_CLEAR(fan);
        Py_CLEAR(hit);
        Py_CLEAR(dlid_o);
        Py_CLEAR(decision);
        Py_CLEAR(flow);
        Py_CLEAR(kind);
        Py_CLEAR(size_o);
        Py_CLEAR(t0);
        Py_CLEAR(after);
    }
    PyObject *res = Py_BuildValue("(Nn)", t, done);
    return res;

error:
    if (taken) {
        Py_DECREF(x.pid);
        Py_DECREF(x.packet);
        Py_DECREF(x.at);
        Py_DECREF(x.hops);
    }
    Py_XDECREF(fan);
    Py_XDECREF(hit);
    Py_XDECREF(dlid_o);
    Py_XDECREF(decision);
    Py_XDECREF(flow);
    Py_XDECREF(kind);
    Py_XDECREF(size_o);
    Py_XDECREF(t0);
    Py_XDECREF(after);
    Py_XDECREF(t);
    return NULL;
}

static PyMethodDef methods[] = {
    {"run_batch", (PyCFunction)(void (*)(void))run_batch, METH_FASTCALL,
     "run_batch(arrivals, engine_heap, engine, failed, down, switches, routes, mcast, "
     "switch_seen, counters, live, hop_rows, lat, prop, max_hops, arrive, "
     "depart, route, receive, seen_at, drop_rows, fans, mcast_end, routers, make_fan, t, "
     "receiving)"
     " -> (t, arrivals run): see ibviz.core.sim.pump_loop.run_batch."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cpump",
                                    "The packet simulator's hop loop, compiled.", -1,
                                    methods};

PyMODINIT_FUNC
PyInit__cpump(void)
{
    one = PyLong_FromLong(1);
    s_delivered = PyUnicode_InternFromString("delivered");
    s_duplicates = PyUnicode_InternFromString("duplicates");
    if (!s_delivered || !s_duplicates)
        return NULL;
    s_now = PyUnicode_InternFromString("now");
    s_limit = PyUnicode_InternFromString("limit");
    s_dlid = PyUnicode_InternFromString("dlid");
    s_flow = PyUnicode_InternFromString("flow");
    s_size = PyUnicode_InternFromString("size");
    s_kind = PyUnicode_InternFromString("kind");
    s_copies = PyUnicode_InternFromString("copies");
    s_dropped = PyUnicode_InternFromString("dropped");
    field_names[F_DLID] = s_dlid;
    field_names[F_FLOW] = s_flow;
    field_names[F_SIZE] = s_size;
    field_names[F_KIND] = s_kind;
    if (!one || !s_now || !s_limit || !s_dlid || !s_flow || !s_size || !s_kind || !s_copies ||
        !s_dropped)
        return NULL;
    if (PyType_Ready(&ArrivalsType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyType_Ready(&HopRecordType) < 0 ||
        PyModule_AddObjectRef(m, "HopRecord", (PyObject *)&HopRecordType) < 0 ||
        PyModule_AddObjectRef(m, "Arrivals", (PyObject *)&ArrivalsType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
