"""The SQL behind duplicate detection, in score tiers that page without sorting every pair.

A pair's score is 40 per shared phone or email, +25 for the same name (same kind,
Persian-normalised name_key), or +10 for a similar-sounding Latin name. So every pair
sharing a phone or email (score ≥ 40) ranks above every name-only pair (25), which ranks
above every sound-only pair (10). Each tier is one query, paged with LIMIT/OFFSET:

1. strong: `GROUP BY number HAVING COUNT(*) BETWEEN 2 AND max_group` over the phone
   number index and the same over email addresses (index-only scans), the members of
   those small groups that the user may see, self-joined into pairs and ordered by score.
2. names: the same GROUP BY over the name_key index, streamed in key order with the
   members fetched by index, so a page stops after its rows instead of building all
   pairs (at a million identities common names give hundreds of thousands of pairs).
3. sounds (opt-in): a GROUP BY over the sound key expression; no index, a full scan.

Keys shared by more than max_group rows (a switchboard, a very common name) are no
evidence and are skipped. Only quoted table names, integer constants and Django's own
compiled SQL (the user's visibility rules) are put into the text; values are params.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection

from crm.identities.models import DuplicateDismissal, Email, Identity, Phone

STRONG, NAME, SOUND = 40, 25, 10
SOUND_MIN_LENGTH = 4

# The Latin "sound key": the first letter, then the rest without vowels and the letters
# that are often silent or dropped in transliteration (h, w, y), with repeated consonants
# collapsed: Mohammad / Muhammad / Mohamad → "mmd…", John Smith / Jon Smyth → "jnsmt".
# PostgreSQL computes it with translate() + regexp_replace(); SQLite (tests, development)
# calls the Python function, registered on the connection.
_DROPPED = "aeiouyhw'.-"
_CONSONANTS = "bcdfgjklmnpqrstvxz"
_REPEATS = re.compile(f"([{_CONSONANTS}])\\1+")
_SQLITE_FUNCTION = "crm_sound_key"


def sound_raw(name_key: str | None) -> str:
    if not name_key:
        return ""
    return name_key[0] + _REPEATS.sub(r"\1", name_key[1:].translate(str.maketrans("", "", _DROPPED)))


def sound_key(name_key: str) -> str:
    """The key of a Latin name ('' for names without Latin letters and very short keys)."""
    if not name_key or name_key.upper() == name_key:  # no cased letters: Persian has its own key
        return ""
    key = sound_raw(name_key)
    return key if len(key) >= SOUND_MIN_LENGTH else ""


def _sound(column: str) -> str:
    if connection.vendor != "postgresql":
        return f"{_SQLITE_FUNCTION}({column})"
    dropped = _DROPPED.replace("'", "''")
    return (
        f"(SUBSTR({column}, 1, 1) || regexp_replace(translate(SUBSTR({column}, 2), '{dropped}', ''), "
        f"'([{_CONSONANTS}])\\1+', '\\1', 'g'))"
    )


def prepare_connection(phonetic: bool) -> None:
    """PostgreSQL: no JIT (it costs seconds on these one-off plans); SQLite: the sound key function."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    elif phonetic and connection.vendor == "sqlite":
        connection.connection.create_function(_SQLITE_FUNCTION, 1, sound_raw, deterministic=True)


@dataclass
class Tier:
    sql: str  # SELECT a_id, b_id, score … (no ORDER BY, no LIMIT)
    params: list[Any]
    order: str  # the tier's ORDER BY
    # The tier is computed whole anyway (strong): each fetch also returns its size, so a
    # page that starts past its end needs no second run of it.
    counted: bool = False

    def fetch(self, limit: int, offset: int) -> tuple[list[tuple[int, int, int]], int | None]:
        """Rows [offset, offset + limit) and, when counted, the tier's size."""
        if self.counted:
            sql = (
                f"WITH tier AS MATERIALIZED ({self.sql}) SELECT a_id, b_id, score FROM ("  # noqa: S608
                f"SELECT a_id, b_id, score FROM tier ORDER BY {self.order} LIMIT %s OFFSET %s) page "
                f"UNION ALL SELECT NULL, NULL, COUNT(*) FROM tier"
            )
        else:
            sql = f"{self.sql} ORDER BY {self.order} LIMIT %s OFFSET %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*self.params, limit, offset])
            rows = cursor.fetchall()
        size = next((int(score) for a, _b, score in rows if a is None), None)
        return [(a, b, int(score)) for a, b, score in rows if a is not None], size

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({self.sql}) AS tier", self.params)  # noqa: S608
            return int(cursor.fetchone()[0])


@dataclass
class Tables:
    phone: str
    email: str
    ident: str
    dismissal: str

    @classmethod
    def quoted(cls) -> Tables:
        q = connection.ops.quote_name
        return cls(*(q(m._meta.db_table) for m in (Phone, Email, Identity, DuplicateDismissal)))


def _not_dismissed(t: Tables, a: str, b: str) -> str:
    return (
        f"NOT EXISTS (SELECT 1 FROM {t.dismissal} d "  # noqa: S608 - see the module docstring
        f"WHERE d.identity_a_id = {a} AND d.identity_b_id = {b})"
    )


def _shares_strong(t: Tables, a: str, b: str) -> str:
    """a and b share a phone or email of a small group: the pair belongs to the strong tier."""
    return (
        f"(EXISTS (SELECT 1 FROM {t.phone} pa JOIN {t.phone} pb ON pb.number = pa.number "  # noqa: S608
        f"WHERE pa.identity_id = {a} AND pb.identity_id = {b} "
        f"AND (SELECT COUNT(*) FROM {t.phone} pc WHERE pc.number = pa.number) <= %s) "
        f"OR EXISTS (SELECT 1 FROM {t.email} ea JOIN {t.email} eb ON eb.address = ea.address "
        f"WHERE ea.identity_id = {a} AND eb.identity_id = {b} "
        f"AND (SELECT COUNT(*) FROM {t.email} ec WHERE ec.address = ea.address) <= %s))"
    )


def _in_keys(column: str, cte: str) -> str:
    """PostgreSQL estimates a GROUP BY … HAVING at ~10 % of the rows and then hashes whole
    tables; an array of the keys makes it look them up in the index instead."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY(SELECT k FROM {cte}))"  # noqa: S608 - names, not values
    return f"{column} IN (SELECT k FROM {cte})"  # noqa: S608 - names, not values


def strong_tier(visible: str, vparams: list[Any], *, max_group: int, phonetic: bool) -> Tier:
    t = Tables.quoted()
    same_name = "ia.kind = ib.kind AND NOT ia.is_unknown AND NOT ib.is_unknown"
    bonus = f"WHEN {same_name} AND ia.name_key <> '' AND ia.name_key = ib.name_key THEN {NAME} "
    if phonetic:
        bonus += (
            f"WHEN {same_name} AND UPPER(ia.name_key) <> ia.name_key AND LENGTH({_sound('ia.name_key')}) >= "
            f"{SOUND_MIN_LENGTH} AND {_sound('ia.name_key')} = {_sound('ib.name_key')} THEN {SOUND} "
        )
    sql = (
        f"WITH dup_phones AS MATERIALIZED ("  # noqa: S608 - see the module docstring
        f"SELECT number AS k FROM {t.phone} GROUP BY number HAVING COUNT(*) BETWEEN 2 AND %s), "
        f"dup_emails AS MATERIALIZED ("
        f"SELECT address AS k FROM {t.email} GROUP BY address HAVING COUNT(*) BETWEEN 2 AND %s), "
        f"members AS MATERIALIZED ("
        f"SELECT 1 AS reason, p.number AS k, p.identity_id AS identity_id FROM {t.phone} p "
        f"WHERE {_in_keys('p.number', 'dup_phones')} AND p.identity_id IN ({visible}) "
        f"UNION SELECT 2, e.address, e.identity_id FROM {t.email} e "
        f"WHERE {_in_keys('e.address', 'dup_emails')} AND e.identity_id IN ({visible})), "
        f"pairs AS MATERIALIZED (SELECT a.identity_id AS a_id, b.identity_id AS b_id, COUNT(*) AS shared "
        f"FROM members a JOIN members b ON b.reason = a.reason AND b.k = a.k AND b.identity_id > a.identity_id "
        f"GROUP BY a.identity_id, b.identity_id) "
        f"SELECT p.a_id AS a_id, p.b_id AS b_id, {STRONG} * p.shared + CASE {bonus}ELSE 0 END AS score "
        f"FROM pairs p JOIN {t.ident} ia ON ia.id = p.a_id JOIN {t.ident} ib ON ib.id = p.b_id "
        f"WHERE {_not_dismissed(t, 'p.a_id', 'p.b_id')}"
    )
    return Tier(sql, [max_group, max_group, *vparams, *vparams], order="score DESC, a_id, b_id", counted=True)


def _key_tier(
    visible: str,
    vparams: list[Any],
    *,
    groups: str,
    key_a: str,
    key_b: str,
    extra: str,
    score: int,
    params: list[Any],
    max_group: int,
) -> Tier:
    t = Tables.quoted()
    sql = (
        f"SELECT a.id AS a_id, b.id AS b_id, {score} AS score FROM ({groups}) g "  # noqa: S608 - see the module docstring
        f"JOIN {t.ident} a ON {key_a} = g.k JOIN {t.ident} b ON {key_b} = g.k AND b.kind = a.kind AND b.id > a.id "
        f"WHERE NOT a.is_unknown AND NOT b.is_unknown {extra}"
        f"AND a.id IN ({visible}) AND b.id IN ({visible}) AND {_not_dismissed(t, 'a.id', 'b.id')} "
        f"AND NOT {_shares_strong(t, 'a.id', 'b.id')}"
    )
    return Tier(sql, [*params, *vparams, *vparams, max_group, max_group], order="g.k, a.id, b.id")


def name_tier(visible: str, vparams: list[Any], *, max_group: int) -> Tier:
    t = Tables.quoted()
    groups = (
        f"SELECT name_key AS k FROM {t.ident} WHERE name_key <> '' "  # noqa: S608 - see the module docstring
        f"GROUP BY name_key HAVING COUNT(*) BETWEEN 2 AND %s"
    )
    return _key_tier(
        visible,
        vparams,
        groups=groups,
        key_a="a.name_key",
        key_b="b.name_key",
        extra="",
        score=NAME,
        params=[max_group],
        max_group=max_group,
    )


def sound_tier(visible: str, vparams: list[Any], *, max_group: int) -> Tier:
    t = Tables.quoted()
    latin = "UPPER(name_key) <> name_key AND NOT is_unknown AND deleted_at IS NULL"
    groups = (
        f"SELECT {_sound('name_key')} AS k FROM {t.ident} WHERE {latin} "  # noqa: S608 - see the module docstring
        f"GROUP BY {_sound('name_key')} HAVING COUNT(*) BETWEEN 2 AND %s AND LENGTH({_sound('name_key')}) >= %s"
    )
    return _key_tier(
        visible,
        vparams,
        groups=groups,
        key_a=_sound("a.name_key"),
        key_b=_sound("b.name_key"),
        extra="AND a.name_key <> b.name_key ",
        score=SOUND,
        params=[max_group, SOUND_MIN_LENGTH],
        max_group=max_group,
    )


def page_of_pairs(tiers: list[Tier], *, limit: int, offset: int) -> list[tuple[int, int, int]]:
    """One page over the tiers in order. A streamed tier is counted only when the page
    starts past its end (then its pairs were all on earlier pages)."""
    rows: list[tuple[int, int, int]] = []
    for tier in tiers:
        if len(rows) >= limit:
            break
        got, size = tier.fetch(limit - len(rows), offset)
        if not got and offset:
            offset = max(0, offset - (size if size is not None else tier.count()))
        else:
            offset = 0
        rows += got
    return rows
