"""What the browser journeys share: a phone's viewport, and signing in through the form."""

from tests.conftest import PASSWORD

PHONE = {"width": 390, "height": 844}


def sign_in(page, base_url: str, member, password: str = PASSWORD) -> None:
    """Through the sign-in form, waiting until the header names the member."""
    page.goto(base_url + "/sign-in")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name=member.name).wait_for()
