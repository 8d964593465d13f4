"""cli layer of oncall."""
