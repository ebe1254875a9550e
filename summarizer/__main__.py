"""`python -m summarizer` runs the CLI."""

from .cli import main

main()
