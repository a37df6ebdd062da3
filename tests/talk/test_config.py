import pytest

from talk import config, create_app


def test_defaults_and_parsing():
    values = config.from_environment({"TALK_PAGE_SIZE": "7", "TALK_SECURE_COOKIES": "yes"})
    assert values["TALK_PAGE_SIZE"] == 7
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["TALK_MAX_COMMENT_LENGTH"] == 20_000


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TALK_PAGE_SIZE", "many"),
        ("TALK_PAGE_SIZE", "0"),
        ("TALK_SECURE_COOKIES", "perhaps"),
        ("TALK_TRUSTED_PROXIES", "-1"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(config.ConfigError, match=name):
        config.from_environment({name: value})


def test_every_setting_is_in_the_readme_table():
    table = config.markdown_table()
    declared = config.declared_settings(config.load_packages(config.PACKAGES))
    assert set(config.SETTINGS) <= set(declared)
    assert all(f"`{s.env}`" in table for s in declared)


def test_postgres_urls_use_psycopg3(tmp_path, monkeypatch):
    monkeypatch.setenv("TALK_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_secret_key_is_generated_once_and_kept(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 32


def test_cookies_are_httponly_and_lax(tmp_path, monkeypatch):
    monkeypatch.setenv("TALK_SECURE_COOKIES", "1")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_readme_table_matches_the_declared_settings():
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2] / "README.md"
    assert config.markdown_table() in readme.read_text()
