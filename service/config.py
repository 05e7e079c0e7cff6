"""Defaults for every setting; a ``RELAIS_<NAME>`` environment variable overrides each."""

from __future__ import annotations

DEFAULTS: dict[str, object] = {
    # Where Relais is reached from browsers and platforms; used for redirect_uri, target_link_uri
    # checks and the JWKS URL given to platforms. Must be exact: platforms compare strings.
    "BASE_URL": "http://localhost:5000",
    # SQLite in the instance folder unless a URL is given (PostgreSQL for several instances).
    "DATABASE_URL": None,
    # Redis for rate limits when several instances run; memory otherwise.
    "RATELIMIT_STORAGE_URI": "memory://",
    "LEEWAY_SECONDS": 10,
    # How long a login (state and nonce) may wait for its launch.
    "LOGIN_TTL_SECONDS": 600,
    # How long a retired tool key stays published: longer than any token it signed can live,
    # plus the time a platform may cache our key set.
    "KEY_OVERLAP_SECONDS": 2 * 24 * 3600,
    "SANDBOX": False,
    "SANDBOX_URL": "http://127.0.0.1:5001",
    "LANGUAGES": ["fr", "ar", "en", "pt", "tr"],
    "BABEL_DEFAULT_LOCALE": "fr",
    # The session rides in a partitioned cookie so it survives a cross-site iframe even where
    # third-party cookies are blocked (CHIPS).
    "SESSION_COOKIE_NAME": "relais_session",
    "SESSION_COOKIE_SAMESITE": "None",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_PARTITIONED": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    # The session is re-signed only when it changes: re-signing it on every page was about a
    # tenth of a page's CPU, and a launch sets a fresh one anyway.
    "SESSION_REFRESH_EACH_REQUEST": False,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Days a parent's phone number is kept at most (the consent sentence promises it);
    # `relais requests purge` erases older ones.
    "RETENTION_DAYS": 90,
    # Per client address: opening a request by its code (guessing is slowed to a crawl), and
    # the public "be called back" form (requests stored, and attempts of any kind).
    "HELP_LOOKUP_LIMIT": "10/minute",
    "HELP_PUBLIC_SUBMIT_LIMIT": "5/hour",
    "HELP_PUBLIC_TRIES_LIMIT": "30/hour",
    # What Relais says about itself when it registers on a platform (dynamic registration).
    "REGISTRATION_CLIENT_NAME": "Relais",
    "REGISTRATION_DESCRIPTION": "Aide les parents à suivre la scolarité : guides pas à pas, "
    "une personne pour les rappeler, des lieux d'aide et des rendez-vous près de chez eux.",
    # Tool-level custom parameters, sent with every launch; per-link ones (audience=parents)
    # are set on each activity. This one lets support tell a dynamically registered tool.
    "REGISTRATION_CUSTOM_PARAMETERS": {"relais_registration": "dynamic"},
    # Purge what is past each platform's retention period once a day, on a request (no
    # scheduler needed). Unset: on, except under tests. `relais purge` runs it at once.
    "AUTO_PURGE": None,
    # Calls to /api/v1 per token (per client address without one).
    "API_RATE_LIMIT": "600/minute",
    # What each platform's parents use, for the wizard's path: platform id -> a list among
    # pronote, ent_app, educonnect (`relais wizard set-tools` wins). Default: Pronote+EduConnect.
    "PLATFORM_TOOLS": {},
    # Relays and notifications. Email goes out over SMTP when SMTP_HOST is set; SMS through an
    # HTTP provider when SMS_PROVIDER_URL is set (POST JSON, bearer token: see
    # service/notifications/senders.py). A channel left unset gets no messages queued.
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_SECURITY": "none",  # none | starttls | ssl
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_FROM": "Relais <relais@localhost>",
    "SMTP_TIMEOUT": 10,
    "SMS_PROVIDER_URL": None,
    "SMS_PROVIDER_TOKEN": None,
    "SMS_SENDER": "Relais",
    "SMS_TIMEOUT": 10,
    # `relais worker`: attempt n waits base × 2^(n-1) s (at most max), then gives up.
    "NOTIFY_RETRY_BASE_SECONDS": 30,
    "NOTIFY_RETRY_MAX_SECONDS": 3600,
    "NOTIFY_MAX_ATTEMPTS": 12,
    # Days sent (or abandoned) messages are kept, for support, before the worker deletes them.
    "OUTBOX_KEEP_DAYS": 7,
    # Days the sign-in link in a relay's notification email works (never beyond their
    # personal link), and how often one address may try links.
    "RELAY_MAIL_LINK_DAYS": 14,
    "RELAY_LINK_LIMIT": "30/minute",
}
