"""``python -m mash``: the same as the ``mash`` command."""

from mash.cli import main

main()
