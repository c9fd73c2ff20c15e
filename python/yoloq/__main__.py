"""``python -m yoloq SUBCOMMAND ...``: the yoloq CLI, flags and exit codes included."""
import sys

from ._api import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
