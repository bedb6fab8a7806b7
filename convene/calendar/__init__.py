"""Calendar feeds, .ics downloads and invitations: every byte of iCalendar comes from here."""
