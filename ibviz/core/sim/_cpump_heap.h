/* The engine's heap, pushed and popped here: heapq's algorithm (CPython's
 * _heapqmodule.c, siftdown and the bottom-up siftup) on the same list of
 * (time, priority, sequence, action, args) tuples, with the comparison of two entries
 * made on their C values where the time is a float and priority and sequence are ints
 * (what Engine.at and Engine.push make), and by Python's tuple comparison otherwise.
 * The order is Python's: heapq on the same list pops the same entries. Included once,
 * by _cpump.c. */
#ifndef IBVIZ_CPUMP_HEAP_H
#define IBVIZ_CPUMP_HEAP_H

/* -1: not comparable here (ask Python); else a < b for two ints */
static inline int
ints_lt(PyObject *a, PyObject *b, int *equal)
{
    if (!PyLong_CheckExact(a) || !PyLong_CheckExact(b))
        return -1;
    int oa, ob;
    long long x = PyLong_AsLongLongAndOverflow(a, &oa);
    long long y = PyLong_AsLongLongAndOverflow(b, &ob);
    if (oa || ob)
        return -1;
    *equal = x == y;
    return x < y;
}

/* a < b for two engine entries, as Python's tuple comparison answers; -1 on an error */
static int
entry_lt(PyObject *a, PyObject *b)
{
    if (PyTuple_CheckExact(a) && PyTuple_CheckExact(b) && PyTuple_GET_SIZE(a) >= 3 &&
        PyTuple_GET_SIZE(b) >= 3) {
        PyObject *a0 = PyTuple_GET_ITEM(a, 0), *b0 = PyTuple_GET_ITEM(b, 0);
        if (PyFloat_CheckExact(a0) && PyFloat_CheckExact(b0)) {
            double x = PyFloat_AS_DOUBLE(a0), y = PyFloat_AS_DOUBLE(b0);
            if (x < y)
                return 1;
            if (y < x)
                return 0;
            if (x == y) {  /* NaN: Python's rules */
                for (int i = 1; i < 3; i++) {
                    int equal = 0;
                    int lt = ints_lt(PyTuple_GET_ITEM(a, i), PyTuple_GET_ITEM(b, i), &equal);
                    if (lt < 0)
                        break;
                    if (!equal)
                        return lt;
                }  /* the same sequence twice: Python compares the rest */
            }
        }
    }
    return PyObject_RichCompareBool(a, b, Py_LT);
}

static int
heap_siftdown(PyObject *heap, Py_ssize_t startpos, Py_ssize_t pos)
{
    Py_ssize_t size = PyList_GET_SIZE(heap);
    PyObject **arr = ((PyListObject *)heap)->ob_item;
    PyObject *newitem = arr[pos];
    while (pos > startpos) {
        Py_ssize_t parentpos = (pos - 1) >> 1;
        PyObject *parent = arr[parentpos];
        Py_INCREF(newitem);
        Py_INCREF(parent);
        int cmp = entry_lt(newitem, parent);
        Py_DECREF(parent);
        Py_DECREF(newitem);
        if (cmp < 0)
            return -1;
        if (size != PyList_GET_SIZE(heap)) {
            PyErr_SetString(PyExc_RuntimeError, "list changed size during iteration");
            return -1;
        }
        if (cmp == 0)
            break;
        arr = ((PyListObject *)heap)->ob_item;
        parent = arr[parentpos];
        newitem = arr[pos];
        arr[parentpos] = newitem;
        arr[pos] = parent;
        pos = parentpos;
    }
    return 0;
}

static int
heap_siftup(PyObject *heap, Py_ssize_t pos)
{
    Py_ssize_t endpos = PyList_GET_SIZE(heap), startpos = pos, limit = endpos >> 1;
    PyObject **arr = ((PyListObject *)heap)->ob_item;
    while (pos < limit) {  /* the smaller child up, to a leaf */
        Py_ssize_t childpos = 2 * pos + 1;
        if (childpos + 1 < endpos) {
            PyObject *a = arr[childpos], *b = arr[childpos + 1];
            Py_INCREF(a);
            Py_INCREF(b);
            int cmp = entry_lt(a, b);
            Py_DECREF(a);
            Py_DECREF(b);
            if (cmp < 0)
                return -1;
            childpos += ((unsigned)cmp ^ 1);
            arr = ((PyListObject *)heap)->ob_item;
            if (endpos != PyList_GET_SIZE(heap)) {
                PyErr_SetString(PyExc_RuntimeError, "list changed size during iteration");
                return -1;
            }
        }
        PyObject *tmp1 = arr[childpos], *tmp2 = arr[pos];
        arr[childpos] = tmp2;
        arr[pos] = tmp1;
        pos = childpos;
    }
    return heap_siftdown(heap, startpos, pos);
}

/* heapq.heappush(heap, item) */
static int
heap_push(PyObject *heap, PyObject *item)
{
    if (PyList_Append(heap, item) < 0)
        return -1;
    return heap_siftdown(heap, 0, PyList_GET_SIZE(heap) - 1);
}

/* heapq.heappop(heap) (a new reference; the heap is not empty) */
static PyObject *
heap_pop(PyObject *heap)
{
    Py_ssize_t n = PyList_GET_SIZE(heap);
    PyObject *last = PyList_GET_ITEM(heap, n - 1);
    Py_INCREF(last);
    if (PyList_SetSlice(heap, n - 1, n, NULL) < 0) {
        Py_DECREF(last);
        return NULL;
    }
    if (n == 1)
        return last;
    PyObject *first = PyList_GET_ITEM(heap, 0);
    PyList_SET_ITEM(heap, 0, last);  /* the list's reference to first passes to us */
    if (heap_siftup(heap, 0) < 0) {
        Py_DECREF(first);
        return NULL;
    }
    return first;
}

/* The module's heappush(heap, entry) and heappop(heap) (for tests) */
static PyObject *
py_heappush(PyObject *self, PyObject *const *a, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyList_CheckExact(a[0])) {
        PyErr_SetString(PyExc_TypeError, "heappush(list, entry)");
        return NULL;
    }
    if (heap_push(a[0], a[1]) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
py_heappop(PyObject *self, PyObject *heap)
{
    if (!PyList_CheckExact(heap)) {
        PyErr_SetString(PyExc_TypeError, "heappop(list)");
        return NULL;
    }
    if (PyList_GET_SIZE(heap) == 0) {
        PyErr_SetString(PyExc_IndexError, "index out of range");
        return NULL;
    }
    return heap_pop(heap);
}

#endif /* IBVIZ_CPUMP_HEAP_H */
