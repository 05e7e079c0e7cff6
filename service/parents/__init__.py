"""Help for parents: the help panel, the guides, "talk to someone", each school's public page."""
