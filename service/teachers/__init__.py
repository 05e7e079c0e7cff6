"""Teachers: Relais for one class — the deep-linking picker, the class settings and events,
the printable flyer and the reach dashboard.

Every page is scoped to the class of the launch (platform + LTI context id, from the session):
no URL names a class, so a teacher of class A has no way to address class B. Parents' launches
leave one small trace per class (``ClassVisit``) so the dashboard can count who opened Relais.

- ``models`` / ``services``: class settings, parents' visits, pending deep-linking requests;
- ``launch``: what a launch records, and where it lands (the picker, a link's view);
- ``deep_linking``: the picker's items and the signed answer to the platform;
- ``roster`` / ``reach``: the class list from NRPS, and the figures of the dashboard;
- ``flyer``: the printable page (QR code, one sentence per language, the next events);
- ``views``: the pages, under ``/enseignant``.
"""
