"""The app starts, and the login page answers."""

from govern.auth.models import Role


def test_login_and_home(client, auth, make_user):
    user = make_user(Role.PARTNER_CEO, "RDE", name="Rita Chief")
    assert client.get("/").status_code == 302
    page = client.get("/login")
    assert page.status_code == 200 and b"Log in" in page.data
    response = auth.login(user)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert b"Rita Chief" in home.data
