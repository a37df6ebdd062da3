"""Failed logins are throttled per login name and per client address; successes are not counted.

No test sleeps: the limits' windows (15 minutes) never pass during a test, and the ``app``
fixture empties the limiter's storage before each test."""

from __future__ import annotations

import socket
import uuid

import pytest
from flask.testing import FlaskClient

from talk import create_app
from talk.config import ConfigError
from talk.web import throttle
from tests.conftest import TEST_CONFIG, TEST_PASSWORD, csrf_token
from tests.talk.web.pages import outline, text

WRONG = "not the password"


def attempt(client: FlaskClient, login: str, password: str = WRONG):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


def refused_with_429(response, *words: str) -> bool:
    """429, the page's problem summary names why, and ``Retry-After`` says when to come back."""
    retry_after = int(response.headers["Retry-After"])
    summary = " ".join(outline(response).text)
    return (
        response.status_code == 429
        and 0 < retry_after <= 15 * 60
        and all(word in summary for word in words)
    )


def test_the_eleventh_attempt_for_one_login_gets_429_even_with_the_right_password(client, make):
    make.user("grace")
    statuses = [attempt(client, "grace").status_code for _ in range(10)]
    assert statuses == [401] * 10
    eleventh = attempt(client, "grace", TEST_PASSWORD)
    assert refused_with_429(
        eleventh, "Too many failed logins for this username or email", "15 minutes"
    )
    assert "Logged in" not in text(client.get("/"))


def test_the_login_count_ignores_case_and_spaces_and_covers_unknown_names(client, make):
    make.user("grace")
    for login in ("grace", "Grace", " GRACE ", "grace") * 2 + ("grace", "GRACE"):
        assert attempt(client, login).status_code == 401
    assert attempt(client, "gRaCe", TEST_PASSWORD).status_code == 429
    for _ in range(10):  # an unknown name is counted the same way: no telling them apart
        assert attempt(client, "nobody").status_code == 401
    assert attempt(client, "nobody").status_code == 429


def test_other_accounts_from_the_same_client_go_on_until_the_client_limit(app, client, make):
    for name in ("grace", "ada", "carol", "dave"):
        make.user(name, display_name=name.title())
    for name in ("grace", "ada", "carol"):  # 30 failures from one address: its limit
        assert [attempt(client, name).status_code for _ in range(10)] == [401] * 10
        assert attempt(client, name).status_code == 429
        if name == "grace":  # an account not throttled still logs in from here
            assert attempt(client, "dave", TEST_PASSWORD).status_code == 302
            client.post("/logout", data={"csrf_token": csrf_token(client)})

    refused = attempt(client, "dave", TEST_PASSWORD)
    assert refused_with_429(refused, "from your network address")
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert attempt(elsewhere, "dave", TEST_PASSWORD).status_code == 302


def test_successful_logins_are_not_counted(client, make):
    make.user("grace")
    for _ in range(31):
        assert attempt(client, "grace", TEST_PASSWORD).status_code == 302


def test_a_right_password_clears_the_names_failures(client, make):
    make.user("grace")
    for _ in range(9):
        attempt(client, "grace")
    assert attempt(client, "grace", TEST_PASSWORD).status_code == 302
    assert [attempt(client, "grace").status_code for _ in range(10)] == [401] * 10
    assert attempt(client, "grace").status_code == 429


def test_the_limits_are_settings(app, client, make):
    make.user("grace")
    app.config["TALK_LOGIN_FAILURES_PER_ACCOUNT"] = 2
    app.config["TALK_LOGIN_FAILURES_PER_CLIENT"] = 3
    assert [attempt(client, "grace").status_code for _ in range(3)] == [401, 401, 429]
    assert [attempt(client, "ada").status_code for _ in range(2)] == [401, 429]


def test_an_unusable_storage_url_stops_start_up_naming_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="TALK_RATE_LIMIT_STORAGE_URL"):
        create_app(
            {
                **TEST_CONFIG,
                "INSTANCE_PATH": str(tmp_path),
                "TALK_RATE_LIMIT_STORAGE_URL": "nonsense://somewhere",
            }
        )


def test_an_unreachable_storage_lets_logins_through_and_logs_why(app, make, caplog):
    make.user("grace")
    with app.app_context():
        real = throttle.limiter().limiter
    app.extensions["talk_limiter"]._limiter = _Unreachable()
    try:
        client = app.test_client()
        assert attempt(client, "grace").status_code == 401
        assert attempt(client, "grace", TEST_PASSWORD).status_code == 302
    finally:
        app.extensions["talk_limiter"]._limiter = real
    assert "Login throttling skipped" in caplog.text


class _Unreachable:
    """A rate-limit strategy whose storage refuses every call, as Redis does when down."""

    def __getattr__(self, name: str):
        def fail(*args, **kwargs):
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        return fail


REDIS = ("127.0.0.1", 6379)


def _redis_reachable() -> bool:
    try:
        socket.create_connection(REDIS, timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_failures_are_counted_in_redis_when_configured(tmp_path):
    """A second app on the same Redis sees the first one's count: what lets several workers
    or servers share the limits."""
    url = "redis://{}:{}".format(*REDIS)
    apps = [
        create_app(
            {
                **TEST_CONFIG,
                "INSTANCE_PATH": str(tmp_path / str(n)),
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "TALK_RATE_LIMIT_STORAGE_URL": url,
                "TALK_LOGIN_FAILURES_PER_ACCOUNT": 2,
            }
        )
        for n in (1, 2)
    ]
    login = f"throttle-test-{uuid.uuid4().hex}"  # Redis is shared: keys of this run only
    address = {"REMOTE_ADDR": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    try:
        for app in apps:
            with app.test_request_context("/login", environ_base=address):
                assert throttle.refusal(login) is None
                throttle.record_failure(login)
        with apps[0].test_request_context("/login", environ_base=address):
            refusal = throttle.refusal(login)
            assert refusal is not None
            assert 0 < refusal.retry_after <= 15 * 60
    finally:
        with apps[0].test_request_context("/login", environ_base=address):
            strategy = apps[0].extensions["talk_limiter"].limiter
            for _, item, keys in throttle._counts(login):
                strategy.clear(item, *keys)
