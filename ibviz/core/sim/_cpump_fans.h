/* _cpump.FanCache: the compiled loop's cache of multicast decisions, by arrival port
 * object and DLID. Included once, by _cpump.c.
 *
 * The Python loop keeps ``fans`` as a dict keyed by (switch, DLID, in-port) tuples; the
 * compiled loop asked that dict once per multicast hop, making and hashing a tuple each
 * time. This table is keyed by the port object an arrival carries (the simulator's
 * cached cable ends: the same object for a port while its tables stand) and the DLID, as
 * C values: one multiply and a compare. A port reached through another object of equal
 * value only misses, and the loop makes its fan again from the same tables (equal). The
 * simulator clears it with the other caches whenever a table or a port state changes;
 * it holds at most MAX_FANS entries (then starts again empty). */
#ifndef IBVIZ_CPUMP_FANS_H
#define IBVIZ_CPUMP_FANS_H

#define MAX_FANS (1 << 21)

typedef struct {
    PyObject *at;  /* NULL: empty slot */
    long long dlid;
    PyObject *fan;
} FanSlot;

typedef struct {
    PyObject_HEAD
    FanSlot *slots;
    Py_ssize_t cap, n;  /* cap: a power of two, or 0 */
} FanCache;

static PyTypeObject FanCacheType;

static inline size_t
fan_hash(PyObject *at, long long dlid)
{
    uint64_t h = ((uint64_t)(uintptr_t)at >> 4) * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)dlid * 0xC2B2AE3D27D4EB4FULL;
    return (size_t)(h ^ (h >> 29));
}

/* The cached fan (borrowed), or NULL (no error is set). */
static inline PyObject *
fans_get(FanCache *c, PyObject *at, long long dlid)
{
    if (!c->cap)
        return NULL;
    size_t mask = (size_t)c->cap - 1;
    for (size_t i = fan_hash(at, dlid) & mask;; i = (i + 1) & mask) {
        FanSlot *s = &c->slots[i];
        if (s->at == NULL)
            return NULL;
        if (s->at == at && s->dlid == dlid)
            return s->fan;
    }
}

static void
fans_clear(FanCache *c)
{
    for (Py_ssize_t i = 0; i < c->cap; i++)
        if (c->slots[i].at != NULL) {
            Py_CLEAR(c->slots[i].at);
            Py_CLEAR(c->slots[i].fan);
        }
    c->n = 0;
}

static int
fans_grow(FanCache *c)
{
    Py_ssize_t cap = c->cap ? c->cap * 2 : 1024;
    FanSlot *slots = PyMem_Calloc((size_t)cap, sizeof(FanSlot));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = (size_t)cap - 1;
    for (Py_ssize_t k = 0; k < c->cap; k++) {
        FanSlot *s = &c->slots[k];
        if (s->at == NULL)
            continue;
        size_t i = fan_hash(s->at, s->dlid) & mask;
        while (slots[i].at != NULL)
            i = (i + 1) & mask;
        slots[i] = *s;
    }
    PyMem_Free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return 0;
}

/* Remember fan for (at, dlid), which is not cached (new references are taken). */
static int
fans_put(FanCache *c, PyObject *at, long long dlid, PyObject *fan)
{
    if (c->n >= MAX_FANS)
        fans_clear(c);
    if (2 * (c->n + 1) > c->cap && fans_grow(c) < 0)
        return -1;
    size_t mask = (size_t)c->cap - 1, i = fan_hash(at, dlid) & mask;
    while (c->slots[i].at != NULL)
        i = (i + 1) & mask;
    c->slots[i] = (FanSlot){Py_NewRef(at), dlid, Py_NewRef(fan)};
    c->n++;
    return 0;
}

static PyObject *
FanCache_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    if (PyTuple_GET_SIZE(args) || (kwds != NULL && PyDict_GET_SIZE(kwds))) {
        PyErr_SetString(PyExc_TypeError, "FanCache() takes no arguments");
        return NULL;
    }
    return type->tp_alloc(type, 0);
}

static void
FanCache_dealloc(FanCache *c)
{
    fans_clear(c);
    PyMem_Free(c->slots);
    Py_TYPE(c)->tp_free((PyObject *)c);
}

static Py_ssize_t
FanCache_len(FanCache *c)
{
    return c->n;
}

static PyObject *
FanCache_clear(FanCache *c, PyObject *Py_UNUSED(ignored))
{
    fans_clear(c);
    Py_RETURN_NONE;
}

/* get(at, dlid) -> the cached fan or None (for tests) */
static PyObject *
FanCache_get(FanCache *c, PyObject *const *a, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "get(at, dlid)");
        return NULL;
    }
    long long dlid = PyLong_AsLongLong(a[1]);
    if (dlid == -1 && PyErr_Occurred())
        return NULL;
    PyObject *fan = fans_get(c, a[0], dlid);
    return Py_NewRef(fan != NULL ? fan : Py_None);
}

static PyMethodDef FanCache_methods[] = {
    {"clear", (PyCFunction)FanCache_clear, METH_NOARGS, "forget every decision"},
    {"get", (PyCFunction)(void (*)(void))FanCache_get, METH_FASTCALL,
     "get(at, dlid) -> the fan cached for this port object and DLID, or None"},
    {NULL, NULL, 0, NULL}};

static PySequenceMethods FanCache_as_sequence = {.sq_length = (lenfunc)FanCache_len};

static PyTypeObject FanCacheType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "ibviz.core.sim._cpump.FanCache",
    .tp_basicsize = sizeof(FanCache),
    .tp_dealloc = (destructor)FanCache_dealloc,
    .tp_as_sequence = &FanCache_as_sequence,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The compiled loop's multicast decisions by port object and DLID.",
    .tp_methods = FanCache_methods,
    .tp_new = FanCache_new,
};

#endif /* IBVIZ_CPUMP_FANS_H */
