"""Privacy by design: retention and purge, one person's export and erasure, the audit log,
and the parents' privacy page."""
