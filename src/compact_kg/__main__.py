"""``python -m compact_kg``: the same command line as ``compact-kg``."""

from compact_kg.cli import main

if __name__ == "__main__":
    main()
