"""``python -m ibviz`` is the same as the ``ibviz`` command."""

from ibviz.cli.main import main

raise SystemExit(main())
