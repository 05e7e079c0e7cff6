"""The per-process LTI collaborators: tool config, platform key cache, stores, clock."""

from __future__ import annotations

import time

from flask import current_app

from lti.http import RequestsHttpClient
from lti.platform_keys import PlatformKeyCache
from lti.tool import ToolConfig
from service.launch.stores import SqlNonceStore, SqlRegistrationStore


class SystemClock:
    def now(self) -> float:
        return time.time()


def tool_config() -> ToolConfig:
    config = current_app.extensions.get("relais_tool_config")
    if config is None:
        base = str(current_app.config["BASE_URL"]).rstrip("/")
        config = ToolConfig(
            base_url=base,
            launch_url=f"{base}/lti/launch",
            login_url=f"{base}/lti/login",
            jwks_url=f"{base}/lti/jwks",
            leeway_seconds=float(current_app.config["LEEWAY_SECONDS"]),
        )
        current_app.extensions["relais_tool_config"] = config
    return config  # type: ignore[no-any-return]


def http_client() -> RequestsHttpClient:
    # One client (one connection pool) per process: platforms are few and reused.
    return current_app.extensions.setdefault("relais_http", RequestsHttpClient())  # type: ignore[no-any-return]


def platform_keys() -> PlatformKeyCache:
    # Parsed platform keys live as long as the process: parsing is the costly part.
    ext = current_app.extensions
    if "relais_platform_keys" not in ext:
        ext["relais_platform_keys"] = PlatformKeyCache(http_client(), clock())
    return ext["relais_platform_keys"]  # type: ignore[no-any-return]


def clock() -> SystemClock:
    return current_app.extensions.setdefault("relais_clock", SystemClock())  # type: ignore[no-any-return]


registrations = SqlRegistrationStore()
nonces = SqlNonceStore()
