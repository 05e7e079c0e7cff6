"""Notifications: an outbox of messages (email, SMS) written in the same transaction as the
change that causes them, and a worker that delivers them with retries.

The outbox knows messages, not domains: who is told what, and why, is decided by the domain
that causes it (``service.relays.notify`` for help requests). A message that waits costs
nothing: with no worker running, the web process works the same and messages stay queued.
"""
