"""Session cookies: where they are read from, what is sent, and that values never show."""

import json

import pytest

from notifier import CredentialsError
from notifier.stream import Cookies, load_cookies
from notifier.stream.auth import BEARER_TOKEN, auth_headers

AUTH = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
CT0 = "f00dfeedcafe0123456789abcdef0123456789abcdef0123456789abcdef01234567"


def test_twikit_json(tmp_path):
    """A twikit-style flat JSON file gives auth_token, ct0 and the user id from twid."""
    path = tmp_path / "cookies.json"
    path.write_text(json.dumps({"auth_token": AUTH, "ct0": CT0, "twid": "u%3D1234567890", "lang": "en"}))
    cookies = load_cookies(path)
    assert (cookies.auth_token, cookies.ct0, cookies.user_id) == (AUTH, CT0, "1234567890")
    assert set(cookies.names) == {"auth_token", "ct0", "twid", "lang"}


def test_path_as_string(tmp_path):
    """A path given as a str is read like a Path."""
    path = tmp_path / "cookies.json"
    path.write_text(json.dumps({"auth_token": AUTH, "ct0": CT0}))
    assert load_cookies(str(path)).ct0 == CT0


def test_browser_extension_json_list(tmp_path):
    """A JSON list of cookie objects keeps x.com's cookies and ignores other sites'."""
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            [
                {"domain": ".example.com", "name": "auth_token", "value": "someone-else"},
                {"domain": ".x.com", "name": "auth_token", "value": AUTH},
                {"domain": ".x.com", "name": "ct0", "value": CT0},
            ]
        )
    )
    cookies = load_cookies(path)
    assert (cookies.auth_token, cookies.ct0) == (AUTH, CT0)


def test_netscape_cookies_txt(tmp_path):
    """A Netscape cookies.txt (with #HttpOnly_ lines and other sites) yields X's cookies."""
    path = tmp_path / "cookies.txt"
    path.write_text(
        "# Netscape HTTP Cookie File\n"
        "# a comment\n\n"
        f".box.com\tTRUE\t/\tTRUE\t0\tauth_token\tnot-ours\n"
        f"#HttpOnly_.x.com\tTRUE\t/\tTRUE\t1999999999\tauth_token\t{AUTH}\n"
        f".x.com\tTRUE\t/\tTRUE\t1999999999\tct0\t{CT0}\n"
        ".x.com\tTRUE\t/\tTRUE\t1999999999\ttwid\tu%3D42\n"
    )
    cookies = load_cookies(path)
    assert (cookies.auth_token, cookies.ct0, cookies.user_id) == (AUTH, CT0, "42")


def test_x_com_wins_over_twitter_com(tmp_path):
    """When a file has both domains, the current x.com cookies are used."""
    path = tmp_path / "cookies.txt"
    path.write_text(
        f".x.com\tTRUE\t/\tTRUE\t0\tauth_token\t{AUTH}\n"
        ".twitter.com\tTRUE\t/\tTRUE\t0\tauth_token\told\n"
        f".twitter.com\tTRUE\t/\tTRUE\t0\tct0\t{CT0}\n"
    )
    cookies = load_cookies(path)
    assert (cookies.auth_token, cookies.ct0) == (AUTH, CT0)


def test_environment():
    """source None reads NOTIFIER_AUTH_TOKEN and NOTIFIER_CT0 (and NOTIFIER_TWID)."""
    env = {"NOTIFIER_AUTH_TOKEN": f" {AUTH}\n", "NOTIFIER_CT0": CT0, "NOTIFIER_TWID": "u%3D7"}
    cookies = load_cookies(None, env=env)
    assert (cookies.auth_token, cookies.ct0, cookies.user_id, cookies.source) == (AUTH, CT0, "7", "the environment")


def test_environment_default_is_os_environ(monkeypatch):
    """Without an env mapping, the process environment is read."""
    monkeypatch.setenv("NOTIFIER_AUTH_TOKEN", AUTH)
    monkeypatch.setenv("NOTIFIER_CT0", CT0)
    assert load_cookies().auth_token == AUTH


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "NOTIFIER_AUTH_TOKEN and NOTIFIER_CT0 are not set"),
        ({"NOTIFIER_AUTH_TOKEN": AUTH}, "NOTIFIER_CT0 is not set"),
        ({"NOTIFIER_CT0": CT0, "NOTIFIER_AUTH_TOKEN": "  "}, "NOTIFIER_AUTH_TOKEN is not set"),
    ],
)
def test_environment_missing(env, named):
    """A missing variable is named, with how to supply it, and no value leaks."""
    with pytest.raises(CredentialsError) as info:
        load_cookies(None, env=env)
    assert named in str(info.value)
    assert "cookie file" in str(info.value)
    assert AUTH not in str(info.value) and CT0 not in str(info.value)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"ct0": CT0}, "auth_token missing"),
        ({"auth_token": AUTH}, "ct0 missing"),
        ({"auth_token": AUTH, "ct0": ""}, "ct0 missing"),
        ({}, "auth_token and ct0 missing"),
    ],
)
def test_mapping_missing(values, named):
    """Cookies lacking auth_token or ct0 are refused, naming what is missing and how to export it."""
    with pytest.raises(CredentialsError, match=named) as info:
        load_cookies(values)
    assert "export" in str(info.value)


def test_missing_file(tmp_path):
    """A cookie path that does not exist is named in the error."""
    with pytest.raises(CredentialsError, match="does not exist"):
        load_cookies(tmp_path / "nope.json")


def test_bad_json_names_file_not_content(tmp_path):
    """Broken JSON is reported with the file name, never its content."""
    path = tmp_path / "cookies.json"
    path.write_text('{"auth_token": "' + AUTH + '", ')
    with pytest.raises(CredentialsError, match="not valid JSON") as info:
        load_cookies(path)
    assert AUTH not in str(info.value)


def test_unrecognised_text_file(tmp_path):
    """A file that is neither JSON nor cookies.txt says which formats are expected."""
    path = tmp_path / "cookies.txt"
    path.write_text(f"auth_token={AUTH}; ct0={CT0}\n")
    with pytest.raises(CredentialsError, match="Netscape cookies.txt") as info:
        load_cookies(path)
    assert AUTH not in str(info.value)


def test_cookies_txt_without_x(tmp_path):
    """A browser export without any x.com cookie says so."""
    path = tmp_path / "cookies.txt"
    path.write_text(".example.com\tTRUE\t/\tFALSE\t0\tsid\tabc\n")
    with pytest.raises(CredentialsError, match="no cookies for x.com"):
        load_cookies(path)


def test_value_that_cannot_be_sent():
    """A ct0 with a space or ';' (a bad copy) is refused without echoing it."""
    with pytest.raises(CredentialsError, match="ct0 cookie") as info:
        load_cookies({"auth_token": AUTH, "ct0": "abc; def"})
    assert "abc; def" not in str(info.value)


def test_wrong_source_type():
    """An unsupported source type is a clear CredentialsError."""
    with pytest.raises(CredentialsError, match="cannot read cookies from a int"):
        load_cookies(42)  # type: ignore[arg-type]


def test_user_id_absent_or_odd():
    """No twid, or a twid that is not u=<digits>, means no own user id."""
    assert load_cookies({"auth_token": AUTH, "ct0": CT0}).user_id is None
    assert load_cookies({"auth_token": AUTH, "ct0": CT0, "twid": "x%3D5"}).user_id is None
    assert load_cookies({"auth_token": AUTH, "ct0": CT0, "twid": '"u=99"'}).user_id == "99"


def test_repr_and_str_mask_values():
    """repr, str and f-strings of Cookies show names and user id, never values."""
    cookies = load_cookies({"auth_token": AUTH, "ct0": CT0, "twid": "u%3D5"})
    for text in (repr(cookies), str(cookies), f"{cookies}", repr([cookies])):
        assert AUTH not in text and CT0 not in text
        assert "auth_token" in text and "'5'" in text


def test_cookies_passthrough():
    """A Cookies instance is accepted as is."""
    cookies = load_cookies({"auth_token": AUTH, "ct0": CT0})
    assert load_cookies(cookies) is cookies
    assert isinstance(cookies, Cookies)


def test_headers():
    """Requests carry the cookies, X-Csrf-Token = ct0 and the web app's headers."""
    headers = auth_headers(load_cookies({"auth_token": AUTH, "ct0": CT0, "twid": "u%3D5"}))
    assert headers["X-Csrf-Token"] == CT0
    assert headers["Authorization"] == f"Bearer {BEARER_TOKEN}"
    assert headers["X-Twitter-Auth-Type"] == "OAuth2Session"
    assert headers["X-Twitter-Active-User"] == "yes"
    assert headers["Referer"] == "https://x.com/"
    assert headers["User-Agent"].startswith("Mozilla/5.0")
    assert headers["Cookie"] == f"auth_token={AUTH}; ct0={CT0}; twid=u%3D5"
