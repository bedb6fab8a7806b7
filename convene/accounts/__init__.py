"""Organisations, members, roles, sign-in and invitations."""
