"""Backends that drive or observe a subnet: the built-in simulation (default), an OpenSM lab
on ibsim, a real fabric read-only, the local host via pyverbs.

Optional dependencies (Debian's opensm, ibsim-utils, infiniband-diags, python3-pyverbs) are
looked up lazily, when a backend starts, never at import time.
"""
