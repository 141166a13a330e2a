"""Errors that name the cause and the fix."""


class VocsvcError(Exception):
    """Base class of vocsvc's own errors."""


class ModelNotFoundError(VocsvcError):
    """A model is missing: the message says what to install or which setting to change."""


class InputError(VocsvcError):
    """The input as a whole cannot be read (a bad row is not this: it becomes a RowError)."""


class ServiceError(VocsvcError):
    """A request the service refuses, with an HTTP-like status the API passes on (the CLI prints the message)."""

    status = 400

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class InvalidInput(ServiceError):
    status = 422


class TooLarge(ServiceError):
    status = 413


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Forbidden(ServiceError):
    status = 403


class RetryLater(ServiceError):
    """Refused for now, not for good: the API adds ``Retry-After: <retry_after>`` seconds."""

    def __init__(self, detail: str, retry_after: int = 5):
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))


class Unavailable(RetryLater):
    """A dependency (the database, the queue) is down; nothing was written."""

    status = 503


class RateLimited(RetryLater):
    status = 429


class StorageFull(ServiceError):
    """The disk holding recordings is full; nothing partial was kept."""

    status = 507
