"""A libibumad SA client for the ibsim fabric: a child process plus its parent-side handle.

umad2sim only works in a process started with ``LD_PRELOAD=libumad2sim.so``, so the
libibumad part runs as ``python -m ibviz.backends.umad_client`` (attached at ``SIM_HOST``).
It registers one agent (default: SA, class 0x03 version 2) and speaks JSON lines:

* first line it writes: ``{"ready": true, "port": {...}}`` (lid, sm_lid, port_guid, ...) or
  ``{"ready": false, "error": "..."}``;
* request ``{"id": 1, "mad": "<512 hex digits>", "dlid": 1, "timeout_ms": 2000}`` ->
  ``{"id": 1, "ok": true, "mad": "<hex>", "ms": 1.2}`` or ``{"id": 1, "ok": false,
  "error": "timeout"}``; the response is matched on the low 32 bits of the TID.

:class:`SaClient` starts the child through :class:`IbsimFabric` (its client environment and
scratch directory) and offers :meth:`SaClient.send` for MCMemberRecord requests.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from ibviz.backends._proc import kill_group, signal_group
from ibviz.backends.ibsim_process import IbsimError, IbsimFabric
from ibviz.core.sm.mad_codec import MAD_SIZE, SaMad, decode_sa_mad, encode_mcmember_mad
from ibviz.core.sm.records import McMemberRecord

__all__ = ["SaClient", "SaClientError", "main", "serve"]

REPO_ROOT = Path(__file__).resolve().parents[2]
LINK_LOCAL = 0xFE80_0000_0000_0000


class SaClientError(IbsimError):
    """The client child failed to start, died, or a request timed out."""


# -- child side --------------------------------------------------------------------------------
def serve(agent: Any, rfile: IO[str], wfile: IO[str]) -> int:
    """Answer JSON-line requests from ``rfile`` until EOF, using a started ``UmadAgent``."""
    for line in rfile:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            mad = bytes.fromhex(req["mad"])
            dlid = int(req.get("dlid") or agent.info["sm_lid"])
            t0 = time.monotonic()
            deadline = t0 + int(req.get("timeout_ms", 2000)) / 1000
            agent.send(mad, dlid)
            reply: dict[str, Any] = {"id": req.get("id"), "ok": False, "error": "timeout"}
            while (left := deadline - time.monotonic()) > 0:
                got = agent.recv(max(1, int(left * 1000)))
                if got is not None and got[12:16] == mad[12:16]:  # low 32 bits of the TID
                    ms = round((time.monotonic() - t0) * 1000, 3)
                    reply = {"id": req.get("id"), "ok": True, "mad": got.hex(), "ms": ms}
                    break
        except Exception as exc:  # report, keep serving
            reply = {"id": None, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
            with contextlib.suppress(Exception):
                reply["id"] = json.loads(line).get("id")
        wfile.write(json.dumps(reply) + "\n")
        wfile.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child: ``[mgmt_class [class_version]]`` (default 3 2)."""
    args = list(sys.argv[1:] if argv is None else argv)
    mgmt_class = int(args[0], 0) if args else 3
    version = int(args[1], 0) if len(args) > 1 else 2
    return serve_child(mgmt_class, version)


def serve_child(mgmt_class: int, version: int, wrap: Any = None) -> int:
    """Register a umad agent for the class, say ``ready`` (or why not) on stdout, then
    serve requests from stdin; ``wrap(agent)`` adapts the agent (e.g. QP0 sends)."""
    from ibviz.backends._umad_ctypes import UmadAgent

    try:
        agent = UmadAgent(mgmt_class, version)
    except Exception as exc:
        print(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    try:
        print(json.dumps({"ready": True, "port": agent.info, "pid": os.getpid()}), flush=True)
        return serve(wrap(agent) if wrap else agent, sys.stdin, sys.stdout)
    finally:
        agent.close()


# -- parent side -------------------------------------------------------------------------------
class SaClient:
    """An SA requester attached at one ibsim node, backed by the umad child process.

    Parameters
    ----------
    fabric : IbsimFabric
        A started fabric (OpenSM must run on it for requests to be answered).
    sim_host : str
        ibsim node id the requester is attached at (see ``ibsim_node_ids``).
    timeout : float
        Seconds per request (the child waits this long for the response).
    start_timeout : float
        Seconds for the child to attach and report its port.
    """

    def __init__(self, fabric: IbsimFabric, sim_host: str, *, timeout: float = 3.0,
                 start_timeout: float = 15.0) -> None:
        self.fabric, self.sim_host = fabric, sim_host
        self.timeout, self.start_timeout = timeout, start_timeout
        self.port: dict[str, Any] = {}
        self.last_ms = 0.0
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        self._tid = (os.getpid() & 0xFFFF) << 16
        self._lock = threading.Lock()

    # life cycle
    child_module = "ibviz.backends.umad_client"
    """The module the child process runs (``python -m``); subclasses name their own."""
    error = SaClientError
    what = "umad client"

    def start(self) -> SaClient:
        if self._proc is not None:
            raise self.error(f"{type(self).__name__}.start() called twice")
        env = {"PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", self.child_module],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=self.fabric.new_scratch_dir(), env=self.fabric.client_env(self.sim_host, env),
            start_new_session=True, bufsize=1,
        )
        for stream, sink in ((self._proc.stdout, self._lines.put), (self._proc.stderr,
                                                                    self._stderr.append)):
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()
        try:
            hello = json.loads(self._next_line(self.start_timeout, "attach"))
            if not hello.get("ready"):
                raise self.error(f"{self.what} at {self.sim_host!r} failed: "
                                 f"{hello.get('error')}\n{''.join(self._stderr)}")
            self.port = hello["port"]
        except BaseException:
            self.close()
            raise
        return self

    @staticmethod
    def _pump(stream: IO[str], sink: Any) -> None:
        with contextlib.suppress(ValueError, OSError):
            for line in stream:
                sink(line)
        if sink.__name__ == "put":
            sink(None)

    def _next_line(self, timeout: float, what: str) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise SaClientError(f"umad client at {self.sim_host!r}: no answer to {what} "
                                f"within {timeout} s") from None
        if line is None:
            raise SaClientError(f"umad client at {self.sim_host!r} exited during {what}:\n"
                                f"{''.join(self._stderr)[-2000:]}")
        return line

    def close(self) -> None:
        """Stop the child (EOF, then SIGTERM/SIGKILL) and free its ibsim slot. Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            proc.stdin.close()  # type: ignore[union-attr]
        try:
            proc.wait(2.0)
        except subprocess.TimeoutExpired:
            kill_group(proc, term_timeout=1.0)
            self.fabric._free_client_slot(proc.pid)
        except BaseException:
            signal_group(proc, signal.SIGKILL)
            proc.wait()
            raise

    def __enter__(self) -> SaClient:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # addresses
    @property
    def port_guid(self) -> int:
        return int(self.port["port_guid"])

    @property
    def port_gid(self) -> int:
        return (int(self.port.get("gid_prefix") or LINK_LOCAL) << 64) | self.port_guid

    @property
    def lid(self) -> int:
        return int(self.port["lid"])

    @property
    def sm_lid(self) -> int:
        return int(self.port["sm_lid"])

    # requests
    def send_raw(self, mad: bytes, *, dlid: int | None = None,
                 timeout: float | None = None) -> bytes:
        """Send one 256-byte MAD (to the SM LID by default) and return the response MAD."""
        if len(mad) != MAD_SIZE:
            raise ValueError(f"MAD must be {MAD_SIZE} bytes")
        timeout = self.timeout if timeout is None else timeout
        with self._lock:
            proc = self._proc
            if proc is None or proc.poll() is not None:
                raise SaClientError(f"umad client at {self.sim_host!r} is not running")
            req = {"id": mad[8:16].hex(), "mad": mad.hex(), "dlid": dlid or self.sm_lid,
                   "timeout_ms": int(timeout * 1000)}
            proc.stdin.write(json.dumps(req) + "\n")  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
            try:
                reply = json.loads(self._next_line(timeout + 5.0, "a request"))
            except SaClientError:
                self.close()
                raise
        if not reply.get("ok"):
            raise SaClientError(f"SA request from {self.sim_host!r}: {reply.get('error')}")
        self.last_ms = float(reply.get("ms", 0.0))
        return bytes.fromhex(reply["mad"])

    def request(self, method: int, record: McMemberRecord, comp_mask: int, *,
                sm_key: int = 0, timeout: float | None = None) -> SaMad:
        """Send an MCMemberRecord request; return the whole decoded response."""
        self._tid = (self._tid & ~0xFFFF) | ((self._tid + 1) & 0xFFFF)
        mad = encode_mcmember_mad(method, record, comp_mask, self._tid, sm_key=sm_key)
        return decode_sa_mad(self.send_raw(mad, timeout=timeout))

    def send(self, method: int, record: McMemberRecord, comp_mask: int, *,
             sm_key: int = 0) -> tuple[int, McMemberRecord]:
        """Send an MCMemberRecord request; return ``(MAD status, response record)``."""
        resp = self.request(method, record, comp_mask, sm_key=sm_key)
        return resp.status, resp.record


if __name__ == "__main__":
    sys.exit(main())
