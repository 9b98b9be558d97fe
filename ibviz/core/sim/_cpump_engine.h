/* Engine.run's loop, compiled, for an engine whose simulator runs the compiled hop loop:
 * the same steps as ibviz/core/sim/engine.py's Engine.run (pop in (time, priority,
 * sequence) order with heapq's algorithm, _cpump_heap.h; skip cancelled events, set the
 * clock, call the action),
 * except that an event that is the simulator's own bound ``_pump`` takes
 * ibviz/core/sim/batch.py's Batch._pump steps here, statement for statement, calling the
 * batch without going back to Python. Included once, by _cpump.c, after batch(). */
#ifndef IBVIZ_CPUMP_ENGINE_H
#define IBVIZ_CPUMP_ENGINE_H

static PyObject *s_heap, *s_cancelled, *s_events_run, *s_seq, *s_pump_at, *s_bargs,
    *s_batch_args, *s_lat, *s_prop, *minus_inf, *plus_inf, *zero, *empty;

static int
engine_names_init(void)
{
    s_heap = PyUnicode_InternFromString("_heap");
    s_cancelled = PyUnicode_InternFromString("_cancelled");
    s_events_run = PyUnicode_InternFromString("events_run");
    s_seq = PyUnicode_InternFromString("_seq");
    s_pump_at = PyUnicode_InternFromString("_pump_at");
    s_bargs = PyUnicode_InternFromString("_bargs");
    s_batch_args = PyUnicode_InternFromString("_batch_args");
    s_lat = PyUnicode_InternFromString("switch_latency_us");
    s_prop = PyUnicode_InternFromString("propagation_us");
    minus_inf = PyFloat_FromDouble(-Py_HUGE_VAL);
    plus_inf = PyFloat_FromDouble(Py_HUGE_VAL);
    zero = PyLong_FromLong(0);
    empty = PyTuple_New(0);
    return (s_heap && s_cancelled && s_events_run && s_seq && s_pump_at && s_bargs &&
            s_batch_args && s_lat && s_prop && minus_inf && plus_inf && zero && empty)
               ? 0 : -1;
}

/* Batch._pump for the event ``action`` (the simulator's bound _pump) of ``engine``. */
static int
inline_pump(PyObject *engine, PyObject *heap, PyObject *net, PyObject *action)
{
    if (PyObject_SetAttr(net, s_pump_at, minus_inf) < 0)
        return -1;
    PyObject *args = PyObject_GetAttr(net, s_bargs);
    if (args == Py_None) {
        Py_DECREF(args);
        args = PyObject_CallMethodNoArgs(net, s_batch_args);
    }
    if (args == NULL)
        return -1;
    if (!PyList_CheckExact(args) || PyList_GET_SIZE(args) != N_ARGS) {
        PyErr_SetString(PyExc_TypeError, "the batch arguments are a list of run_batch's");
        Py_DECREF(args);
        return -1;
    }
    /* args[A_T] = engine.now; args[A_LAT], args[A_PROP] = the simulator's timings */
    PyObject **item = ((PyListObject *)args)->ob_item;
    PyObject *now = PyObject_GetAttr(engine, s_now);
    PyObject *lat = now == NULL ? NULL : PyObject_GetAttr(net, s_lat);
    PyObject *prop = lat == NULL ? NULL : PyObject_GetAttr(net, s_prop);
    if (prop == NULL) {
        Py_XDECREF(now);
        Py_XDECREF(lat);
        Py_DECREF(args);
        return -1;
    }
    Py_SETREF(item[A_T], now);
    Py_SETREF(item[A_LAT], lat);
    Py_SETREF(item[A_PROP], prop);
    PyObject *res = batch(item);
    double first = arrivals_first((Arrivals *)item[A_PQ]);
    Py_DECREF(args);
    if (res == NULL)
        return -1;
    /* engine.now = t; engine.events_run += done - 1 */
    int r = PyObject_SetAttr(engine, s_now, PyTuple_GET_ITEM(res, 0));
    Py_ssize_t done = PyLong_AsSsize_t(PyTuple_GET_ITEM(res, 1));
    Py_DECREF(res);
    if (r < 0 || (done == -1 && PyErr_Occurred()) ||
        attr_add(engine, s_events_run, done - 1) < 0)
        return -1;
    /* self._pump_at = first = self._pq.first() */
    PyObject *first_o = PyFloat_FromDouble(first);
    if (first_o == NULL)
        return -1;
    if (PyObject_SetAttr(net, s_pump_at, first_o) < 0) {
        Py_DECREF(first_o);
        return -1;
    }
    if (first == Py_HUGE_VAL) {
        Py_DECREF(first_o);
        return 0;
    }
    /* engine.push(first, self._pump, ()) */
    PyObject *seq = PyObject_GetAttr(engine, s_seq);
    if (seq == NULL) {
        Py_DECREF(first_o);
        return -1;
    }
    PyObject *entry = PyTuple_Pack(5, first_o, zero, seq, action, empty);
    Py_DECREF(first_o);
    if (entry == NULL || attr_add(engine, s_seq, 1) < 0) {
        Py_DECREF(seq);
        Py_XDECREF(entry);
        return -1;
    }
    Py_DECREF(seq);
    int pushed = heap_push(heap, entry);
    Py_DECREF(entry);
    return pushed;
}

/* run_engine(engine, limit, pump, simulator): see the top of this file. */
static PyObject *
run_engine(PyObject *self, PyObject *const *a, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "run_engine takes 4 arguments");
        return NULL;
    }
    PyObject *engine = a[0], *limit_o = a[1], *pump = a[2], *net = a[3];
    double limit = as_double(limit_o);
    if (limit == -1.0 && PyErr_Occurred())
        return NULL;
    PyObject *heap = PyObject_GetAttr(engine, s_heap);
    PyObject *cancelled = heap == NULL ? NULL : PyObject_GetAttr(engine, s_cancelled);
    if (cancelled == NULL || !PyList_CheckExact(heap) || !PyAnySet_Check(cancelled)) {
        if (cancelled != NULL)
            PyErr_SetString(PyExc_TypeError, "run_engine: unexpected engine containers");
        Py_XDECREF(heap);
        Py_XDECREF(cancelled);
        return NULL;
    }
    Py_ssize_t done = 0;
    int failed = PyObject_SetAttr(engine, s_limit, limit_o) < 0;
    while (!failed && PyList_GET_SIZE(heap) > 0) {
        PyObject *top = PyList_GET_ITEM(heap, 0);
        if (!PyTuple_Check(top) || PyTuple_GET_SIZE(top) != 5) {
            PyErr_SetString(PyExc_TypeError, "engine heap entries are 5-tuples");
            failed = 1;
            break;
        }
        double when = as_double(PyTuple_GET_ITEM(top, 0));
        if (when == -1.0 && PyErr_Occurred()) {
            failed = 1;
            break;
        }
        if (!(when <= limit))
            break;
        PyObject *e = heap_pop(heap);
        if (e == NULL) {
            failed = 1;
            break;
        }
        PyObject *seq = PyTuple_GET_ITEM(e, 2), *action = PyTuple_GET_ITEM(e, 3);
        if (PySet_GET_SIZE(cancelled)) {
            int r = PySet_Contains(cancelled, seq);
            if (r > 0)
                r = PySet_Discard(cancelled, seq) < 0 ? -1 : 1;
            if (r != 0) {
                Py_DECREF(e);
                if (r < 0)
                    failed = 1;
                continue;
            }
        }
        if (PyObject_SetAttr(engine, s_now, PyTuple_GET_ITEM(e, 0)) < 0) {
            Py_DECREF(e);
            failed = 1;
            break;
        }
        done++;
        if (PyMethod_Check(action) && PyMethod_GET_FUNCTION(action) == pump &&
            PyMethod_GET_SELF(action) == net) {
            failed = inline_pump(engine, heap, net, action) < 0;
        } else {
            PyObject *args = PyTuple_GET_ITEM(e, 4);
            PyObject *r = PyTuple_CheckExact(args) ? PyObject_Call(action, args, NULL)
                                                   : NULL;
            if (r == NULL && !PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "an engine event's arguments are a tuple");
            failed = r == NULL;
            Py_XDECREF(r);
        }
        Py_DECREF(e);
    }
    Py_DECREF(heap);
    Py_DECREF(cancelled);
    /* finally: engine.limit = INF; engine.events_run += done */
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    int ok = PyObject_SetAttr(engine, s_limit, plus_inf) == 0 &&
             attr_add(engine, s_events_run, done) == 0;
    if (et != NULL) {
        if (!ok)
            PyErr_Clear();
        PyErr_Restore(et, ev, tb);
        return NULL;
    }
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

#endif
