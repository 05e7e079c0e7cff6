"""How this tool is deployed: its URLs and its tolerance for clock skew."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


# Cached: a platform sends the same few target_link_uri values over and over, and urlsplit
# with port and hostname costs more than the rest of the claim checks together.
@lru_cache(maxsize=1024)
def origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an absolute http(s) URL, with the default port filled in;
    None when ``url`` is not one (relative, another scheme, unparsable)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


@dataclass(frozen=True, slots=True)
class ToolConfig:
    """The tool's public URLs, as registered on every platform, and its time tolerances.

    ``launch_url`` is the exact ``redirect_uri`` sent in authentication requests (platforms
    such as Moodle compare it byte for byte). ``leeway_seconds`` absorbs clock skew on ``exp``
    and ``iat``; ``max_token_age`` rejects tokens issued too long ago even when their ``exp``
    is generous.
    """

    base_url: str
    launch_url: str
    login_url: str
    jwks_url: str
    leeway_seconds: float = 10.0
    max_token_age: float = 600.0

    def __post_init__(self) -> None:
        if origin(self.base_url) is None:
            raise ValueError(f"base_url must be an absolute http(s) URL: {self.base_url!r}")

    def owns(self, url: str) -> bool:
        """Whether ``url`` points at this tool: same scheme, host and port as ``base_url``."""
        return origin(url) == origin(self.base_url)
