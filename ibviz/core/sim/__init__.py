"""Discrete-event simulation: a tiny event core (heap + tie-break counter) in SimPy's spirit."""
