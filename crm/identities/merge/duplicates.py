"""Likely duplicates (ID-10): pairs of identities a user may see that share a phone, an
email, a Persian-normalised name or (optionally) a similar-sounding Latin name.

How it stays cheap at a million identities: every signal is a `GROUP BY key HAVING
COUNT(*) BETWEEN 2 AND MAX_GROUP` over an indexed column (phone number, email address,
name_key), which PostgreSQL answers from the index alone. Only the members of those small
groups (a few per cent of the rows) are read back, restricted to what the user may see;
they are self-joined on (signal, key) into pairs, scored and paged in the database. Python
only describes the page it shows. Keys shared by more than MAX_GROUP identities (a company
switchboard, a very common name) are not evidence of a duplicate and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from crm.core.permissions.access import require, require_perm
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.models import DuplicateDismissal, Email, Identity, Phone
from crm.identities.phones import display_phone
from crm.identities.selectors import identity_base_for_user

MAX_GROUP = 25
PHONE, EMAIL, NAME, SOUND = 1, 2, 3, 4
WEIGHTS = {PHONE: 40, EMAIL: 40, NAME: 25, SOUND: 10}

# The Latin "sound key": the first letter, then the rest without vowels and the letters
# that are often silent or dropped in transliteration (h, w, y), with repeated consonants
# collapsed: Mohammad / Muhammad / Mohamad → "mmd", John Smith / Jon Smyth → "jnsmt".
# PostgreSQL computes it with translate() + regexp_replace(); SQLite (tests, development)
# calls the Python function below, registered on the connection.
_DROPPED = "aeiouyhw'.-"
_CONSONANTS = "bcdfgjklmnpqrstvxz"
_REPEATS = re.compile(f"([{_CONSONANTS}])\\1+")
SOUND_MIN_LENGTH = 4
_SQLITE_FUNCTION = "crm_sound_key"


def _sound_raw(name_key: str | None) -> str:
    if not name_key:
        return ""
    rest = _REPEATS.sub(r"\1", name_key[1:].translate(str.maketrans("", "", _DROPPED)))
    return name_key[0] + rest


def sound_key(name_key: str) -> str:
    """The key of a Latin name ('' for names without Latin letters and very short keys)."""
    if not name_key or name_key.upper() == name_key:  # no cased letters: Persian has its own key
        return ""
    key = _sound_raw(name_key)
    return key if len(key) >= SOUND_MIN_LENGTH else ""


def _sound_sql(column: str) -> str:
    if connection.vendor != "postgresql":
        return f"{_SQLITE_FUNCTION}({column})"
    dropped = _DROPPED.replace("'", "''")
    return (
        f"(SUBSTR({column}, 1, 1) || regexp_replace(translate(SUBSTR({column}, 2), '{dropped}', ''), "
        f"'([{_CONSONANTS}])\\1+', '\\1', 'g'))"
    )


def _register_sqlite_function() -> None:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function(_SQLITE_FUNCTION, 1, _sound_raw, deterministic=True)


@dataclass(frozen=True)
class Reason:
    kind: int
    value: str = ""

    @property
    def title(self) -> str:
        titles = {
            PHONE: _("same phone"),
            EMAIL: _("same email"),
            NAME: _("same name"),
            SOUND: _("similar-sounding name"),
        }
        return str(titles[self.kind])

    @property
    def shown_value(self) -> str:
        return display_phone(self.value, national=False) if self.kind == PHONE else self.value

    @property
    def label(self) -> str:
        """'same phone +98 912 123 4567', 'same name'."""
        return f"{self.title} {self.shown_value}".strip()

    @property
    def icon(self) -> str:
        return {PHONE: "bi-telephone", EMAIL: "bi-envelope", NAME: "bi-person", SOUND: "bi-soundwave"}[self.kind]


def suggested_survivor(a: Identity, b: Identity) -> Identity:
    """Keep the real one over an unknown contact, a customer over a non-customer, else the older."""
    return min((a, b), key=lambda i: (i.is_unknown, not i.customer_number, i.pk))


@dataclass
class DuplicatePair:
    a: Identity
    b: Identity
    score: int
    reasons: list[Reason] = field(default_factory=list)

    @property
    def survivor(self) -> Identity:
        return suggested_survivor(self.a, self.b)

    @property
    def merged(self) -> Identity:
        return self.b if self.survivor is self.a else self.a


def _visible_sql(user: Any) -> tuple[str, tuple[Any, ...]]:
    qs = identity_base_for_user(user=user).order_by().values("pk")
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def _pairs_sql(user: Any, *, phonetic: bool) -> tuple[str, list[Any]]:
    """The paged pairs query. Only quoted table names, integer constants and Django's own
    compiled SQL (the user's visibility rules) are put into the text; values are params."""
    q = connection.ops.quote_name
    phone, email, ident = q(Phone._meta.db_table), q(Email._meta.db_table), q(Identity._meta.db_table)
    dismissal = q(DuplicateDismissal._meta.db_table)
    visible, vparams = _visible_sql(user)
    parts = [
        (
            f"SELECT {PHONE} AS reason, p.number AS k, p.identity_id AS identity_id FROM {phone} p "  # noqa: S608 - see _pairs_sql
            f"WHERE p.number IN (SELECT number FROM {phone} GROUP BY number HAVING COUNT(*) BETWEEN 2 AND %s) "
            f"AND p.identity_id IN ({visible})",
            [MAX_GROUP, *vparams],
        ),
        (
            f"SELECT {EMAIL}, e.address, e.identity_id FROM {email} e "  # noqa: S608 - see _pairs_sql
            f"WHERE e.address IN (SELECT address FROM {email} GROUP BY address HAVING COUNT(*) BETWEEN 2 AND %s) "
            f"AND e.identity_id IN ({visible})",
            [MAX_GROUP, *vparams],
        ),
        (
            f"SELECT {NAME}, i.kind || ':' || i.name_key, i.id FROM {ident} i "  # noqa: S608 - see _pairs_sql
            f"WHERE i.name_key IN (SELECT name_key FROM {ident} WHERE name_key <> '' "
            f"GROUP BY name_key HAVING COUNT(*) BETWEEN 2 AND %s) AND i.is_unknown = %s AND i.id IN ({visible})",
            [MAX_GROUP, False, *vparams],
        ),
    ]
    if phonetic:  # no index on this expression: a full scan, hence opt-in
        inner, outer = _sound_sql("name_key"), _sound_sql("i.name_key")
        parts.append(
            (
                f"SELECT {SOUND}, i.kind || ':' || {outer}, i.id FROM {ident} i "  # noqa: S608 - see _pairs_sql
                f"WHERE UPPER(i.name_key) <> i.name_key AND i.is_unknown = %s AND {outer} IN ("
                f"SELECT {inner} FROM {ident} WHERE UPPER(name_key) <> name_key AND is_unknown = %s "
                f"AND deleted_at IS NULL GROUP BY {inner} HAVING COUNT(*) BETWEEN 2 AND %s AND LENGTH({inner}) >= %s) "
                f"AND i.id IN ({visible})",
                [False, False, MAX_GROUP, SOUND_MIN_LENGTH, *vparams],
            )
        )
    members = " UNION ".join(sql for sql, _params in parts)
    params = [p for _sql, ps in parts for p in ps]
    weights = " ".join(f"WHEN {k} THEN {w}" for k, w in WEIGHTS.items() if k != SOUND)
    # A similar-sounding name adds to the score only when the names are not already the same.
    sql = (
        f"WITH members AS ({members}) "  # noqa: S608 - see _pairs_sql
        f"SELECT a.identity_id, b.identity_id, SUM(CASE a.reason {weights} ELSE 0 END) + "
        f"CASE WHEN MAX(CASE WHEN a.reason = {SOUND} THEN 1 ELSE 0 END) = 1 "
        f"AND MAX(CASE WHEN a.reason = {NAME} THEN 1 ELSE 0 END) = 0 THEN {WEIGHTS[SOUND]} ELSE 0 END AS score "
        f"FROM members a JOIN members b ON b.reason = a.reason AND b.k = a.k AND b.identity_id > a.identity_id "
        f"WHERE NOT EXISTS (SELECT 1 FROM {dismissal} d "
        f"WHERE d.identity_a_id = a.identity_id AND d.identity_b_id = b.identity_id) "
        f"GROUP BY a.identity_id, b.identity_id ORDER BY score DESC, a.identity_id, b.identity_id "
        f"LIMIT %s OFFSET %s"
    )
    return sql, params


def _reasons(a: Identity, b: Identity) -> list[Reason]:
    reasons = [
        Reason(PHONE, n) for n in sorted({p.number for p in a.phones.all()} & {p.number for p in b.phones.all()})
    ]
    reasons += [
        Reason(EMAIL, e) for e in sorted({e.address for e in a.emails.all()} & {e.address for e in b.emails.all()})
    ]
    if a.kind == b.kind and not (a.is_unknown or b.is_unknown):
        if a.name_key and a.name_key == b.name_key:
            reasons.append(Reason(NAME))
        elif sound_key(a.name_key) and sound_key(a.name_key) == sound_key(b.name_key):
            reasons.append(Reason(SOUND))
    return reasons


def duplicate_candidates(*, user: Any, limit: int = 25, offset: int = 0, phonetic: bool = False) -> list[DuplicatePair]:
    """Likely duplicate pairs among the identities `user` may see, best first, one page.

    `phonetic` adds similar-sounding Latin names (slower: no index serves that key).
    Pairs someone marked "not duplicates" are left out.
    """
    try:
        sql, params = _pairs_sql(user, phonetic=phonetic)
    except EmptyResultSet:  # the user may see no identity at all
        return []
    if phonetic:
        _register_sqlite_function()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, max(0, limit), max(0, offset)])
        rows = cursor.fetchall()
    if not rows:
        return []
    ids = {pk for a, b, _score in rows for pk in (a, b)}
    identities = (
        identity_base_for_user(user=user)
        .filter(pk__in=ids)
        .prefetch_related(
            Prefetch("phones", queryset=Phone.objects.order_by("-is_primary", "id")),
            Prefetch("emails", queryset=Email.objects.order_by("-is_primary", "id")),
            "categories",
        )
    )
    by_pk = {i.pk: i for i in identities}
    pairs = []
    for a_id, b_id, score in rows:
        a, b = by_pk.get(a_id), by_pk.get(b_id)
        if a is not None and b is not None:
            pairs.append(DuplicatePair(a=a, b=b, score=int(score), reasons=_reasons(a, b)))
    return pairs


@transaction.atomic
def duplicate_dismiss(*, actor: Any, a: Identity, b: Identity) -> DuplicateDismissal:
    """Remember that a and b are different people (or organisations): never proposed again."""
    if a.pk == b.pk:
        raise IdentityError(IdentityErrorCode.MERGE_SAME)
    require_perm(actor, "identities.merge_identity")
    require(actor, "view", a)
    require(actor, "view", b)
    first, second = sorted((a.pk, b.pk))
    dismissal, _created = DuplicateDismissal.objects.get_or_create(
        identity_a_id=first,
        identity_b_id=second,
        defaults={"by": actor if getattr(actor, "is_authenticated", False) else None},
    )
    return dismissal
