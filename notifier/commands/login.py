"""``notifier login [RULES]``: check the cookies of a browser session and save them for the rule file.

notifier never sees a password: it signs in with the ``auth_token`` and
``ct0`` cookies of a browser already logged in to x.com. This command takes
them (typed at hidden prompts, piped on standard input, or read from a
browser's cookie export), asks X once who they belong to, and writes them
where the rule file's ``account.cookies`` looks, readable by the owner only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..exitcodes import EXIT_AUTH, EXIT_FAILURE, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from ..account.identity import Identity
    from ..stream.auth import Cookies

__all__ = ["add_parser", "login"]

# One screen (24 lines of 80 columns, tests/test_help.py); the rest is in the docs.
_DESCRIPTION = """\
Check the X session cookies of a browser logged in to x.com with one request
to X, then save them (JSON, mode 600) where RULES' account.cookies points, else
to cookies.json beside RULES. They come from --from-file (cookies.txt or JSON),
else standard input (a Cookie header or name=value lines), else hidden prompts
for auth_token and ct0. In a browser: developer tools > Application (Firefox:
Storage) > Cookies > https://x.com. A file that is not a cookies file is kept
unless --force. Exit codes: 0 saved, 1 X could not be asked, 2 missing or
unusable input, 3 X rejected the cookies."""

_EXAMPLE = """\
example:
  printf 'auth_token=%s; ct0=%s\\n' "$TOKEN" "$CT0" | notifier login rules.yaml"""

_COOKIE_NAMES = ("auth_token", "ct0", "twid")
_TWID_NOTE = (
    "No twid cookie was given: twid (u%3D<user id>, beside auth_token and ct0 in the browser) says which\n"
    "account the cookies belong to. X said it is user {user_id}; notifier saves it as twid, so it knows\n"
    "its own posts and messages from the start without asking X (whose account settings may not answer)."
)
_HOW_TO_GIVE = (
    "pipe 'auth_token=...; ct0=...' on standard input, run notifier login in a terminal "
    "to paste them, or give --from-file with a browser's cookie export"
)
# Short values such as lang=en are not secrets, and masking them would garble ordinary words.
_MIN_SECRET = 8


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "login", help="check X session cookies and save them for a rule file",
        usage="%(prog)s [RULES] [options]",
        description=_DESCRIPTION, epilog=_EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "rules", metavar="RULES", nargs="?",
        help="the rule file whose account.cookies to write",
    )
    parser.add_argument(
        "--from-file", metavar="FILE",
        help="a browser's cookie export (cookies.txt or JSON)",
    )
    parser.add_argument("-o", "--output", metavar="PATH", help="write the cookies here instead")
    parser.add_argument(
        "--force", action="store_true",
        help="replace PATH even if it is not a cookies file",
    )
    parser.set_defaults(func=login)
    return parser


def login(args: argparse.Namespace) -> int:
    """Entry point of ``notifier login``; returns the exit code."""
    from ..exceptions import CredentialsError, RuleFileError
    from ..logs import configure_logging

    # Nothing is logged on purpose, but whatever a library logs passes the secret filter.
    configure_logging()
    # Where the cookies go is settled before any are asked for: a typo in
    # RULES should not cost the user a paste.
    try:
        output, hint = _destination(args.rules, args.output)
    except RuleFileError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    source = Path(args.from_file).expanduser() if args.from_file else None
    keep = _same_file(source, output) and not _is_cookies_file(output) and not args.force
    problem = None if keep else _unsafe_to_replace(output, args.force)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE

    try:
        cookies = _read_cookies(source)
    except CredentialsError as exc:
        print(f"notifier login: {exc}", file=sys.stderr)
        return EXIT_USAGE
    had_twid = cookies.user_id is not None
    outcome = _ask_x(cookies)
    if isinstance(outcome, int):
        return outcome
    identity, cookies = outcome

    print(f"signed in as @{identity.handle}" if identity.handle else f"signed in as user {identity.user_id}")
    if not had_twid:
        print(_TWID_NOTE.format(user_id=identity.user_id))
        cookies = _with_twid(cookies, identity.user_id)
    if keep:
        # The rule file already reads this export; rewriting it would drop the rest of it.
        print(f"{output} already holds these cookies; left as it is")
    else:
        # Say what was there before, so a replaced file is never a surprise.
        done = "wrote" if not output.exists() else "replaced the cookies in" if _is_cookies_file(output) else "replaced"
        try:
            _write(output, cookies)
        except OSError as exc:
            print(f"cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILURE
        print(f"{done} {output} (readable by you only)")
    if hint:
        print(hint)
    return EXIT_OK


def _destination(rules: str | None, output: str | None) -> tuple[Path, str | None]:
    """Where to write, and a hint when the rule file will not read it yet."""
    if rules is None:
        return Path(output or "cookies.json").expanduser(), None
    # Imported from the package, not its module: the rule-file loader's home may move.
    from .. import load_rules

    ruleset = load_rules(rules)
    named = Path(ruleset.account_cookies) if ruleset.account_cookies else None
    chosen = Path(output).expanduser() if output is not None else named or Path(rules).parent / "cookies.json"
    if named is None:
        relative = os.path.relpath(chosen.absolute(), Path(rules).parent.absolute())
        return chosen, (
            f"{rules} does not name the file yet; add these lines to it so `notifier run` uses it:\n"
            f"account:\n  cookies: {relative}"
        )
    if chosen.absolute() != named.absolute():
        return chosen, (
            f"{rules} reads its cookies from {named}: change account.cookies, or run with --cookies {chosen}"
        )
    return chosen, None


def _same_file(source: Path | None, output: Path) -> bool:
    try:
        return source is not None and output.exists() and os.path.samefile(source, output)
    except OSError:
        return False


def _is_cookies_file(path: Path) -> bool:
    """A flat JSON object of cookies, as this command (and twikit) writes: safe to replace."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8-sig") or "{}")
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and (not data or "auth_token" in data or "ct0" in data)


def _unsafe_to_replace(path: Path, force: bool) -> str | None:
    """Why ``path`` must not be overwritten (without --force), or None."""
    if path.is_dir():
        return f"{path} is a folder: give --output the path of a file"
    if force or not path.exists() or _is_cookies_file(path):
        return None
    return (
        f"{path} exists and is not a cookies file this command writes (a browser export, or "
        "another file): give another --output, or --force to replace it"
    )


def _read_cookies(source: Path | None) -> Cookies:
    """The cookies from ``source``, standard input or the prompts; CredentialsError if unusable."""
    from ..exceptions import CredentialsError
    from ..logs import add_secrets
    from ..stream.auth import Cookies, load_cookies

    if source is not None:
        cookies = load_cookies(source)
        add_secrets(*(value for _, value in cookies.items if len(value) >= _MIN_SECRET))
        values = dict(cookies.items)
        where = str(source)
    elif sys.stdin is not None and not sys.stdin.isatty():
        values = _parse_pasted(sys.stdin.read())
        add_secrets(*(value for value in values.values() if len(value) >= _MIN_SECRET))
        where = "standard input"
    else:
        values = _prompt()
        where = "what was pasted"
    kept = {name: values[name] for name in _COOKIE_NAMES if values.get(name)}
    missing = [name for name in ("auth_token", "ct0") if name not in kept]
    if missing:
        raise CredentialsError(f"{' and '.join(missing)} missing from {where}: {_HOW_TO_GIVE}")
    return Cookies.from_mapping(kept, where)


def _parse_pasted(text: str) -> dict[str, str]:
    """``name=value`` pairs from a Cookie header or lines of them; other text is ignored.

    The text is never echoed back, even in an error: it may hold nothing but secrets.
    """
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line[:7].lower() == "cookie:":
            line = line[7:]
        for part in line.split(";"):
            name, equals, value = part.partition("=")
            if equals and name.strip() in _COOKIE_NAMES and value.strip():
                values[name.strip()] = value.strip()
    return values


def _prompt() -> dict[str, str]:
    """Ask for each cookie at a prompt that does not echo."""
    import getpass

    from ..logs import add_secrets

    print(
        "Paste the cookies of a browser logged in to x.com (developer tools > Application >\n"
        "Cookies > https://x.com). What you paste is not shown.",
        file=sys.stderr,
    )
    values = {}
    for name, prompt in (("auth_token", "auth_token: "), ("ct0", "ct0: "), ("twid", "twid (Enter to skip): ")):
        try:
            value = getpass.getpass(prompt).strip()
        except EOFError:
            value = ""
        add_secrets(value if len(value) >= _MIN_SECRET else None)
        values[name] = value
        if not value and name != "twid":
            break  # the missing one is reported once, after the prompts
    return values


def _with_twid(cookies: Cookies, user_id: str) -> Cookies:
    """``cookies`` plus the ``twid`` X's answer implies, so ``notifier run`` knows the account without asking."""
    from ..stream.auth import Cookies

    return Cookies((*cookies.items, ("twid", f"u%3D{user_id}")), cookies.source)


def _ask_x(cookies: Cookies) -> tuple[Identity, Cookies] | int:
    """Who X says the cookies belong to, with ``ct0`` as X last set it; or the exit code."""
    import asyncio

    from ..account import XWebClient
    from ..account.identity import who_am_i
    from ..exceptions import AuthenticationError, RateLimitedError, WebAPIError

    async def ask() -> tuple[Identity, Cookies]:
        async with XWebClient(cookies) as client:
            identity = await who_am_i(client)
            return identity, client.cookies

    try:
        return asyncio.run(ask())
    except AuthenticationError:
        print(
            "X rejected these cookies: log in to x.com in a browser and copy fresh auth_token and ct0",
            file=sys.stderr,
        )
        return EXIT_AUTH
    except (WebAPIError, RateLimitedError) as exc:
        print(f"could not check the cookies with X: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except ValueError as exc:  # NOTIFIER_WEB_API_BASE is not a URL
        print(f"notifier login: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _write(path: Path, cookies: Cookies) -> None:
    """Write the cookies as JSON, mode 600, replacing ``path`` in one step."""
    import json

    from ..stream.auth import write_private

    write_private(path, json.dumps({name: value for name, value in cookies.items if name in _COOKIE_NAMES}, indent=2) + "\n")
