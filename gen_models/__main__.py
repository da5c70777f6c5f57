"""`python -m gen_models ...`: the command line, which lives in gen_models.cli."""

import sys

from gen_models.cli import main

if __name__ == "__main__":
    sys.exit(main())
