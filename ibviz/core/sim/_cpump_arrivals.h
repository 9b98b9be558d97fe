/* _cpump.Arrivals: packet arrivals in a heap of C records. Included once, by _cpump.c. */
#ifndef IBVIZ_CPUMP_ARRIVALS_H
#define IBVIZ_CPUMP_ARRIVALS_H

/* Arrivals: a binary min-heap of C records ordered by (time, sequence), the sequence
 * numbering pushes in order; the same order as Python's heapq on (time, sequence, ...)
 * tuples (HeapArrivals in pump_loop.py), without a tuple, a float and an int per entry. */
typedef struct {
    double t;
    long long seq;
    PyObject *pid, *packet, *at, *hops;
    PyObject *tobj;  /* t as the float object a Python caller pushed, or NULL */
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

/* The first arrival's time (infinity when there is none). */
static inline double
arrivals_first(Arrivals *q)
{
    return q->n ? q->a[0].t : Py_HUGE_VAL;
}

static PyObject *
Arrivals_first(Arrivals *q, PyObject *Py_UNUSED(ignored))
{
    return PyFloat_FromDouble(arrivals_first(q));
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

#endif /* IBVIZ_CPUMP_ARRIVALS_H */
