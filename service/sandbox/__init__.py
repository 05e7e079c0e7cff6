"""A sandbox school platform for newcomers and demos: on only when asked.

It embeds Relais in an iframe from another origin and launches it as a parent, a teacher, an
admin or a pupil through the real OIDC flow, signing with its own key.
"""
