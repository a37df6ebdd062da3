"""The named rate limits (:mod:`talk.rate_limits`) as a package calls them — the moderation
package's reports call ``hit("report", actor)`` — and their settings."""

from __future__ import annotations

from typing import Any

import pytest

from talk import policy, rate_limits
from talk.config import ConfigError, from_environment
from talk.extensions import db
from talk.models import User


@pytest.fixture
def reporter(app: Any, make: Any) -> int:
    app.config["TALK_RATE_LIMITS"] = True
    app.config["TALK_RATE_LIMIT_REPORTS_PER_ACCOUNT"] = "2 per day"
    return make.user("reporter").id


def test_a_third_report_in_a_day_is_refused_with_429(app, reporter):
    with app.test_request_context("/api/v1/reports", method="POST"):
        user = db.session.get(User, reporter)
        rate_limits.hit("report", user)
        rate_limits.hit("report", user)
        with pytest.raises(rate_limits.RateLimited) as refused:
            rate_limits.hit("report", user)
    assert refused.value.status == 429 and refused.value.code == "rate_limited"
    assert 23 * 3600 < refused.value.retry_after <= 24 * 3600
    assert "Too many reports" in refused.value.message and "2 per day" in refused.value.message


def test_the_operator_and_work_outside_requests_are_not_limited(app, reporter):
    with app.test_request_context("/", method="POST"):
        for _ in range(5):
            rate_limits.hit("report", policy.OPERATOR)
    with app.app_context():  # a command, the worker
        user = db.session.get(User, reporter)
        for _ in range(5):
            rate_limits.hit("report", user)


def test_an_unknown_limit_is_a_programming_error(app):
    with app.test_request_context("/"), pytest.raises(ValueError, match="no rate limit named"):
        rate_limits.hit("reprot", policy.OPERATOR)


def test_a_storage_that_fails_lets_the_write_through(app, reporter, caplog):
    class Unreachable:
        def test(self, *args: Any, **kwargs: Any) -> bool:
            raise ConnectionError("redis is down")

    limiter = app.extensions["talk_limiter"]
    real = limiter._limiter
    limiter._limiter = Unreachable()
    try:
        with app.test_request_context("/", method="POST"):
            user = db.session.get(User, reporter)
            for _ in range(3):
                rate_limits.hit("report", user)
    finally:
        limiter._limiter = real
    assert "Rate limits skipped" in caplog.text


@pytest.mark.parametrize("raw", ["lots", "10 per fortnight", ""])
def test_a_malformed_rate_stops_start_up_naming_the_variable(raw):
    with pytest.raises(ConfigError, match="TALK_RATE_LIMIT_COMMENTS_PER_ACCOUNT"):
        from_environment(
            {"TALK_RATE_LIMIT_COMMENTS_PER_ACCOUNT": raw}, settings=rate_limits.SETTINGS
        )


def test_every_limit_has_its_settings():
    declared = {setting.key for setting in rate_limits.SETTINGS}
    for limit in rate_limits.LIMITS.values():
        assert limit.client in declared
        assert limit.account is None or limit.account in declared


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (5, "5 seconds"), (60, "1 minute"), (61, "2 minutes"), (7200, "2 hours")],
)
def test_waits_are_said_in_words(seconds, words):
    assert rate_limits.wait(seconds) == words
