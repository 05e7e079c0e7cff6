"""The platform admin's pages: settings, schools, audience mapping, the help requests
overview, the audit log and API tokens. Relays, events and routing have their own pages."""
