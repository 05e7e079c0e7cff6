"""The relay directory: parents ressource, médiateurs and places of digital help, per platform.

``search.nearest`` finds the relays near a point; ``search.locate`` turns what a parent typed
(a postcode or a commune) into a point without any network service; ``importer`` loads the
national open data of *lieux de médiation numérique*; ``services`` adds and edits relays.
"""
