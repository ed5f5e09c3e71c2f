"""Entry point: `python -m benchmarks --help`."""

from benchmarks.core import main

raise SystemExit(main())
