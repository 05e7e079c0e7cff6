"""Relays' side of Relais: a personal sign-in link per relay, the inbox of the requests routed
to them, and the notifications those requests cause (``notify``)."""
