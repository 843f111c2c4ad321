"""vCard in and out (ID-9): a small, forgiving reader for what phones and mail programs
export (2.1, 3.0, 4.0), and a 3.0 writer.

Reading copes with: folded lines (RFC 6350 §3.2), vCard 2.1 QUOTED-PRINTABLE values with
soft line breaks and a CHARSET (Android exports Persian names this way), bare 2.1 type
parameters (`TEL;CELL;PREF:`), `item1.TEL` + `item1.X-ABLabel` groups (iPhone), `tel:`
URIs (4.0), `BDAY` with or without a year (`--0512`), several cards per file, CRLF or LF.
Photos and other binary values are skipped.

Plain Python, no Django: the import pipeline turns a `Card` into identity values.
"""

from __future__ import annotations

import datetime as dt
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

# A birthday without a year is stored with this year (Apple's convention: a leap year,
# so 29 February survives) and written back as `--MMDD`.
NO_YEAR = 1604

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BARE_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}
_BARE_CHARSETS = re.compile(r"^(UTF-8|UTF8|WINDOWS-\d+|CP\d+|ISO-8859-\d+)$", re.IGNORECASE)


@dataclass
class Property:
    group: str
    name: str  # upper case
    params: dict[str, list[str]]  # upper-case keys; TYPE values lower case
    value: str  # decoded (quoted-printable/charset), still escaped

    @property
    def types(self) -> set[str]:
        return set(self.params.get("TYPE", []))


@dataclass
class Card:
    """What one vCard says about a contact, in the CRM's terms."""

    number: int  # 1 for the first card in the file
    line: int  # line of its BEGIN:VCARD
    kind: str = "person"
    first_name: str = ""
    last_name: str = ""
    full_name: str = ""
    title: str = ""
    organisation_name: str = ""
    phones: list[tuple[str, str]] = field(default_factory=list)  # (kind, number as written)
    emails: list[str] = field(default_factory=list)
    addresses: list[dict[str, str]] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    birthday: str = ""  # ISO date, year NO_YEAR when the card gives none; raw text if unreadable
    notes: str = ""
    categories: list[str] = field(default_factory=list)


# --- reading -------------------------------------------------------------------------


def _is_qp(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def unfold(text: str) -> list[tuple[int, str]]:
    """Logical lines with the number of the physical line each starts on."""
    logical: list[tuple[int, str]] = []
    for number, raw in enumerate(_LINE_BREAK.split(text), start=1):
        if logical and raw[:1] in (" ", "\t"):
            start, previous = logical[-1]
            if _is_qp(previous) and previous.endswith("="):
                previous = previous[:-1]
            logical[-1] = (start, previous + raw[1:])
        elif logical and _is_qp(logical[-1][1]) and logical[-1][1].endswith("="):
            start, previous = logical[-1]  # quoted-printable soft line break (vCard 2.1)
            logical[-1] = (start, previous[:-1] + raw)
        elif raw.strip():
            logical.append((number, raw))
    return logical


def _split_unquoted(text: str, sep: str) -> list[str]:
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
            continue
        if char == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _colon(line: str) -> int:
    quoted = False
    for i, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return i
    return -1


def _params(items: list[str]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for item in items:
        if not item:
            continue
        if "=" in item:
            key, value = item.split("=", 1)
            key = key.strip().upper()
        else:  # vCard 2.1 bare parameter: TEL;CELL;PREF  or  N;QUOTED-PRINTABLE
            value = item.strip()
            key = "ENCODING" if value.upper() in _BARE_ENCODINGS else "TYPE"
            if key == "TYPE" and _BARE_CHARSETS.match(value):
                key = "CHARSET"
        values = [v.strip().strip('"') for v in value.split(",")]
        if key == "TYPE":
            values = [v.lower() for v in values]
        params.setdefault(key, []).extend(v for v in values if v)
    return params


def _decode(value: str, params: dict[str, list[str]]) -> str | None:
    encoding = (params.get("ENCODING") or [""])[0].upper()
    if encoding in ("B", "BASE64"):
        return None  # photos, sounds, keys: not for a CRM identity
    if encoding != "QUOTED-PRINTABLE":
        return value
    raw = quopri.decodestring(value.encode("utf-8", "surrogateescape"))
    charset = (params.get("CHARSET") or ["utf-8"])[0]
    for candidate in (charset, "utf-8", "cp1256"):
        try:
            return raw.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")


def parse_line(line: str) -> Property | None:
    colon = _colon(line)
    if colon < 0:
        return None
    head, value = line[:colon], line[colon + 1 :]
    parts = _split_unquoted(head, ";")
    name = parts[0].strip()
    group = ""
    if "." in name:
        group, name = name.rsplit(".", 1)
    params = _params(parts[1:])
    decoded = _decode(value, params)
    if decoded is None:
        return None
    return Property(group=group.lower(), name=name.upper(), params=params, value=decoded)


def unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            out.append("\n" if following in "nN" else following)
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def components(text: str) -> list[str]:
    """A structured value (N, ADR, ORG) split on unescaped ';', each part unescaped."""
    parts, current, i = [], [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char == ";":
            parts.append(unescape("".join(current)).strip())
            current = []
        else:
            current.append(char)
        i += 1
    parts.append(unescape("".join(current)).strip())
    return parts


def parse_cards(text: str) -> Iterator[tuple[int, list[Property]]]:
    """(line of BEGIN:VCARD, properties) for each card; nested cards (AGENT) are skipped."""
    depth, start, props = 0, 0, []
    for number, line in unfold(text.lstrip("\ufeff")):
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            depth += 1
            if depth == 1:
                start, props = number, []
            continue
        if upper == "END:VCARD":
            depth -= 1
            if depth == 0:
                yield start, props
            depth = max(depth, 0)
            continue
        if depth == 1:
            prop = parse_line(line)
            if prop is not None:
                props.append(prop)


def count_cards(text: str) -> int:
    return len(re.findall(r"^BEGIN:VCARD\s*$", text, flags=re.IGNORECASE | re.MULTILINE))


_LABEL_WRAPPER = re.compile(r"^_\$!<(.*)>!\$_$")
_KIND_WORDS = (
    ("fax", ("fax", "فکس", "نمابر", "факс")),
    ("mobile", ("cell", "mobile", "iphone", "موبایل", "همراه", "мобільний")),
    ("work", ("work", "کار", "شرکت", "робочий")),
    ("home", ("home", "منزل", "خانه", "домашній")),
)


def phone_kind(types: Iterable[str]) -> str:
    """The CRM phone kind for vCard TEL types and labels (CELL, WORK,FAX, _$!<Mobile>!$_…)."""
    words = " ".join(types).lower()
    for kind, needles in _KIND_WORDS:
        if any(needle in words for needle in needles):
            return kind
    return "phone"


def _tel(prop: Property) -> str:
    value = unescape(prop.value).strip()
    if value.lower().startswith("tel:"):
        value = value[4:]
        value = value.split(";", 1)[0]  # tel:+98-21-1234;ext=12 → number only
    return value


def parse_birthday(text: str) -> str:
    """vCard BDAY → ISO date (year NO_YEAR when absent); the raw text when unreadable."""
    value = text.strip().split("T", 1)[0]
    match = re.fullmatch(r"--(\d{2})-?(\d{2})", value)
    if match:
        year, month, day = NO_YEAR, int(match.group(1)), int(match.group(2))
    else:
        match = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", value)
        if not match:
            return text.strip()
        year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return text.strip()


def _labels(props: list[Property]) -> dict[str, str]:
    labels = {}
    for prop in props:
        if prop.name == "X-ABLABEL" and prop.group:
            raw = unescape(prop.value).strip()
            match = _LABEL_WRAPPER.match(raw)
            labels[prop.group] = (match.group(1) if match else raw).lower()
    return labels


def card_from_properties(number: int, line: int, props: list[Property]) -> Card:
    card = Card(number=number, line=line)
    labels = _labels(props)
    company = False
    for prop in props:
        name = prop.name
        if name == "N":
            parts = [*components(prop.value), "", "", "", "", ""]
            card.last_name = parts[0]
            card.first_name = " ".join(p for p in (parts[1], parts[2]) if p)
            card.title = parts[3]
        elif name == "FN":
            card.full_name = unescape(prop.value).strip()
        elif name == "ORG":
            card.organisation_name = components(prop.value)[0]
        elif name == "TEL":
            number_text = _tel(prop)
            if number_text:
                kind = phone_kind([*prop.types, labels.get(prop.group, "")])
                card.phones.append((kind, number_text))
        elif name == "EMAIL":
            address = unescape(prop.value).strip()
            if address.lower().startswith("mailto:"):
                address = address[7:]
            if address:
                card.emails.append(address)
        elif name == "ADR":
            card.addresses.append(_address(prop, labels))
        elif name == "URL":
            url = unescape(prop.value).strip()
            if url:
                card.websites.append(url)
        elif name == "BDAY":
            card.birthday = parse_birthday(unescape(prop.value))
        elif name == "NOTE":
            card.notes = "\n".join(p for p in (card.notes, unescape(prop.value).strip()) if p)
        elif name == "CATEGORIES":
            card.categories += [unescape(c).strip() for c in _split_escaped(prop.value, ",") if c.strip()]
        elif name == "KIND":
            company = unescape(prop.value).strip().lower() in ("org", "organization", "organisation")
        elif name == "X-ABSHOWAS":
            company = unescape(prop.value).strip().upper() == "COMPANY"
    named = card.first_name or card.last_name or (card.full_name and card.full_name != card.organisation_name)
    if company or (card.organisation_name and not named):
        card.kind = "organisation"
        card.organisation_name = card.organisation_name or card.full_name
    return card


def _split_escaped(text: str, sep: str) -> list[str]:
    return [p.replace("\x00", sep) for p in text.replace("\\" + sep, "\x00").split(sep)]


def _address(prop: Property, labels: dict[str, str]) -> dict[str, str]:
    parts = [*components(prop.value), "", "", "", "", "", "", ""]
    street = " ".join(p for p in (parts[2], parts[1], parts[0]) if p)
    label = labels.get(prop.group) or next((t for t in prop.types if t in ("home", "work")), "")
    return {"line": street, "city": parts[3], "province": parts[4], "postal_code": parts[5], "label": label}


def read_cards(text: str) -> Iterator[Card]:
    for number, (line, props) in enumerate(parse_cards(text), start=1):
        yield card_from_properties(number, line, props)


# --- writing -------------------------------------------------------------------------


def escape(text: str) -> str:
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line at `limit` octets of UTF-8 without splitting a character."""
    if len(line.encode("utf-8")) <= limit:
        return line
    pieces, current, size = [], [], 0
    for char in line:
        width = len(char.encode("utf-8"))
        budget = limit if not pieces else limit - 1  # continuation lines start with a space
        if size + width > budget:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n ".join(pieces)


_TEL_TYPES = {"mobile": "CELL", "phone": "VOICE", "fax": "FAX", "work": "WORK,VOICE", "home": "HOME,VOICE"}


@dataclass
class VCardData:
    """What is written for one identity (already filtered by the reader's access)."""

    uid: str
    kind: str
    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    title: str = ""
    organisation_name: str = ""
    phones: list[tuple[str, str, bool]] = field(default_factory=list)  # (kind, E.164, primary)
    emails: list[tuple[str, bool]] = field(default_factory=list)
    addresses: list[dict[str, str]] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    birthday: dt.date | None = None
    notes: str = ""
    categories: list[str] = field(default_factory=list)
    revision: dt.datetime | None = None


def write_card(data: VCardData) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:urn:uuid:{data.uid}"]
    if data.kind == "organisation":
        lines += ["N:;;;;", f"FN:{escape(data.organisation_name or data.display_name)}"]
        lines += [f"ORG:{escape(data.organisation_name or data.display_name)}", "X-ABShowAs:COMPANY"]
    else:
        lines.append(f"N:{escape(data.last_name)};{escape(data.first_name)};;{escape(data.title)};")
        lines.append(f"FN:{escape(data.display_name)}")
        if data.organisation_name:
            lines.append(f"ORG:{escape(data.organisation_name)}")
    for kind, number, primary in data.phones:
        types = _TEL_TYPES.get(kind, "VOICE") + (",PREF" if primary else "")
        lines.append(f"TEL;TYPE={types}:{number}")
    for address, primary in data.emails:
        lines.append(f"EMAIL;TYPE=INTERNET{',PREF' if primary else ''}:{escape(address)}")
    for adr in data.addresses:
        label = adr.get("label", "").lower()
        head = f"ADR;TYPE={label.upper()}" if label in ("home", "work") else "ADR"
        parts = ("", "", adr.get("line", ""), adr.get("city", ""), adr.get("province", ""), adr.get("postal_code", ""))
        lines.append(f"{head}:{';'.join(escape(p) for p in parts)};")
    lines += [f"URL:{escape(url)}" for url in data.websites]
    if data.birthday:
        day = data.birthday
        lines.append(f"BDAY:--{day:%m%d}" if day.year == NO_YEAR else f"BDAY:{day.isoformat()}")
    if data.notes:
        lines.append(f"NOTE:{escape(data.notes)}")
    if data.categories:
        lines.append("CATEGORIES:" + ",".join(escape(c) for c in data.categories))
    if data.revision:
        lines.append(f"REV:{data.revision.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


def identity_card_data(identity: Any, *, hidden: set[str] = frozenset(), category_names: list[str] = ()) -> VCardData:
    """What a vCard says about an identity (its prefetched phones, emails…), leaving out the
    fields the reader may not see."""

    def shown(name: str) -> bool:
        return name not in hidden

    return VCardData(
        uid=str(identity.public_id),
        kind=identity.kind,
        first_name=identity.first_name if shown("first_name") else "",
        last_name=identity.last_name if shown("last_name") else "",
        display_name=identity.display_name,
        title=identity.title if shown("title") else "",
        organisation_name=identity.organisation_name if shown("organisation_name") else "",
        phones=[(p.kind, p.number, p.is_primary) for p in identity.phones.all()] if shown("phones") else [],
        emails=[(e.address, e.is_primary) for e in identity.emails.all()] if shown("emails") else [],
        addresses=[
            {"label": a.label, "line": a.line, "city": a.city, "province": a.province, "postal_code": a.postal_code}
            for a in identity.addresses.all()
        ]
        if shown("addresses")
        else [],
        websites=[w.url for w in identity.websites.all()] if shown("websites") else [],
        birthday=identity.birth_date if shown("birth_date") else None,
        notes=identity.notes if shown("notes") else "",
        categories=list(category_names),
        revision=identity.updated_at,
    )
