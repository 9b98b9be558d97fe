"""The headless application layer (no Qt): opening files, specs and saved sessions,
session files, live sessions on a backend and their narration, and what the views show
computed from a session. ``ibviz.gui`` keeps the widgets and the Qt plumbing; the
teaching and operator front ends build on this package."""
