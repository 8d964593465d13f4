"""services layer of oncall."""
