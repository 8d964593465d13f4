"""oncall: run an engineering team's on-call duty from the terminal."""

__version__ = "0.1.0"
