"""Security headers on every answer, and the hosts the site answers for (``TALK_ALLOWED_HOSTS``)."""

from __future__ import annotations

import pytest

from talk.config import ConfigError, from_environment
from talk.security import CONTENT_SECURITY_POLICY, host_allowed, parse_hosts

FOREIGN = "evil.example"


def _answers(client, make, token, **headers):
    """One request of each kind of answer: a page, an API list with absolute URLs, a static
    file, a redirect to log in, a page error, an API error, the API's own 414."""
    owner = make.admin()
    project = make.project(owner=owner)
    make.item(project)
    auth = token(owner)
    answers = {
        "page": client.get(f"/projects/{project.slug}", headers=headers),
        "api": client.get("/api/v1/projects", headers={**headers, **auth}),
        "api item list": client.get(f"/api/v1/projects/{project.slug}/items", headers=headers),
        "static": client.get("/static/talk.css", headers=headers),
        "redirect": client.get("/comments/1/edit", headers=headers),
        "page 404": client.get("/no/such/page", headers=headers),
        "api 404": client.get("/api/v1/projects/nope", headers=headers),
        "api 414": client.get("/api/v1/projects?cursor=" + "x" * 9000, headers=headers),
        "api post": client.post("/api/v1/projects", json={}, headers=headers),
    }
    for response in answers.values():
        response.get_data()
        response.close()  # the static file's
    return answers


def test_every_answer_carries_the_security_headers(client, make, token):
    for kind, response in _answers(client, make, token).items():
        assert response.status_code != 400, kind
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, kind
        assert headers["X-Content-Type-Options"] == "nosniff", kind
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", kind
        assert headers["X-Frame-Options"] == "DENY", kind
        assert "Strict-Transport-Security" not in headers, kind  # plain HTTP: no HSTS
    csp = CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_hsts_is_sent_when_cookies_are_secure(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_foreign_host_gets_400_and_no_answer_names_it(client, make, token):
    for kind, response in _answers(client, make, token, Host=FOREIGN).items():
        # The API's 414 is answered before the host is read (and does not name it either).
        assert response.status_code == (414 if kind == "api 414" else 400), kind
        assert FOREIGN not in response.get_data(as_text=True), kind
        assert all(FOREIGN not in value for _, value in response.headers), kind
        assert response.headers["X-Content-Type-Options"] == "nosniff", kind
    api = client.get("/api/v1/projects", headers={"Host": FOREIGN})
    assert api.get_json()["error"]["code"] == "bad_host"
    page = client.get("/", headers={"Host": FOREIGN})
    assert page.content_type.startswith("text/html")
    assert "does not answer for the host" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "localhost.evil.example",
        "evillocalhost",
        "127.0.0.1.evil.example",
        "user@localhost",
        "localhost@evil.example",
        "localhost:99999",
        "localhost:0",
        "localhost/x",
        "[::2]",
        "",
    ],
)
def test_hosts_that_only_look_like_an_allowed_one_are_refused(client, host):
    response = client.get("/api/v1/projects", headers={"Host": host})
    assert response.status_code == 400


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:5000", "127.0.0.1:8000", "[::1]:5000"])
def test_the_default_hosts_serve_the_demo_and_a_local_server(client, host):
    assert client.get("/api/v1/projects", headers={"Host": host}).status_code == 200


def test_absolute_urls_name_the_configured_host(app, client, make):
    app.config["TALK_ALLOWED_HOSTS"] = "talk.example.org"
    app.config["SERVER_NAME"] = None  # the test app's fixed name: URLs follow the request
    project = make.project()
    body = client.get("/api/v1/projects", base_url="https://talk.example.org").get_json()
    assert body["data"][0]["url"] == f"https://talk.example.org/projects/{project.slug}"
    assert client.get("/api/v1/projects").status_code == 400  # localhost is no longer allowed


def test_allowed_hosts_match_exactly_or_as_a_subdomain_suffix():
    allowed = parse_hosts("talk.example.org, .museum.example")
    assert host_allowed("talk.example.org:443", allowed)
    assert host_allowed("TALK.example.org", allowed)
    assert host_allowed("museum.example", allowed)
    assert host_allowed("talk.museum.example", allowed)
    assert not host_allowed("evilmuseum.example", allowed)
    assert not host_allowed("talk.example.org.evil.example", allowed)
    assert not host_allowed("xn--tlk-sna.example.org", allowed)  # IDN look-alike of talk
    assert not host_allowed("tälk.example.org", allowed)  # not ASCII: malformed
    assert host_allowed("anything.example", parse_hosts("*"))


@pytest.mark.parametrize("raw", ["", " , ", "https://talk.example.org", "talk.example.org/x"])
def test_a_malformed_allowed_hosts_setting_stops_start_up(raw):
    with pytest.raises(ConfigError, match="TALK_ALLOWED_HOSTS"):
        from_environment({"TALK_ALLOWED_HOSTS": raw})


def test_behind_trusted_proxies_the_forwarded_host_is_the_one_checked(tmp_path):
    from talk import create_app
    from tests.conftest import TEST_CONFIG

    proxied = create_app(
        {
            **TEST_CONFIG,
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "TALK_TRUSTED_PROXIES": 1,
        }
    )
    client = proxied.test_client()
    for forwarded, status in ((FOREIGN, 400), ("talk.test", 200)):
        response = client.get(
            "/static/talk.css", headers={"Host": "localhost", "X-Forwarded-Host": forwarded}
        )
        response.close()
        assert response.status_code == status, forwarded
