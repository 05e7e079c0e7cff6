"""The JSON API for the platforms' own systems (``/api/v1``): relays, events, request
statistics; per-platform tokens; an OpenAPI document."""
