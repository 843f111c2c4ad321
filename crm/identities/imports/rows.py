"""Checking imported rows with the rules identity_create applies, and writing good ones in
bulk. Every problem of a row is reported (not only the first), as {row, field, column,
message, level}; warnings (a phone that another identity already has) keep the row."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.core.bulk import InstanceFactory, bulk_insert, bulk_insert_rows
from crm.core.customfields.models import CustomFieldDefinition
from crm.core.customfields.services import custom_values_apply
from crm.core.errors import CoreError
from crm.core.i18n.calendars import parse_user_date
from crm.core.i18n.digits import to_latin_digits
from crm.core.i18n.search import normalize_compact
from crm.core.timeline.services import timeline_record_new
from crm.identities.errors import IdentityError, IdentityErrorCode
from crm.identities.events import IMPORT_ITEM_TYPE
from crm.identities.imports.readers import SourceRow
from crm.identities.models import Address, Email, Identity, IdentityCategory, Phone, Website
from crm.identities.services import clean_emails, clean_phones, identity_names
from crm.identities.vcard import parse_birthday

TEXT_FIELDS = ("title", "first_name", "last_name", "organisation_name", "notes", "class_code")
DIGIT_FIELDS = ("national_id", "customer_number")
PHONE_FIELD_OF_KIND = {"mobile": "mobile", "fax": "fax"}  # every other kind was a "phone" column
PHONE_ORDER = {"mobile": 0, "fax": 2}  # the first phone is the primary one: a mobile if there is one
_KIND_WORDS = {
    Identity.Kind.PERSON: ["person", "individual", "people", "حقیقی", "شخص", "فرد", "фізична особа", "особа"],
    Identity.Kind.ORGANISATION: [
        "organisation",
        "organization",
        "company",
        "business",
        "org",
        "حقوقی",
        "سازمان",
        "شرکت",
        "організація",
        "компанія",
        "юридична особа",
    ],
}
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_BLANK_DATES = {"0/0/00", "00/00/0000", "0000-00-00", "0"}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class NewInstance(InstanceFactory):
    """InstanceFactory plus the model's field checks on the fields a row gave."""

    def clean(self, obj: Any, given: set[str]) -> None:
        """Lengths, choices and formats of the given fields; the others keep their defaults,
        which are valid."""
        obj.full_clean(
            exclude=[n for n in self.names if n not in given], validate_unique=False, validate_constraints=False
        )


@dataclass
class Prepared:
    """A good row: an unsaved identity and its children, ready for bulk insert."""

    row: int
    identity: Identity
    phones: list[Phone] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    websites: list[Website] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)


def _choice_index(choices: Any, words: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Stored value, its label in every language, and extra words → stored value."""
    index: dict[str, str] = {}
    for value, label in choices:
        if not value:
            continue
        index[normalize_compact(value)] = value
        for language in ("en", "fa", "uk"):
            with translation.override(language):
                index[normalize_compact(str(label))] = value
    for value, extra in (words or {}).items():
        index.update({normalize_compact(word): value for word in extra})
    return index


def _iso(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_import_date(value: Any) -> dt.date | None:
    """ISO, Jalali (1370/05/12, ۱۳۷۰/۰۵/۱۲), day-first, or month-first when day-first is impossible."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = to_latin_digits(str(value)).strip()
    if re.fullmatch(r"\d{8}|--\d{2}-?\d{2}", text):  # 19910803, and --0803 (no year) as vCard writes them
        return _iso(parse_birthday(text))
    day = parse_user_date(text)
    if day is None and (match := _US_DATE.match(text)):
        try:
            day = dt.date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
        except ValueError:
            day = None
    return day


class RowChecker:
    """Validates rows one by one, remembering what earlier rows of the file used."""

    def __init__(
        self,
        *,
        actor: Any,
        source: str,
        definitions: list[CustomFieldDefinition],
        categories: dict[str, int],
        default_category_id: int | None,
    ) -> None:
        self.actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        self.source = source[:60]
        self.definitions = definitions
        self.categories = categories  # normalised name → id, only those the actor may use
        self.default_category_id = default_category_id
        self.new_identity = NewInstance(Identity)
        self.new_child = {Address: NewInstance(Address), Website: NewInstance(Website)}
        self.kinds = _choice_index(Identity.Kind.choices, _KIND_WORDS)
        self.colours = _choice_index(Identity.Colour.choices)
        self.phone_rows: dict[str, int] = {}
        self.email_rows: dict[str, int] = {}
        self.number_rows: dict[str, int] = {}

    # -- one row ------------------------------------------------------------------------

    def check(self, src: SourceRow) -> tuple[Prepared | None, list[dict[str, Any]]]:
        problems: list[dict[str, Any]] = []

        def problem(name: str, column: str, message: str, level: str = "error") -> None:
            problems.append({"row": src.row, "field": name, "column": column, "message": str(message), "level": level})

        values = self._scalars(src, problem)
        identity = self.new_identity({**values, "created_by_id": self.actor_id, "source": self.source})
        identity_names(identity)
        if not identity.display_name:
            problem("first_name", "", IdentityError.messages[IdentityErrorCode.NAME_REQUIRED])
        self._custom(identity, src, problem)
        reported = {p["field"] for p in problems}
        self._full_clean(identity, {name for name in values if name not in reported}, src, problem)
        prepared = Prepared(row=src.row, identity=identity)
        prepared.phones = self._phones(src, problem)
        prepared.emails = self._emails(src, problem)
        prepared.addresses = self._children(Address, [(a, c) for a, c in src.addresses], "address", problem)
        prepared.websites = self._children(
            Website, [({"url": self._url(u)}, c) for u, c in src.websites], "website", problem
        )
        prepared.category_ids = self._categories(src, problem)
        if any(p["level"] == "error" for p in problems):
            return None, problems
        self._remember(prepared)
        return prepared, problems

    def _scalars(self, src: SourceRow, problem: Any) -> dict[str, Any]:
        raw = {
            name: (str(value).replace("\x00", "").strip() if not isinstance(value, dt.date) else value, column)
            for name, (value, column) in src.values.items()
        }
        values: dict[str, Any] = {name: raw[name][0] for name in TEXT_FIELDS if name in raw}
        values |= {name: to_latin_digits(raw[name][0]) for name in DIGIT_FIELDS if name in raw}
        kind = Identity.Kind.PERSON
        if "kind" in raw:
            kind = self.kinds.get(normalize_compact(raw["kind"][0]), "")
            if not kind:
                problem(
                    "kind",
                    raw["kind"][1],
                    _("“%(value)s” is neither a person nor an organisation.") % {"value": raw["kind"][0][:40]},
                )
                kind = Identity.Kind.PERSON
        elif (
            values.get("organisation_name")
            and not (values.get("first_name") or values.get("last_name"))
            and "full_name" not in raw
        ):
            kind = Identity.Kind.ORGANISATION
        values["kind"] = kind
        if "full_name" in raw:
            if kind == Identity.Kind.ORGANISATION:
                values.setdefault("organisation_name", raw["full_name"][0])
            elif not (values.get("first_name") or values.get("last_name")):
                values["last_name"] = raw["full_name"][0]
        if "colour" in raw:
            values["colour"] = self.colours.get(normalize_compact(raw["colour"][0]), raw["colour"][0])
        if "birth_date" in raw:
            value, column = raw["birth_date"]
            text = str(value)
            if text and text not in _BLANK_DATES:
                values["birth_date"] = parse_import_date(value)
                if values["birth_date"] is None:
                    problem(
                        "birth_date",
                        column,
                        _("“%(value)s” is not a date (write 1370/05/12 or 1991-08-03).") % {"value": text[:40]},
                    )
        if "customer_number" in values and not values["customer_number"]:
            values["customer_number"] = None
        return values

    def _custom(self, identity: Identity, src: SourceRow, problem: Any) -> None:
        if not self.definitions:
            for key, (_value, column) in src.custom.items():
                problem(f"custom.{key}", column, _("Unknown field."))
            return
        data = {
            key: value.isoformat() if isinstance(value, dt.date) else value
            for key, (value, _column) in src.custom.items()
        }
        try:
            custom_values_apply(obj=identity, data=data, definitions=self.definitions)
        except CoreError as exc:
            for key, message in exc.fields.items():
                problem(f"custom.{key}", src.custom.get(key, ("", ""))[1], message)

    def _full_clean(self, identity: Identity, given: set[str], src: SourceRow, problem: Any) -> None:
        try:
            self.new_identity.clean(identity, given)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = src.values.get(name, ("", ""))[1]
                for message in messages:
                    problem(name, column, message)

    def _phones(self, src: SourceRow, problem: Any) -> list[Phone]:
        """clean_phones on the row's numbers (mobiles first: the first is the primary one);
        when it refuses one, number by number, to say which."""
        given = src.phones if len(src.phones) < 2 else sorted(src.phones, key=lambda p: PHONE_ORDER.get(p[0], 1))
        if not given:
            return []
        try:
            phones = clean_phones([{"number": raw, "kind": kind} for kind, raw, _column in given])
        except IdentityError:
            valid = []
            for kind, raw, column in given:
                try:
                    clean_phones([{"number": raw}])
                except IdentityError as exc:
                    problem(PHONE_FIELD_OF_KIND.get(kind, "phone"), column, exc.message)
                else:
                    valid.append({"number": raw, "kind": kind})
            phones = clean_phones(valid)
        for phone in phones:
            if phone.number in self.phone_rows:
                message = _("%(value)s is also in row %(row)s.")
                problem("phone", "", message % {"value": phone.number, "row": self.phone_rows[phone.number]}, "warning")
        return phones

    def _emails(self, src: SourceRow, problem: Any) -> list[Email]:
        """clean_emails on the row's addresses; when it refuses one, address by address."""
        if not src.emails:
            return []
        limit = Email._meta.get_field("address").max_length
        try:
            emails = clean_emails([raw for raw, _column in src.emails])
            if any(len(e.address) > limit for e in emails):
                raise IdentityError(IdentityErrorCode.INVALID_EMAIL, value="")
        except IdentityError:
            valid = []
            for raw, column in src.emails:
                try:
                    cleaned = clean_emails([raw])
                    if cleaned and len(cleaned[0].address) > limit:
                        raise IdentityError(IdentityErrorCode.INVALID_EMAIL, value=raw[:80])
                except IdentityError as exc:
                    problem("email", column, exc.message)
                else:
                    valid.append(raw)
            emails = clean_emails(valid)
        for email in emails:
            if email.address in self.email_rows:
                message = _("%(value)s is also in row %(row)s.")
                problem(
                    "email", "", message % {"value": email.address, "row": self.email_rows[email.address]}, "warning"
                )
        return emails

    @staticmethod
    def _url(url: str) -> str:
        url = url.strip()
        return url if _SCHEME.match(url) else f"https://{url}"

    def _children(self, model: type, items: list[tuple[dict[str, str], str]], name: str, problem: Any) -> list[Any]:
        good = []
        for given, column in items:
            values = {k: str(v).replace("\x00", "").strip() for k, v in given.items() if v}
            if model is Address and not values.get("line"):  # keep a city given without a street
                values["line"] = "، ".join(v for v in (values.get("city"), values.get("province")) if v)
                if not values["line"]:
                    continue
            child = self.new_child[model](values)
            try:
                self.new_child[model].clean(child, set(values))
            except ValidationError as exc:
                for messages in exc.message_dict.values():
                    for message in messages:
                        problem(name, column, message)
                continue
            good.append(child)
        return good

    def _categories(self, src: SourceRow, problem: Any) -> list[int]:
        ids = [self.default_category_id] if self.default_category_id else []
        for name, column in src.categories:
            if name.startswith("*"):  # Google's own groups ("* myContacts")
                continue
            pk = self.categories.get(normalize_compact(name))
            if pk is None:
                problem(
                    "category",
                    column,
                    _("There is no category “%(value)s” you may use; the row is imported without it.")
                    % {"value": name[:80]},
                    "warning",
                )
            elif pk not in ids:
                ids.append(pk)
        return ids

    def _remember(self, prepared: Prepared) -> None:
        for phone in prepared.phones:
            self.phone_rows.setdefault(phone.number, prepared.row)
        for email in prepared.emails:
            self.email_rows.setdefault(email.address, prepared.row)
        if prepared.identity.customer_number:
            self.number_rows.setdefault(prepared.identity.customer_number, prepared.row)

    # -- a batch against the database ---------------------------------------------------

    def check_batch(self, batch: list[Prepared]) -> list[dict[str, Any]]:
        """Customer numbers already taken (error; the row is dropped from `batch`), phones
        and emails another identity already has (warning). One query each per batch."""
        problems: list[dict[str, Any]] = []
        taken = _existing(
            Identity.all_objects,
            "customer_number",
            {p.identity.customer_number for p in batch if p.identity.customer_number},
        )
        known_phones = _existing(Phone.objects, "number", {ph.number for p in batch for ph in p.phones})
        known_emails = _existing(Email.objects, "address", {e.address for p in batch for e in p.emails})
        for prepared in list(batch):
            row, number = prepared.row, prepared.identity.customer_number
            if number and (number in taken or self.number_rows.get(number, row) != row):
                message = IdentityError.messages[IdentityErrorCode.CUSTOMER_NUMBER_TAKEN] % {"value": number}
                problems.append(
                    {"row": row, "field": "customer_number", "column": "", "message": str(message), "level": "error"}
                )
                batch.remove(prepared)
            known = [
                ("phone", p.number)
                for p in prepared.phones
                if p.number in known_phones and self.phone_rows.get(p.number) == row
            ]
            known += [
                ("email", e.address)
                for e in prepared.emails
                if e.address in known_emails and self.email_rows.get(e.address) == row
            ]
            problems += [
                {
                    "row": row,
                    "field": name,
                    "column": "",
                    "level": "warning",
                    "message": _("%(value)s already belongs to another identity.") % {"value": value},
                }
                for name, value in known
            ]
        return problems


def _existing(manager: Any, field: str, values: set[str]) -> set[str]:
    """Which of `values` the column already holds. On PostgreSQL one array parameter
    (= ANY) instead of an IN list of a thousand placeholders for the driver to parse."""
    if not values:
        return set()
    qs = manager.all()
    if connections[qs.db].vendor == "postgresql":
        qs = qs.filter(Q(**{f"{field}__in": RawSQL("SELECT unnest(%s::text[])", [list(values)])}))
    else:
        qs = qs.filter(**{f"{field}__in": values})
    return set(qs.values_list(field, flat=True).distinct())


def write_batch(batch: list[Prepared], *, actor: Any, job_id: int, summary: str) -> list[int]:
    """Insert checked rows: one INSERT per table per batch, and one history item per identity
    ("imported from <file>", linking to the job). The audit trail gets one entry per job
    (services._finish), not one per identity: the row itself keeps creator, time and source."""
    if not batch:
        return []
    identities = [p.identity for p in batch]
    bulk_insert(Identity, identities)
    children: dict[type, list[Any]] = {Phone: [], Email: [], Address: [], Website: []}
    links = []
    for prepared, identity in zip(batch, identities, strict=True):
        pk = identity.pk
        for model, rows in (
            (Phone, prepared.phones),
            (Email, prepared.emails),
            (Address, prepared.addresses),
            (Website, prepared.websites),
        ):
            for row in rows:
                row.identity_id = pk
            children[model] += rows
        links += [{"identity_id": pk, "category_id": category_id} for category_id in prepared.category_ids]
    for model, rows in children.items():
        bulk_insert(model, rows)
    bulk_insert_rows(IdentityCategory, links)
    now = timezone.now()
    timeline_record_new(
        item_type=IMPORT_ITEM_TYPE,
        actor=actor,
        items=[(identity.pk, job_id, now, summary, {"action": "identity.imported"}) for identity in identities],
    )
    return [i.pk for i in identities]
