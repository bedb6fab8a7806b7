"""The one error type the calls capability raises for a refused change."""


class CallError(ValueError):
    """A change that cannot be made; its message is shown to the person who asked."""
