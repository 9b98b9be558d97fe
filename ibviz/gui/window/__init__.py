"""The main window: :class:`~ibviz.gui.window.main.MainWindow`, its menus and toolbar
(``actions``), files (``files``), node actions (``nodes``), the backend in use
(``backend``, ``connect_dialog``) and the controller pacing the session (``controller``)."""
