"""Errors operations raise; views turn them into messages for the user."""


class OperationError(Exception):
    """A rule refused the operation. ``message`` is safe to show to the user."""

    def __init__(self, message: str, *, clause: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.clause = clause
        self.field = field


class StaleCase(OperationError):
    """Somebody else changed the case first; the user should look at its current state."""

    def __init__(self) -> None:
        super().__init__("This case has changed since you opened it. Here is where it stands now.")
