"""The onboarding wizard: getting connected step by step, at the parent's pace, resumable, with
a person one click away ("Je bloque ici" opens a help request holding the step).

- ``path``: the stages and which step each branch (device, email, the platform's tools) meets;
- ``content``: the steps' words, per-locale content files under ``service/content/wizard``;
- ``models`` / ``services``: each parent's progress (platform + LTI ``sub``), the tools a
  platform uses;
- ``views``: the pages (``/pas-a-pas``), plain forms that work without JavaScript;
- ``stores`` / ``calendar``: the app stores' links and QR codes, the key dates as ``.ics``.
"""
