"""Likely duplicates (ID-10): pairs of identities a user may see that share a phone, an
email, a Persian-normalised name or (optionally) a similar-sounding Latin name, best first,
one page at a time. How the pairs are found cheaply at a million identities: see
candidate_queries. Python only loads and describes the page it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from crm.core.permissions.access import require, require_perm
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.merge import candidate_queries as queries
from crm.identities.merge.candidate_queries import sound_key
from crm.identities.models import DuplicateDismissal, Email, Identity, Phone
from crm.identities.phones import display_phone
from crm.identities.selectors import identity_base_for_user

MAX_GROUP = 25  # a key shared by more identities is no evidence (a switchboard, a very common name)
PHONE, EMAIL, NAME, SOUND = 1, 2, 3, 4
WEIGHTS = {PHONE: queries.STRONG, EMAIL: queries.STRONG, NAME: queries.NAME, SOUND: queries.SOUND}


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


def _visible_sql(user: Any) -> tuple[str, list[Any]]:
    """The user's visibility rules as SQL (raises EmptyResultSet when the user sees nothing)."""
    qs = identity_base_for_user(user=user).order_by().values("pk")
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def _reasons(a: Identity, b: Identity, *, phonetic: bool) -> list[Reason]:
    reasons = [
        Reason(PHONE, n) for n in sorted({p.number for p in a.phones.all()} & {p.number for p in b.phones.all()})
    ]
    reasons += [
        Reason(EMAIL, e) for e in sorted({e.address for e in a.emails.all()} & {e.address for e in b.emails.all()})
    ]
    if a.kind == b.kind and not (a.is_unknown or b.is_unknown):
        if a.name_key and a.name_key == b.name_key:
            reasons.append(Reason(NAME))
        elif phonetic and sound_key(a.name_key) and sound_key(a.name_key) == sound_key(b.name_key):
            reasons.append(Reason(SOUND))
    return reasons


def duplicate_candidates(*, user: Any, limit: int = 25, offset: int = 0, phonetic: bool = False) -> list[DuplicatePair]:
    """Likely duplicate pairs among the identities `user` may see, best first, one page.

    `phonetic` adds similar-sounding Latin names (slower: no index serves that key).
    Pairs someone marked "not duplicates" are left out.
    """
    try:
        visible, vparams = _visible_sql(user)
    except EmptyResultSet:  # the user may see no identity at all
        return []
    tiers = [
        queries.strong_tier(visible, vparams, max_group=MAX_GROUP, phonetic=phonetic),
        queries.name_tier(visible, vparams, max_group=MAX_GROUP),
    ]
    if phonetic:
        tiers.append(queries.sound_tier(visible, vparams, max_group=MAX_GROUP))
    with transaction.atomic():
        queries.prepare_connection(phonetic)
        rows = queries.page_of_pairs(tiers, limit=max(0, limit), offset=max(0, offset))
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
    return [
        DuplicatePair(a=by_pk[a], b=by_pk[b], score=score, reasons=_reasons(by_pk[a], by_pk[b], phonetic=phonetic))
        for a, b, score in rows
        if a in by_pk and b in by_pk
    ]


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
