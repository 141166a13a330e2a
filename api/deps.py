"""Request dependencies: the service and API-key auth with roles (``admin`` passes every check), key expiry and the
per-key rate limit (429 with Retry-After)."""
from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiError
from vocsvc.service import keys as keys_service
from vocsvc.store.keys import ApiKey

_bearer = HTTPBearer(auto_error=False, description="an API key from `vocsvc keys create --role ...`")


def svc(request: Request):
    return request.app.state.svc


def require(*roles: str):
    allowed = set(roles) | {"admin"}

    def check(request: Request, cred: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> ApiKey:
        if cred is None or not cred.credentials:
            raise ApiError(401, "missing API key: send `Authorization: Bearer <key>`",
                           headers={"WWW-Authenticate": "Bearer"})
        s = request.app.state.svc
        key = keys_service.authenticate(s, cred.credentials)
        if key is None:
            raise ApiError(401, "invalid, expired or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        request.state.key = key  # before the role check: a refused attempt is still attributable
        request.app.state.limiter.check(key.id, keys_service.rate_limit(key, s.settings))
        if key.role not in allowed:
            raise ApiError(403, f"this key's role ({key.role}) cannot do this; needs one of: {', '.join(sorted(allowed))}")
        return key

    return check
