"""`python -m bot` runs the command line, like the `coachbot` script."""

from bot.cli import main

main()
