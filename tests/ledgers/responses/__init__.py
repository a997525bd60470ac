"""Test responses for sources with no public recording; each module names the documentation
whose shape it follows."""
