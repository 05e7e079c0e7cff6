"""Dynamic registration, tool side: one-time links for the operator, the page platforms open."""
