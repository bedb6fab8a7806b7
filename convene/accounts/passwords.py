"""Password hashing with argon2 (argon2-cffi), cost taken from the app's config."""

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 10


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# Verified when the email is unknown, so that a miss costs as long as a wrong password.
_DUMMY: dict[tuple[int, int], str] = {}


def verify_password(member, password: str) -> bool:
    hasher = _hasher()
    if member is None or not member.password_hash:
        key = (hasher.time_cost, hasher.memory_cost)
        if key not in _DUMMY:
            _DUMMY[key] = hasher.hash("not-a-password")
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY[key], password or "x")
        return False
    try:
        hasher.verify(member.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(member.password_hash):
        member.password_hash = hasher.hash(password)
    return True
