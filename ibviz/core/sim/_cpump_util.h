/* _cpump's shared names and small helpers: interned attribute names, a packet's slots, set membership, the engine's stop time, += on attributes and items. Included once, by _cpump.c. */
#ifndef IBVIZ_CPUMP_UTIL_H
#define IBVIZ_CPUMP_UTIL_H

static PyObject *one;
static PyObject *s_delivered, *s_duplicates;
static PyObject *s_now, *s_limit, *s_dlid, *s_flow, *s_size, *s_kind, *s_copies,
    *s_dropped;

/* A packet's fields: read from its slots directly when its class keeps them in plain
 * slots (DataPacket, a slots dataclass), else by attribute lookup. */
enum { F_DLID, F_FLOW, F_SIZE, F_KIND, F_TRANSPORT, F_DEST_QP, F_HAS_GRH, N_FIELDS };
static PyObject *field_names[N_FIELDS];
static PyTypeObject *slots_type;  /* the class whose slot offsets are known (strong) */
static PyTypeObject *lookup_type;  /* the last class found not to keep them so (strong) */
static Py_ssize_t slot_offsets[N_FIELDS];

/* The offset of a plain (writable, object) __slots__ member's descriptor, 0 for any
 * other attribute. */
static Py_ssize_t
plain_member_offset(PyObject *descr)
{
    if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type))
        return 0;
    PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
    return m->type == T_OBJECT_EX && !(m->flags & READONLY) ? m->offset : 0;
}

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
        offsets[i] = plain_member_offset(d);
        Py_DECREF(d);
        if (!offsets[i]) {
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

/* Where (type, name) keeps its value in a plain slot (a __slots__ member, as in the
 * simulator's Counters and the Engine): its offset, learned once per pair; 0: not so. */
#define SLOT_CACHE 8
static struct {
    PyTypeObject *type;  /* strong */
    PyObject *name;      /* strong */
    unsigned int version;  /* the type's version tag then: a changed type asks again */
    Py_ssize_t offset;
} slot_cache[SLOT_CACHE];
static int slot_cache_next;

static Py_ssize_t
plain_slot(PyTypeObject *tp, PyObject *name)
{
    for (int i = 0; i < SLOT_CACHE; i++)
        if (slot_cache[i].type == tp && slot_cache[i].name == name &&
            slot_cache[i].version == tp->tp_version_tag && tp->tp_version_tag != 0)
            return slot_cache[i].offset;
    /* borrowed; the lookup gives tp a version tag */
    Py_ssize_t offset = plain_member_offset(_PyType_Lookup(tp, name));
    int i = slot_cache_next;
    slot_cache_next = (i + 1) % SLOT_CACHE;
    Py_XSETREF(slot_cache[i].type, (PyTypeObject *)Py_NewRef(tp));
    Py_XSETREF(slot_cache[i].name, Py_NewRef(name));
    slot_cache[i].version = tp->tp_version_tag;
    slot_cache[i].offset = offset;
    return offset;
}

/* obj.name += delta */
static int
attr_add(PyObject *obj, PyObject *name, long delta)
{
    Py_ssize_t offset = PyUnicode_CheckExact(name) ? plain_slot(Py_TYPE(obj), name) : 0;
    if (offset) {  /* an int in a plain slot: added in place of the attribute protocol */
        PyObject **slot = (PyObject **)((char *)obj + offset), *old = *slot;
        if (old != NULL && PyLong_CheckExact(old)) {
            int overflow;
            long long v = PyLong_AsLongLongAndOverflow(old, &overflow);
            if (!overflow && v < LLONG_MAX / 2 && v > LLONG_MIN / 2) {
                PyObject *n = PyLong_FromLongLong(v + delta);
                if (n == NULL)
                    return -1;
                Py_SETREF(*slot, n);
                return 0;
            }
        }
    }
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

#endif /* IBVIZ_CPUMP_UTIL_H */
