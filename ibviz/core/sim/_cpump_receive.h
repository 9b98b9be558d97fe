/* What the loop does with a hop: record it and queue its arrival (emit); a copy reaching a channel adapter (deliver). Included once, by _cpump.c. */
#ifndef IBVIZ_CPUMP_RECEIVE_H
#define IBVIZ_CPUMP_RECEIVE_H

/* Push (t1, pid, packet, peer, after), after recording the hop
 * (pid, flow, kind, out, peer, t0, t1) when rec (a HopRecord) is not None. */
static int
emit(Arrivals *q, PyObject *rec, PyObject *pid, PyObject *packet, PyObject *flow,
     PyObject *kind, PyObject *out, PyObject *peer, double t0v, double t1v,
     PyObject *after)
{
    if (rec != Py_None && hops_add((HopRecord *)rec, pid, flow, kind, out, peer, t0v,
                                   t1v) < 0)
        return -1;
    return arrivals_put(q, t1v, Py_NewRef(pid), Py_NewRef(packet), Py_NewRef(peer),
                        Py_NewRef(after), NULL);
}

static PyObject *s_ud, *s_raw, *s_attached, *s_not_attached, *s_sm, *s_fabric, *s_nodes, *s_ports,
    *s_lid, *s_lmc, *s_qps;

static int
receive_names_init(void)
{
    s_ud = PyUnicode_InternFromString("UD");
    s_raw = PyUnicode_InternFromString("raw");
    if (!s_ud || !s_raw)
        return -1;
    s_attached = PyUnicode_InternFromString("attached");
    s_not_attached = PyUnicode_InternFromString("MLID not attached to the port");
    s_sm = PyUnicode_InternFromString("sm");
    s_fabric = PyUnicode_InternFromString("fabric");
    s_nodes = PyUnicode_InternFromString("nodes");
    s_ports = PyUnicode_InternFromString("ports");
    s_lid = PyUnicode_InternFromString("lid");
    s_lmc = PyUnicode_InternFromString("lmc");
    s_qps = PyUnicode_InternFromString("qps");
    return s_attached && s_not_attached && s_sm && s_fabric && s_nodes && s_ports &&
                   s_lid && s_lmc && s_qps ? 0 : -1;
}

/* obj.a.b.c (a new reference, or NULL with an error set) */
static PyObject *
attr_chain(PyObject *obj, PyObject *a, PyObject *b, PyObject *c)
{
    PyObject *x = PyObject_GetAttr(obj, a), *y;
    if (x == NULL)
        return NULL;
    y = PyObject_GetAttr(x, b);
    Py_DECREF(x);
    if (y == NULL || c == NULL)
        return y;
    x = PyObject_GetAttr(y, c);
    Py_DECREF(y);
    return x;
}

/* A unicast DLID at CA port ``at``: 1 when ReceiveChecks.check accepts a UD/raw packet
 * (the port's LID under its LMC mask is the DLID, and the packet is raw, or the node
 * lists no valid QPs, or its DestQP is 0, 1 or one of them), 0 when it must be asked,
 * -1 on an error. */
static int
unicast_accepted(PyObject *checks, long long dlid, PyObject *at, PyObject *packet, int raw)
{
    if (dlid < 1 || dlid > 0xBFFF || !PyTuple_Check(at) || PyTuple_GET_SIZE(at) < 2)
        return 0;
    PyObject *nodes = attr_chain(checks, s_sm, s_fabric, s_nodes), *ports = NULL,
             *lid_o = NULL, *lmc_o = NULL, *qps = NULL;
    int res = -1;
    if (nodes == NULL)
        return -1;
    if (!PyDict_CheckExact(nodes)) {
        res = 0;
        goto done;
    }
    PyObject *node = PyDict_GetItemWithError(nodes, PyTuple_GET_ITEM(at, 0));
    if (node == NULL) {
        res = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    if ((ports = PyObject_GetAttr(node, s_ports)) == NULL)
        goto done;
    PyObject *port = PyDict_CheckExact(ports) ?
        PyDict_GetItemWithError(ports, PyTuple_GET_ITEM(at, 1)) : NULL;
    if (port == NULL) {
        res = PyErr_Occurred() ? -1 : 0;
        goto done;
    }
    if ((lid_o = PyObject_GetAttr(port, s_lid)) == NULL ||
        (lmc_o = PyObject_GetAttr(port, s_lmc)) == NULL)
        goto done;
    long long lid = PyLong_CheckExact(lid_o) ? PyLong_AsLongLong(lid_o) : -1;
    long long lmc = PyLong_CheckExact(lmc_o) ? PyLong_AsLongLong(lmc_o) : -1;
    if (PyErr_Occurred())
        goto done;
    if (lid < 1 || lmc < 0 || lmc > 15 || (dlid >> lmc) != (lid >> lmc)) {
        res = 0;
        goto done;
    }
    if (raw) {
        res = 1;
        goto done;
    }
    if ((qps = PyObject_GetAttr(checks, s_qps)) == NULL)
        goto done;
    if (!PyDict_CheckExact(qps)) {
        res = 0;
        goto done;
    }
    PyObject *valid = PyDict_GetItemWithError(qps, PyTuple_GET_ITEM(at, 0));
    if (valid == NULL) {
        res = PyErr_Occurred() ? -1 : 1;
        goto done;
    }
    if (!PyAnySet_CheckExact(valid)) {
        res = 0;
        goto done;
    }
    PyObject *qp = field(packet, F_DEST_QP);
    if (qp == NULL)
        goto done;
    res = PyLong_CheckExact(qp) ? PySet_Contains(valid, qp) : 0;
    if (res == 0 && PyLong_CheckExact(qp)) {  /* QPs 0 and 1 are always valid */
        long long qpn = PyLong_AsLongLong(qp);
        res = qpn == -1 && PyErr_Occurred() ? -1 : qpn >= 0 && qpn <= 1;
    }
    Py_DECREF(qp);
done:
    Py_DECREF(nodes);
    Py_XDECREF(ports);
    Py_XDECREF(lid_o);
    Py_XDECREF(lmc_o);
    Py_XDECREF(qps);
    return res;
}

/* ReceiveChecks.check(packet, at) (receive.py) for the common cases, answered here: a UD
 * or raw packet to an MLID in 0xC000-0xFFFE at a port where it is not attached ("MLID not
 * attached to the port") or is (raw; UD with DestQP 0xFFFFFF and a GRH, or to a QP
 * attached there: accepted), or to the port's own unicast LID (accepted where the node
 * lists no valid QPs). Every other case calls ``check`` (checks
 * is the ReceiveChecks whose check it is, or None: always call it). */
static PyObject *
receive_check(PyObject *check, PyObject *checks, PyObject *packet, PyObject *at)
{
    PyObject *dlid_o = NULL, *attached = NULL, *transport = NULL, *qp = NULL, *grh = NULL;
    PyObject *res = NULL;
    if (checks == Py_None)
        goto call;
    if ((dlid_o = field(packet, F_DLID)) == NULL)
        return NULL;
    long long dlid = PyLong_CheckExact(dlid_o) ? PyLong_AsLongLong(dlid_o) : -1;
    if (dlid == -1 && PyErr_Occurred())
        goto done;
    if ((transport = field(packet, F_TRANSPORT)) == NULL)
        goto done;
    int text = PyUnicode_CheckExact(transport);
    /* the interned names first (Python's literals are the same objects), then by value */
    int ud = transport == s_ud, raw = transport == s_raw;
    if (!ud && !raw && text) {
        raw = PyUnicode_CompareWithASCIIString(transport, "raw") == 0;
        ud = !raw && PyUnicode_CompareWithASCIIString(transport, "UD") == 0;
    }
    if (!raw && !ud)
        goto call;  /* connected services: their rules, in Python */
    if (dlid < 0xC000 || dlid > 0xFFFE) {
        int ok = unicast_accepted(checks, dlid, at, packet, raw);
        if (ok < 0)
            goto done;
        if (!ok)
            goto call;
        res = Py_NewRef(Py_None);
        goto done;
    }
    if ((attached = PyObject_GetAttr(checks, s_attached)) == NULL)
        goto done;
    if (!PyDict_CheckExact(attached))
        goto call;
    PyObject *ports = PyDict_GetItemWithError(attached, dlid_o);
    if (ports == NULL && PyErr_Occurred())
        goto done;
    if (ports != NULL && !PyDict_CheckExact(ports))
        goto call;
    PyObject *qps = ports == NULL ? NULL : PyDict_GetItemWithError(ports, at);
    if (qps == NULL) {
        if (PyErr_Occurred())
            goto done;
        res = Py_NewRef(s_not_attached);
        goto done;
    }
    if (raw) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    if ((qp = field(packet, F_DEST_QP)) == NULL)
        goto done;
    long long qpn = PyLong_CheckExact(qp) ? PyLong_AsLongLong(qp) : -1;
    if (qpn == -1 && PyErr_Occurred())
        goto done;
    if (qpn == 0xFFFFFF) {
        if ((grh = field(packet, F_HAS_GRH)) == NULL)
            goto done;
        if (grh != Py_True)
            goto call;
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (!PyAnySet_CheckExact(qps))
        goto call;
    int in = PySet_Contains(qps, qp);
    if (in < 0)
        goto done;
    if (!in)
        goto call;
    res = Py_NewRef(Py_None);
    goto done;
call:
    {
        PyObject *ca[2] = {packet, at};
        res = PyObject_Vectorcall(check, ca, 2, NULL);
    }
done:
    Py_XDECREF(dlid_o);
    Py_XDECREF(attached);
    Py_XDECREF(transport);
    Py_XDECREF(qp);
    Py_XDECREF(grh);
    return res;
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
    reason = receive_check(check, rx[5], packet, at);
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

#endif /* IBVIZ_CPUMP_RECEIVE_H */
