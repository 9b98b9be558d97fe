"""Command-line interface: ``ibviz``, ``ibviz topo ...`` (and later ``ibviz run``, ``ibviz lab``)."""
