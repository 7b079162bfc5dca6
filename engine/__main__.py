"""``python -m engine``: the headless command line (see ``engine.cli``).

Importing this module does nothing; only running it as a script starts the CLI.
"""

from engine.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
