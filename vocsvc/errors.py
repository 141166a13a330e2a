"""Errors that name the cause and the fix."""


class VocsvcError(Exception):
    """Base class of vocsvc's own errors."""


class ModelNotFoundError(VocsvcError):
    """A model is missing: the message says what to install or which setting to change."""


class InputError(VocsvcError):
    """The input as a whole cannot be read (a bad row is not this: it becomes a RowError)."""
