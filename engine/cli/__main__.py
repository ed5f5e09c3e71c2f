"""`python -m engine.cli`: the `lphedge` command line."""

from engine.cli.commands import main

main()
