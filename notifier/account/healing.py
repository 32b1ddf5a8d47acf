"""How the web API client heals itself when X changes (``docs/account.md`` says what the user sees).

The :class:`Healer` keeps what :class:`~notifier.account.web.XWebClient`
learned of X's web app and tries the remedies, each once per call, when X
rejects a GraphQL query:

* a GraphQL query answered with the stale-id 404 makes it read the current
  ids from the logged-in web app (:mod:`.webapp`) and ask once more with the
  new one; so does the first query of a run whose ids are older than a week.
  ``account.graphql`` in the rule file wins over anything found;
* a 400 naming feature flags that "cannot be null" adds them and asks once more;
* where X still answers 404 to a current id, it asks once more with the
  ``x-client-transaction-id`` header (:mod:`.transaction`) and remembers that
  the operation needs it.

What it learned (ids and when they were found, flags, operations needing the
header) is handed to ``save_learned`` for the state file and given back as
``learned`` at the next start.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from ..exceptions import QueryRejectedError, WebAPIError
from . import graphql
from .webapp import WebApp, read_web_app

if TYPE_CHECKING:
    from ..stream.auth import SessionCookies
    from .transaction import TransactionIds

__all__ = ["IDS_MAX_AGE", "Healer", "finite_number"]

log = logging.getLogger(__name__)

# Ids found longer ago than this are read again from the web app at the first query of a run.
IDS_MAX_AGE = 7 * 86400.0
# The web app is read at most this often (a 404 that persists must not fetch x.com every poll).
_READ_WEB_APP_EVERY = 600.0
# When the built-in ids were current (twscrape 0.20.1): their age, before anything was found.
_BUILT_IN_IDS_FOUND_AT = 1786060800.0  # 2026-08-07


class Healer:
    """What the web API client learned of X's web app, and the remedies it tries when X rejects a query.

    It reads the web app over the client's ``http`` connections with its
    ``session`` cookies and ``timeout``; ``overrides`` (the rule file's
    ``account.graphql``) win over any id found. ``learned`` and
    ``save_learned``: see :class:`~notifier.account.web.XWebClient`.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        session: SessionCookies,
        *,
        api_base: str,
        web_base: str,
        overrides: Mapping[str, str],
        learned: Mapping[str, Any] | None,
        save_learned: Callable[[dict[str, Any]], None],
        timeout: float,
        clock: Callable[[], float],
    ) -> None:
        self._http = http
        self._session = session
        self.api_base = api_base
        self.web_base = web_base
        self._overrides = dict(overrides)
        self._found, self._found_at, self._features, self._needs_transaction = _read_learned(learned)
        self._save_learned = save_learned
        self._timeout = timeout
        self._clock = clock
        self._query_ids = self._effective_ids()
        self._age_checked = False
        self._web_app: WebApp | None = None
        self._web_app_read_at: float | None = None
        self._web_app_error = ""
        # (operation, id) pairs whose 404 already made the client read the web app.
        self._read_for: set[tuple[str, str]] = set()
        self._transaction: TransactionIds | None = None
        self._transaction_error = ""
        self._transaction_tried_for: WebApp | None = None

    @property
    def query_ids(self) -> Mapping[str, str]:
        """The GraphQL query id in use for each operation: found, unless the rule file names one."""
        return self._query_ids

    @property
    def features(self) -> Mapping[str, bool]:
        """The feature flags X asked for beyond :data:`~notifier.account.graphql.FEATURES`."""
        return self._features

    def learned(self) -> dict[str, Any]:
        """What was learned of X's web app, for the state file (see ``learned``)."""
        return {
            "found_at": self._found_at,
            "query_ids": dict(self._found),
            "features": dict(self._features),
            "transaction": sorted(self._needs_transaction),
        }


    async def recover(self, operation: str, exc: QueryRejectedError, done: set[str], tried: list[str]) -> bool:
        """Whether to ask again after ``exc``: each remedy is tried once per call, in this order."""
        if exc.status_code == 400 and exc.features and "features" not in done:
            done.add("features")
            new = [name for name in exc.features if name not in self._features and name not in graphql.FEATURES]
            if not new:
                return False
            # X only asks that they be set; false keeps the answer's layout as notifier knows it.
            self._features.update(dict.fromkeys(new, False))
            self._save()
            log.warning("X wants the feature flags %s for %s: sending them from now on", ", ".join(new), operation,
                        extra={"event": "graphql_features_learned", "operation": operation})
            tried.append(f"added the feature flags X named ({', '.join(new)})")
            return True
        if exc.status_code != 404:
            return False
        if "ids" not in done:
            done.add("ids")
            if operation in self._overrides:
                tried.append(f"kept the id account.graphql.{operation} of the rule file, which wins over x.com's web app")
            else:
                found = await self._read_web_app(f"{operation} answered 404", (operation, exc.query_id))
                new_id = found.get(operation) if found is not None else None
                if new_id is not None and new_id != exc.query_id:
                    tried.append(f"read the current id {new_id} from x.com's web app")
                    return True
                if found is None:
                    tried.append(f"could not read x.com's web app at {self.web_base} ({self._web_app_error})")
                elif new_id is None:
                    tried.append(f"x.com's web app at {self.web_base} names no id for {operation}")
                else:
                    tried.append(f"x.com's web app names the same id {new_id}")
        if "transaction" not in done:
            done.add("transaction")
            if operation in self._needs_transaction:
                return False
            why = await self._transaction_unavailable()
            if why is not None:
                tried.append(f"could not compute the x-client-transaction-id header X may want ({why})")
                return False
            self._needs_transaction.add(operation)
            self._save()
            log.warning("X answers 404 to %s with a current id: asking with the x-client-transaction-id header",
                        operation, extra={"event": "transaction_id_needed", "operation": operation})
            tried.append("asked again with the x-client-transaction-id header")
            done.add("transaction-added")
            return True
        if "transaction-added" in done:
            self._needs_transaction.discard(operation)  # the header did not help: do not send it from now on
            self._save()
        return False

    async def refresh_old_ids(self) -> None:
        """At the first query of a run: read the web app again when the ids in use are over a week old."""
        if self._age_checked:
            return
        self._age_checked = True
        found_at = self._found_at if self._found_at is not None else _BUILT_IN_IDS_FOUND_AT
        age = self._clock() - found_at
        if age > IDS_MAX_AGE:
            await self._read_web_app(f"the query ids in use are {age / 86400:.0f} days old")

    async def _read_web_app(self, why: str, trigger: tuple[str, str] | None = None) -> Mapping[str, str] | None:
        """The query ids x.com's web app uses now; None if unreadable.

        The first 404 of each (operation, id) reads at once (X rotated since the
        last read); otherwise the app is read at most every _READ_WEB_APP_EVERY,
        so a 404 nothing cures does not fetch x.com's page at every poll.
        """
        now = self._clock()
        fresh = trigger is not None and trigger not in self._read_for
        if fresh:
            self._read_for.add(trigger)  # type: ignore[arg-type]
        recent = self._web_app_read_at is not None and now - self._web_app_read_at < _READ_WEB_APP_EVERY
        if recent and not fresh:
            return self._web_app.query_ids if self._web_app is not None else None
        self._web_app_read_at = now
        try:
            app = await read_web_app(
                self._http, self.web_base, self._session.cookies, wanted=graphql.OPERATIONS, timeout=self._timeout
            )
        except WebAPIError as exc:
            self._web_app_error = str(exc)
            log.warning("cannot read the current query ids from x.com's web app (%s): %s", why, exc,
                        extra={"event": "graphql_ids_unreadable"})
            return None
        self._web_app = app
        self._transaction = None  # computed again from this reading when needed
        known = {op: qid for op, qid in app.query_ids.items() if op in graphql.OPERATIONS}
        changed = sorted(op for op, qid in known.items() if self._found.get(op, graphql.DEFAULT_QUERY_IDS[op]) != qid)
        self._found.update(known)
        self._found_at = now
        self._query_ids = self._effective_ids()
        self._save()
        log.info(
            "read the current query ids from x.com's web app (%s): %s", why,
            f"new ids for {', '.join(changed)}" if changed else "no change",
            extra={"event": "graphql_ids_read", "changed": changed},
        )
        stale = sorted(op for op in self._overrides if op in known and known[op] != self._overrides[op])
        for op in stale:
            log.warning("account.graphql.%s in the rule file (%s) is not the id x.com's web app uses now (%s); "
                        "the rule file wins: update or remove it", op, self._overrides[op], known[op],
                        extra={"event": "graphql_override_differs", "operation": op})
        return known

    async def transaction_headers(self, operation: str, path: str) -> dict[str, str] | None:
        """``x-client-transaction-id`` for operations known to need it; None otherwise."""
        if operation not in self._needs_transaction or await self._transaction_unavailable() is not None:
            return None
        assert self._transaction is not None
        value = self._transaction.make("GET", httpx.URL(self.api_base + path).path)
        return {"x-client-transaction-id": value} if value else None

    async def _transaction_unavailable(self) -> str | None:
        """Why the x-client-transaction-id header cannot be computed; None when it can."""
        if self._transaction is not None:
            return None
        if self._web_app is None and await self._read_web_app("to compute x-client-transaction-id") is None:
            return self._web_app_error or "x.com's web app could not be read"
        if self._web_app is None:
            return "x.com's web app could not be read"
        if self._transaction_error and self._transaction_tried_for is self._web_app:
            return self._transaction_error
        self._transaction_tried_for = self._web_app
        from .transaction import TransactionIds  # noqa: PLC0415 - its third-party parts load only when needed

        try:
            self._transaction = await TransactionIds.from_web_app(self._web_app, self._http, self._timeout)
        except WebAPIError as exc:
            self._transaction_error = str(exc)
            log.warning("cannot compute the x-client-transaction-id header: %s", exc,
                        extra={"event": "transaction_id_unavailable"})
            return self._transaction_error
        self._transaction_error = ""
        return None

    def _effective_ids(self) -> dict[str, str]:
        return {**graphql.DEFAULT_QUERY_IDS, **self._found, **self._overrides}

    def _save(self) -> None:
        self._save_learned(self.learned())


def _read_learned(entry: Mapping[str, Any] | None) -> tuple[dict[str, str], float | None, dict[str, bool], set[str]]:
    """What :meth:`Healer.learned` saved; anything unreadable is left out (and learned again)."""
    if not isinstance(entry, Mapping):
        return {}, None, {}, set()
    ids: dict[str, str] = {}
    raw_ids = entry.get("query_ids")
    for operation, query_id in (raw_ids.items() if isinstance(raw_ids, Mapping) else ()):
        try:
            ids.update({operation: graphql.query_ids({operation: query_id})[operation]})
        except ValueError:
            continue
    found_at = finite_number(str(entry.get("found_at"))) if entry.get("found_at") is not None else None
    raw_features = entry.get("features")
    features = {
        name: value for name, value in (raw_features.items() if isinstance(raw_features, Mapping) else ())
        if isinstance(name, str) and isinstance(value, bool)
    }
    raw_ops = entry.get("transaction")
    needs = {op for op in (raw_ops if isinstance(raw_ops, list) else ()) if op in graphql.OPERATIONS}
    return ids, found_at, features, needs


def finite_number(value: str | None) -> float | None:
    """A finite number read from text (a header, a saved time); None for anything else."""
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None

