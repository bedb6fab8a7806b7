class TopicError(ValueError):
    """A request about a topic or vote that cannot be done; the message is for the member."""
