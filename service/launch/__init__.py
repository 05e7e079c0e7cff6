"""The LTI endpoints: OIDC login, launch, the tool's key set, and the cookie-less fallbacks."""
