"""sandbox layer of oncall."""
