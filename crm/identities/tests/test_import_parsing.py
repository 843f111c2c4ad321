"""Reading import files (ID-9): vCard 2.1/3.0/4.0 as phones and mail programs write them,
Google and Outlook CSV, Windows-1256 CSV, a Persian-header XLSX; mapping proposals."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from crm.identities import vcard
from crm.identities.imports.fields import propose_mapping
from crm.identities.imports.readers import decode_text, source_rows, table_head
from crm.identities.imports.rows import parse_import_date

DATA = Path(__file__).parent / "data"
ZWNJ = "\u200c"


def cards(name: str) -> list[vcard.Card]:
    return list(vcard.read_cards(decode_text((DATA / name).read_bytes())))


def mapped(headers: list[str]) -> dict[str, str]:
    """header → proposed field, for readable assertions."""
    return {headers[int(i)]: field for i, field in propose_mapping(headers).items()}


# --- vCard -----------------------------------------------------------------------------


def test_android_quoted_printable_persian_names_are_decoded():
    # given an Android export: vCard 2.1, N/FN in QUOTED-PRINTABLE UTF-8, bare TEL types
    ali, zahra, company = cards("android_qp.vcf")

    assert (ali.first_name, ali.last_name, ali.full_name) == ("علی", "رضایی", "علی رضایی")
    assert ali.phones == [("mobile", "0912 123 4567"), ("home", "021-88776655")]
    assert ali.emails == ["ali.rezaei@example.com"]
    assert ali.birthday == "1990-05-12"
    # a long QP note broken with soft line breaks ("=" at line end) comes back whole
    assert ali.notes == "مشتری قدیمی از نمایشگاه تهران؛ پیگیری برای قرارداد سال آینده و ارسال کاتالوگ محصولات جدید"
    # ZWNJ inside a compound surname survives; the prefix becomes the title
    assert (zahra.first_name, zahra.last_name, zahra.title) == ("زهرا", f"نیک{ZWNJ}نام", "دکتر")
    assert zahra.phones == [("mobile", "+98 935 765 4321"), ("fax", "021 4455 6677")]
    assert zahra.addresses == [
        {
            "line": "خیابان ولیعصر، کوچه بهار، پلاک ۱۲",
            "city": "تهران",
            "province": "تهران",
            "postal_code": "1965843111",
            "label": "home",
        }
    ]
    # a card with only ORG is an organisation
    assert (company.kind, company.organisation_name) == ("organisation", "شرکت نوآوران پارس")


def test_iphone_groups_labels_and_folded_lines():
    john, karimi = cards("iphone.vcf")

    assert (john.title, john.first_name, john.last_name, john.organisation_name) == ("Dr.", "John", "Smith", "Acme Ltd")
    assert john.kind == "person"
    # item1.TEL + item1.X-ABLabel:_$!<HomeFAX>!$_ is a fax
    assert john.phones == [("mobile", "+1 (202) 555-0143"), ("work", "+44 20 7946 0958"), ("fax", "+98 21 2222 3333")]
    assert john.emails == ["john.smith@acme.example", "jsmith@example.org"]
    assert john.addresses[0]["line"] == "1 Main Street\nApt 4"
    assert john.websites == ["https://acme.example"]
    assert john.notes == "Met at the fair, 2024. Likes tea."
    assert john.birthday == "1985-02-14"
    # a custom Persian label "موبایل" marks a mobile; BDAY without a year (X-APPLE-OMIT-YEAR)
    assert karimi.phones == [("mobile", "09121112233")]
    assert karimi.birthday == f"{vcard.NO_YEAR}-03-21"
    # a Persian note folded across lines in the middle of multi-byte text unfolds exactly
    assert karimi.notes.endswith(f"خط{ZWNJ}ها با حروف چندبایتی درست کار کند.")


def test_vcard_4_tel_uris_kind_and_yearless_birthday():
    olena, parsian = cards("vcard4.vcf")

    assert olena.phones == [("mobile", "+380-67-123-4567"), ("work", "+380-44-555-1234")]  # ;ext= dropped
    assert olena.birthday == f"{vcard.NO_YEAR}-05-12"
    assert olena.addresses[0]["line"] == "вул. Хрещатик, 1"  # escaped comma
    assert olena.categories == ["VIP", "Partners"]
    assert (parsian.kind, parsian.organisation_name) == ("organisation", "Parsian Trading Co.")


def test_line_endings_do_not_matter():
    text = decode_text((DATA / "android_qp.vcf").read_bytes())
    assert "\r\n" in text
    crlf = list(vcard.read_cards(text))
    lf = list(vcard.read_cards(text.replace("\r\n", "\n")))
    assert [(c.first_name, c.last_name, c.phones, c.notes) for c in crlf] == [
        (c.first_name, c.last_name, c.phones, c.notes) for c in lf
    ]


@pytest.mark.parametrize("text", ["--0512", "--05-12", "19900512", "1990-05-12", "1990-05-12T00:00:00Z", "nonsense"])
def test_vcard_birthdays(text):
    expected = {"--0512": "1604-05-12", "--05-12": "1604-05-12", "nonsense": "nonsense"}.get(text, "1990-05-12")
    assert vcard.parse_birthday(text) == expected


def test_fold_keeps_lines_short_and_characters_whole():
    line = "NOTE:" + vcard.escape("یادداشت فارسی بسیار طولانی، با ویرگول; و نقطه‌ویرگول " * 5)
    folded = vcard.fold(line)
    physical = folded.split("\r\n")
    assert len(physical) > 3
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert vcard.unfold(folded) == [(1, line)]


# --- CSV / XLSX ----------------------------------------------------------------------------


def test_google_csv_headers_are_mapped():
    headers, _rows = table_head("csv", (DATA / "google.csv").read_bytes(), rows=0)
    proposal = mapped(headers)
    assert proposal["First Name"] == "first_name"
    assert proposal["Last Name"] == "last_name"
    assert proposal["Organization Name"] == "organisation_name"
    assert proposal["E-mail 1 - Value"] == proposal["E-mail 2 - Value"] == "email"
    assert proposal["Phone 1 - Value"] == proposal["Phone 2 - Value"] == "phone"
    assert proposal["Address 1 - City"] == "city"
    assert proposal["Birthday"] == "birth_date"
    assert proposal["Labels"] == "category"
    assert "Phone 1 - Label" not in proposal and "Address 1 - Formatted" not in proposal


def test_google_csv_rows_use_the_phone_label_column_and_split_multiple_values():
    data = (DATA / "google.csv").read_bytes()
    headers, _rows = table_head("csv", data, rows=0)
    maryam, sarah, company = source_rows("csv", data, propose_mapping(headers))

    assert maryam.row == 2  # the header is row 1
    assert [(kind, raw) for kind, raw, _col in maryam.phones] == [
        ("mobile", "۰۹۱۲ ۳۴۵ ۶۷۸۹"),
        ("work", "021 8877 1234"),
    ]
    assert [e for e, _col in sarah.emails] == ["sarah@cyberdyne.example", "s.connor@example.org"]
    assert [raw for _kind, raw, _col in company.phones] == ["031-3222 4455", "031-3222 4456"]
    assert maryam.addresses == [
        (
            {"line": "خیابان آزادی، پلاک ۵", "city": "تهران", "province": "تهران", "postal_code": "1458889911"},
            "Address 1 - Street",
        )
    ]


def test_outlook_csv_with_bom():
    data = (DATA / "outlook.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    headers, rows = table_head("csv", data)
    assert headers[0] == "Title"
    proposal = mapped(headers)
    assert proposal["Mobile Phone"] == "mobile"
    assert proposal["Business Fax"] == proposal["Home Fax"] == "fax"
    assert proposal["Business Phone"] == proposal["Home Phone"] == "phone"
    assert proposal["E-mail Address"] == proposal["E-mail 2 Address"] == "email"
    assert proposal["Company"] == "organisation_name"
    assert proposal["Business Street"] == "address" and "Home Street" not in proposal  # single-value: first only
    assert proposal["Web Page"] == "website"
    assert len(rows) == 2


def test_persian_headers_are_mapped_whatever_the_keyboard():
    headers = [
        "نام",
        "نام خانوادگی",
        "موبايل",
        "تلفن همراه",
        "ايميل",
        "شهر",
        "تاریخ تولد",
        "کد ملی",
        "دسته‌بندی",
        "توضیحات",
        "شرکت",
        "تلفن",
        "Something else",
    ]
    assert mapped(headers) == {
        "نام": "first_name",
        "نام خانوادگی": "last_name",
        "موبايل": "mobile",
        "تلفن همراه": "mobile",
        "ايميل": "email",
        "شهر": "city",
        "تاریخ تولد": "birth_date",
        "کد ملی": "national_id",
        "دسته‌بندی": "category",
        "توضیحات": "notes",
        "شرکت": "organisation_name",
        "تلفن": "phone",
    }


def test_windows_1256_csv_is_read():
    # Windows-1256 has no Persian yeh (ی): Persian Windows wrote the Arabic one (ي)
    text = "نام,نام خانوادگی,موبایل\r\nعلی,رضایی,09121234567\r\n"
    data = text.replace("ی", "ي").encode("cp1256")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    headers, rows = table_head("csv", data)
    assert headers == ["نام", "نام خانوادگی", "موبایل"]
    assert rows == [["علی", "رضایی", "09121234567"]]  # with the Persian yeh again


def test_semicolon_csv_is_sniffed():
    headers, rows = table_head("csv", b"First Name;Last Name;Mobile\nAnna;Kovalenko;+380501234567\n")
    assert headers == ["First Name", "Last Name", "Mobile"]
    assert rows == [["Anna", "Kovalenko", "+380501234567"]]


def test_utf16_tab_separated_text_as_excel_saves_it():
    text = "نام\tنام خانوادگی\tموبایل\r\nآنا\tکووالنکو\t+380501234567\r\n"
    headers, rows = table_head("csv", b"\xff\xfe" + text.encode("utf-16-le"))
    assert headers == ["نام", "نام خانوادگی", "موبایل"]
    assert rows == [["آنا", "کووالنکو", "+380501234567"]]


def test_persian_header_xlsx_numbers_and_dates():
    workbook = Workbook()
    sheet = workbook.active
    sheet.sheet_view.rightToLeft = True
    sheet.append(["نام", "نام خانوادگی", "موبایل", "تاریخ تولد", "ایمیل"])
    sheet.append(["مینا", "کاظمی", 9121234567, dt.datetime(1991, 8, 3), "mina@example.com"])
    sheet.append([])
    sheet.append(["حسن", "نوری", "۰۹۳۵۱۱۱۲۲۳۳", "۱۳۶۵/۰۱/۱۵", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()

    headers, _rows = table_head("xlsx", data, rows=0)
    rows = list(source_rows("xlsx", data, propose_mapping(headers)))

    assert [r.row for r in rows] == [2, 4]  # the empty row 3 is skipped, numbering stays the sheet's
    assert rows[0].phones == [("mobile", "9121234567", "موبایل")]  # a number cell, no ".0"
    assert rows[0].values["birth_date"] == (dt.date(1991, 8, 3), "تاریخ تولد")
    assert rows[1].values["birth_date"][0] == "۱۳۶۵/۰۱/۱۵"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1370/05/12", dt.date(1991, 8, 3)),
        ("۱۳۷۰/۰۵/۱۲", dt.date(1991, 8, 3)),
        ("1991-08-03", dt.date(1991, 8, 3)),
        ("03/08/1991", dt.date(1991, 8, 3)),  # day first…
        ("5/25/1975", dt.date(1975, 5, 25)),  # …unless only month first makes sense (Outlook)
        ("19910803", dt.date(1991, 8, 3)),
        ("--08-03", dt.date(vcard.NO_YEAR, 8, 3)),
        ("1370/13/40", None),
        ("yesterday", None),
    ],
)
def test_import_dates(text, expected):
    assert parse_import_date(text) == expected


def test_the_fast_path_for_iranian_numbers_gives_what_phonenumbers_gives():
    import random

    import phonenumbers

    from crm.identities.phones import normalize_phone

    def slow(raw: str) -> str:
        return phonenumbers.format_number(phonenumbers.parse(raw, "IR"), phonenumbers.PhoneNumberFormat.E164)

    rng = random.Random(5)
    for _ in range(3000):
        national = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(9))
        for raw in (f"0{national}", f"+98{national}", f"0098{national}", f"+98 {national[:3]} {national[3:]}"):
            assert normalize_phone(raw) == slow(raw.replace(" ", "").replace("0098", "+98", 1)), raw
