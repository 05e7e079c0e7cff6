"""Help requests: "be called back" inside the ENT and on a school's public page, the reference
code and status page a parent can reopen, and the routing of each request to the people who help.

Public entry points for other domains (the wizard, the relays' inbox) are in ``services`` and
``routing``; the vocabulary (statuses, channels, moments) is in ``models``.
"""
