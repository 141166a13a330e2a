"""Request dependencies: the service and API-key auth with roles (``admin`` passes every check)."""
from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import ApiError
from vocsvc.store.keys import ApiKey, verify_key

_bearer = HTTPBearer(auto_error=False, description="an API key from `vocsvc keys create --role ...`")


def svc(request: Request):
    return request.app.state.svc


def require(*roles: str):
    allowed = set(roles) | {"admin"}

    def check(request: Request, cred: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> ApiKey:
        if cred is None or not cred.credentials:
            raise ApiError(401, "missing API key: send `Authorization: Bearer <key>`",
                           headers={"WWW-Authenticate": "Bearer"})
        key = verify_key(request.app.state.svc.engine, cred.credentials)
        if key is None:
            raise ApiError(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        if key.role not in allowed:
            raise ApiError(403, f"this key's role ({key.role}) cannot do this; needs one of: {', '.join(sorted(allowed))}")
        request.state.key = key
        return key

    return check
