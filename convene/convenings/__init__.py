"""Series of biweekly calls, their host rotation, RSVPs and the call record."""
