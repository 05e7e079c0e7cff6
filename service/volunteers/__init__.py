"""Parents ressource: volunteers who help other parents, and what equips them.

- ``content``: the briefings (how to help) and the event kits (what to print), as per-locale
  content files read with the guides' parser; a platform can change a kit's sections.
- ``models`` / ``services``: a parent's offer to help, the admin's approval (a relay of kind
  ``parent_ressource`` with its inbox link), pause, and leaving (their data goes).
- ``tallies``: how many parents were helped at an event, and with what: counts only.
- ``views`` (briefings, kits, tallies, the volunteer's own page) and ``admin`` (approvals,
  kits per platform).
"""
