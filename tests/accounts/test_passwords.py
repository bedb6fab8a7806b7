from convene.accounts.passwords import hash_password, verify_password
from convene.extensions import db


def test_passwords_are_hashed_with_argon2_and_verified(make_member):
    member = make_member()
    member.password_hash = hash_password("a long enough password")
    assert member.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in member.password_hash
    assert verify_password(member, "a long enough password")
    assert not verify_password(member, "a long enough passworD")


def test_unknown_member_and_missing_hash_never_verify(make_member):
    assert not verify_password(None, "anything")
    assert not verify_password(make_member(password_hash=None), "anything")
    assert not verify_password(make_member(password_hash="not a hash"), "anything")


def test_a_hash_with_an_old_cost_is_upgraded_on_sign_in(make_app, make_member):
    member = make_member()
    stronger = make_app(ARGON2_TIME_COST=2)
    old = member.password_hash
    with stronger.app_context():
        merged = db.session.merge(member)
        assert verify_password(merged, "correct horse battery")
        assert merged.password_hash != old and "t=2" in merged.password_hash
        db.session.rollback()
        db.session.remove()
