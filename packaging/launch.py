"""Entry script of the PyInstaller bundle: the same as the ``ibviz`` console script."""

from ibviz.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
