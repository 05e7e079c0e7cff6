"""Platform registrations: which school platforms may launch Relais (the tenants)."""
