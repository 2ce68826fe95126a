"""`python -m learnledger` runs the CLI."""

from learnledger.cli.app import main

main()
