"""Run the feedsvc command line: ``python -m feedsvc``."""

from .cli import main

main()
