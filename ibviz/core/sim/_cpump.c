/* The packet simulator's hop loop, compiled: the same steps as
 * ibviz/core/sim/pump_loop.py's run_batch_py, statement for statement, on the same
 * Python objects (tables, caches, counters, drop rows are the simulator's own). Every
 * case the Python loop hands to a method (a switch's first decision, a router, a dead
 * cable, a loop, the receive checks and the flows' hooks) calls the same method here,
 * after setting the engine's clock the same way. What differs is the data: arrivals in a
 * heap of C records (_cpump_arrivals.h; the same order as heapq's, time then push
 * order) and, with it, the hop record as columns (_cpump_hops.h).
 *
 * Times are C doubles where Python computes them from floats: t0 = t + lat and
 * t1 = t0 + size * us_per_byte + prop, in that order (built with -ffp-contract=off so
 * no fused multiply-add changes a rounding).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include "_cpump_util.h"
#include "_cpump_arrivals.h"
#include "_cpump_hops.h"
#include "_cpump_receive.h"
#include "_cpump_fans.h"

enum {
    A_PQ, A_EHEAP, A_ENGINE, A_FAILED, A_DOWN, A_SWITCHES, A_ROUTES, A_MCAST, A_SWITCH_SEEN,
    A_COUNTERS, A_LIVE, A_REC, A_LAT, A_PROP, A_MAX_HOPS, A_ARRIVE, A_DEPART,
    A_ROUTE, A_RECEIVE, A_SEEN_AT, A_DROP_ROWS, A_FANS, A_MCAST_END, A_ROUTERS, A_MAKE_FAN,
    A_T, A_RX, N_ARGS
};

#define FAIL goto error
/* t as a float object, made only where Python code sees it (most hops never need it) */
#define T_OBJ() (t_stale ? t_make(&t, tv, &t_stale) : t)
/* the multicast decision's key, (switch, DLID, in-port), made where it is asked for */
#define NEED_DECISION()                                                                    \
    do {                                                                                   \
        if (decision == NULL &&                                                            \
            (decision = PyTuple_Pack(3, node, dlid_o, PyTuple_GET_ITEM(at, 1))) == NULL)   \
            FAIL;                                                                          \
    } while (0)
#define REFRESH_LIMIT() do { if (stop_time(engine, eheap, &limit) < 0) FAIL; } while (0)

/* Replace *t by a float of tv; NULL on an error. */
static PyObject *
t_make(PyObject **t, double tv, int *stale)
{
    PyObject *made = PyFloat_FromDouble(tv);
    if (made == NULL)
        return NULL;
    Py_SETREF(*t, made);
    *stale = 0;
    return made;
}

/* One batch: a[] holds run_batch's N_ARGS arguments. */
static PyObject *
batch(PyObject *const *a)
{
    PyObject *eheap = a[A_EHEAP], *engine = a[A_ENGINE];
    PyObject *failed = a[A_FAILED], *down = a[A_DOWN], *switches = a[A_SWITCHES];
    PyObject *routes_by_node = a[A_ROUTES], *mcast = a[A_MCAST];
    PyObject *switch_seen = a[A_SWITCH_SEEN], *counters = a[A_COUNTERS], *live = a[A_LIVE];
    PyObject *rec = a[A_REC];
    PyObject *arrive = a[A_ARRIVE], *depart = a[A_DEPART], *route = a[A_ROUTE];
    PyObject *receive = a[A_RECEIVE], *seen_at = a[A_SEEN_AT], *drop_rows = a[A_DROP_ROWS];
    PyObject *fans = a[A_FANS], *mcast_end = a[A_MCAST_END], *routers = a[A_ROUTERS];
    PyObject *make_fan = a[A_MAKE_FAN];
    /* (check, handlers, drop, delivered_to, delivery_rows, checks): _receive inlined;
     * None: call receive */
    PyObject *const *rx = NULL;
    if (a[A_RX] != Py_None) {
        if (!PyTuple_CheckExact(a[A_RX]) || PyTuple_GET_SIZE(a[A_RX]) != 6 ||
            !PyDict_CheckExact(PyTuple_GET_ITEM(a[A_RX], 1)) ||
            !PyDict_CheckExact(PyTuple_GET_ITEM(a[A_RX], 3)) ||
            !PyList_CheckExact(PyTuple_GET_ITEM(a[A_RX], 4))) {
            PyErr_SetString(PyExc_TypeError, "run_batch: receiving is a 6-tuple");
            return NULL;
        }
        rx = &PyTuple_GET_ITEM(a[A_RX], 0);
    }
    if (!Py_IS_TYPE(a[A_PQ], &ArrivalsType)) {
        PyErr_SetString(PyExc_TypeError, "run_batch: the arrivals must be an Arrivals");
        return NULL;
    }
    Arrivals *q = (Arrivals *)a[A_PQ];
    FanCache *fan_cache = Py_IS_TYPE(fans, &FanCacheType) ? (FanCache *)fans : NULL;
    if (!PyList_CheckExact(eheap) || (fan_cache == NULL && !PyDict_CheckExact(fans)) ||
        !PyDict_CheckExact(mcast) || !PyDict_CheckExact(routes_by_node) ||
        !PyDict_CheckExact(switch_seen) || !PyDict_CheckExact(live) ||
        !PyList_CheckExact(drop_rows) ||
        (rec != Py_None && !Py_IS_TYPE(rec, &HopRecordType))) {
        PyErr_SetString(PyExc_TypeError, "run_batch: unexpected container types");
        return NULL;
    }
    double lat = PyFloat_AsDouble(a[A_LAT]), prop = PyFloat_AsDouble(a[A_PROP]);
    long max_hops = PyLong_AsLong(a[A_MAX_HOPS]);
    if (PyErr_Occurred())
        return NULL;

    PyObject *t = a[A_T];  /* the time of the last arrival run (a strong reference) */
    Py_INCREF(t);
    double tv = 0.0;
    int t_stale = 0;  /* t is not tv's float yet (see T_OBJ) */
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
        tv = x.t;
        if (x.tobj != NULL) {
            Py_SETREF(t, x.tobj);
            x.tobj = NULL;  /* t holds it now */
            t_stale = 0;
        } else
            t_stale = 1;
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
                if (fan_cache != NULL)  /* by the port object and the DLID: no tuple */
                    fan = fans_get(fan_cache, at, dlid);
                else {
                    NEED_DECISION();
                    fan = PyDict_GetItemWithError(fans, decision);
                    if (fan == NULL && PyErr_Occurred())
                        FAIL;
                }
                Py_XINCREF(fan);
                if (fan == NULL) {
                    NEED_DECISION();
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
                            if (fan == NULL ||
                                (fan_cache != NULL ? fans_put(fan_cache, at, dlid, fan)
                                                   : PyDict_SetItem(fans, decision, fan)) < 0)
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
                        if (set_now(engine, T_OBJ()) < 0)
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
                    after = PyNumber_Add(hops, one);
                    size_o = field(packet, F_SIZE);
                    flow = field(packet, F_FLOW);
                    kind = field(packet, F_KIND);
                    if (after == NULL || size_o == NULL || flow == NULL || kind == NULL)
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
                            if (set_now(engine, T_OBJ()) < 0)
                                FAIL;
                            if (t0 == NULL && (t0 = PyFloat_FromDouble(t0v)) == NULL)
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
                                 PyTuple_GET_ITEM(wire, 1), t0v, t1v, after) < 0)
                            FAIL;
                    }
                    if (slow)
                        REFRESH_LIMIT();
                    goto next;
                }
                if (fan != NULL) {  /* cached: the tree ends here (a drop) */
                    NEED_DECISION();
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
                    PyObject *tt = T_OBJ();
                    PyObject *row = tt == NULL ? NULL : PyTuple_Pack(5, tt, at, pid, flow, reason);
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
                                if (rec != Py_None) {  /* flow, kind: the record's */
                                    flow = field(packet, F_FLOW);
                                    kind = field(packet, F_KIND);
                                    if (flow == NULL || kind == NULL)
                                        FAIL;
                                }
                                if (emit(q, rec, pid, packet, flow, kind, out, peer, t0v,
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
        if (set_now(engine, T_OBJ()) < 0)
            FAIL;
        if (at_ca && rx != NULL) {
            if (deliver(rx, counters, live, seen_at, switch_seen, pid, packet, at, T_OBJ()) < 0)
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
    if (T_OBJ() == NULL)
        FAIL;
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

static PyObject *
run_batch(PyObject *self, PyObject *const *a, Py_ssize_t nargs)
{
    if (nargs != N_ARGS) {
        PyErr_Format(PyExc_TypeError, "run_batch takes %d arguments", N_ARGS);
        return NULL;
    }
    return batch(a);
}

#include "_cpump_heap.h"
#include "_cpump_engine.h"

static PyObject *
check_receive(PyObject *self, PyObject *const *a, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "receive_check takes 4 arguments");
        return NULL;
    }
    return receive_check(a[0], a[1], a[2], a[3]);
}

static PyMethodDef methods[] = {
    {"run_batch", (PyCFunction)(void (*)(void))run_batch, METH_FASTCALL,
     "run_batch(arrivals, engine_heap, engine, failed, down, switches, routes, mcast, "
     "switch_seen, counters, live, hop_record, lat, prop, max_hops, arrive, "
     "depart, route, receive, seen_at, drop_rows, fans, mcast_end, routers, make_fan, t, "
     "receiving)"
     " -> (t, arrivals run): see ibviz.core.sim.pump_loop.run_batch."},
    {"receive_check", (PyCFunction)(void (*)(void))check_receive, METH_FASTCALL,
     "receive_check(check, checks, packet, port) -> what the loop answers for "
     "check(packet, port) (for tests)"},
    {"heappush", (PyCFunction)(void (*)(void))py_heappush, METH_FASTCALL,
     "heappush(heap, entry): heapq.heappush for the engine's entries (see _cpump_heap.h)"},
    {"heappop", (PyCFunction)py_heappop, METH_O,
     "heappop(heap): heapq.heappop for the engine's entries (see _cpump_heap.h)"},
    {"run_engine", (PyCFunction)(void (*)(void))run_engine, METH_FASTCALL,
     "run_engine(engine, limit, pump, simulator): Engine.run's loop up to limit, with "
     "the simulator's batches (bound ``pump`` events) run without leaving C."},
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
    field_names[F_TRANSPORT] = PyUnicode_InternFromString("transport");
    field_names[F_DEST_QP] = PyUnicode_InternFromString("dest_qp");
    field_names[F_HAS_GRH] = PyUnicode_InternFromString("has_grh");
    if (!field_names[F_TRANSPORT] || !field_names[F_DEST_QP] || !field_names[F_HAS_GRH] ||
        receive_names_init() < 0)
        return NULL;
    if (!one || !s_now || !s_limit || !s_dlid || !s_flow || !s_size || !s_kind || !s_copies ||
        !s_dropped)
        return NULL;
    if (PyType_Ready(&ArrivalsType) < 0 || engine_names_init() < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyType_Ready(&HopRecordType) < 0 ||
        PyModule_AddObjectRef(m, "HopRecord", (PyObject *)&HopRecordType) < 0 ||
        PyModule_AddObjectRef(m, "Arrivals", (PyObject *)&ArrivalsType) < 0 ||
        PyType_Ready(&FanCacheType) < 0 ||
        PyModule_AddObjectRef(m, "FanCache", (PyObject *)&FanCacheType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
