"""`python -m agui_runtime`: the command line (`serve`, `db upgrade`)."""

import sys

from agui_runtime.bootstrap import main

if __name__ == "__main__":
    sys.exit(main())
