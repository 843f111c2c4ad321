"""The import service (ID-9): dry run, all-or-nothing, skip-bad-rows; identity_create's
rules on every row; reports with the rows people see; rights; audit; the task and the
management command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import Workbook

from crm.core.audit.models import AuditEntry
from crm.core.customfields.services import custom_field_define
from crm.core.errors import PermissionDeniedError
from crm.core.timeline.models import TimelineEntry
from crm.identities import services as identity_services
from crm.identities.events import IMPORT_ITEM_TYPE
from crm.identities.imports import services
from crm.identities.models import Category, Identity, IdentityCategory, ImportJob, Phone
from crm.org.testing import appoint, fresh, make_position

DATA = Path(__file__).parent / "data"
IMPORTER_PERMS = [
    "identities.import_identity",
    "identities.add_identity",
    "identities.view_identity",
    "identities.view_all_identity",
]
HEADER = ["First Name", "Last Name", "Mobile", "E-mail Address", "Birthday", "Company"]
GOOD = ["Ali", "Rezaei", "0912 123 4567", "ali@example.com", "1370/05/12", ""]
BAD_ROWS = [
    ["Bad", "Phone", "12", "bad.phone@example.com", "", ""],  # row 3
    ["Bad", "Email", "09121112233", "not-an-email", "", ""],  # row 4
    ["", "", "09121112244", "noname@example.com", "", ""],  # row 5: no name at all
    ["Bad", "Date", "09121112255", "", "1370/13/45", ""],  # row 6
    ["Two", "Problems", "abc", "x@", "", ""],  # row 7: phone and email
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def run(actor, content: bytes, filename: str = "people.csv", **options) -> ImportJob:
    job = services.import_job_create(actor=actor, content=content, filename=filename)
    options.setdefault("dry_run", False)
    job = services.import_job_configure(actor=actor, job=job, **options)
    return services.identity_import_run(job=job)


@pytest.fixture
def importer(db):
    from crm.org.testing import make_user

    user = make_user("importer")
    appoint(user, make_position("Data clerk", IMPORTER_PERMS))
    return fresh(user)


def problems(job: ImportJob, level: str = "error") -> set[tuple[int, str]]:
    return {(p["row"], p["field"]) for p in job.report if p["level"] == level}


# --- modes -------------------------------------------------------------------------------


def test_dry_run_reports_every_bad_row_and_writes_nothing(importer):
    job = run(importer, csv_bytes([GOOD, *BAD_ROWS, [*GOOD[:2], "09351234567", "", "", ""]]), dry_run=True)

    assert job.status == ImportJob.Status.DONE
    assert (job.total_rows, job.processed_rows, job.error_count, job.created_count) == (7, 7, 5, 0)
    assert problems(job) == {
        (3, "mobile"),
        (4, "email"),
        (5, "first_name"),
        (6, "birth_date"),
        (7, "mobile"),
        (7, "email"),
    }
    by_row = {p["row"]: p for p in job.report}
    assert by_row[3]["column"] == "Mobile" and "“12” is not a valid phone number" in by_row[3]["message"]
    assert by_row[6]["message"].startswith("“1370/13/45” is not a date")
    assert Identity.all_objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="identity.").count() == 0


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(importer):
    job = run(
        importer,
        csv_bytes([GOOD, *BAD_ROWS[:1], [*GOOD[:2], "09351234567", "", "", ""]]),
        mode=ImportJob.Mode.ALL_OR_NOTHING,
    )

    assert job.status == ImportJob.Status.FAILED
    assert problems(job) == {(3, "mobile")}
    assert (job.created_count, job.processed_rows) == (0, 3)
    assert Identity.all_objects.count() == 0
    assert Phone.objects.count() == 0


def test_all_or_nothing_imports_a_clean_file(importer):
    job = run(
        importer, csv_bytes([GOOD, ["Sara", "Ahmadi", "09351234567", "", "", ""]]), mode=ImportJob.Mode.ALL_OR_NOTHING
    )
    assert (job.status, job.created_count, job.error_count) == (ImportJob.Status.DONE, 2, 0)
    assert Identity.objects.count() == 2


def test_skip_mode_writes_the_good_rows(importer):
    job = run(
        importer,
        csv_bytes([GOOD, *BAD_ROWS, ["Sara", "Ahmadi", "۰۹۳۵ ۱۲۳ ۴۵۶۷", "Sara@Example.COM", "", ""]]),
        mode=ImportJob.Mode.SKIP_BAD,
    )

    assert (job.status, job.created_count, job.error_count) == (ImportJob.Status.DONE, 2, 5)
    assert sorted(Identity.objects.values_list("display_name", flat=True)) == ["Ali Rezaei", "Sara Ahmadi"]
    sara = Identity.objects.get(last_name="Ahmadi")
    assert [(p.number, p.kind, p.is_primary) for p in sara.phones.all()] == [("+989351234567", "mobile", True)]
    assert [e.address for e in sara.emails.all()] == ["sara@example.com"]
    assert sara.created_by == importer
    assert sara.created_at is not None and sara.updated_at is not None and sara.public_id is not None
    assert sara.source == f"import #{job.pk}"


def test_phones_are_e164_and_jalali_birthdays_are_converted(importer):
    run(
        importer,
        csv_bytes(
            [
                ["مینا", "کاظمی", "۰۹۱۲-۱۲۳-۴۵۶۷", "", "۱۳۷۰/۰۵/۱۲", ""],
                ["John", "Smith", "+1 202 555 0143", "", "1985-02-14", ""],
            ]
        ),
    )
    mina = Identity.objects.get(last_name="کاظمی")
    assert mina.birth_date == dt.date(1991, 8, 3)
    assert list(mina.phones.values_list("number", flat=True)) == ["+989121234567"]
    john = Identity.objects.get(last_name="Smith")
    assert john.birth_date == dt.date(1985, 2, 14)
    assert list(john.phones.values_list("number", flat=True)) == ["+12025550143"]


def test_organisations_and_full_names(importer):
    header = ["Name", "Company", "Type", "Phone"]
    run(
        importer,
        csv_bytes(
            [
                ["", "پخش سپهر", "حقوقی", "031 3222 4455"],
                ["Olena Kovalenko", "", "", "+380 50 123 4567"],
                ["", "Acme", "", ""],
                ["X", "", "robot", ""],
            ],
            header=header,
        ),
    )
    assert set(Identity.objects.values_list("kind", "display_name")) == {
        ("organisation", "پخش سپهر"),
        ("person", "Olena Kovalenko"),
        ("organisation", "Acme"),
    }


# --- what is checked against the database -------------------------------------------------


def test_a_phone_someone_already_has_is_a_warning(importer, alice):
    identity_services.identity_create(actor=alice, first_name="Existing", phones=[{"number": "09121234567"}])
    job = run(importer, csv_bytes([GOOD, ["Dup", "InFile", "+98 912 123 4567", "", "", ""]]))

    assert job.created_count == 2 and job.error_count == 0
    warnings = [p for p in job.report if p["level"] == "warning"]
    assert [(p["row"], p["field"]) for p in warnings] == [(2, "phone"), (3, "phone")]
    assert "already belongs to another identity" in warnings[0]["message"]
    assert "also in row 2" in warnings[1]["message"]


def test_customer_numbers_need_the_right_and_must_be_unique(importer, alice):
    header = ["First Name", "Last Name", "Customer number"]
    rows = [["A", "One", "۱۰۰۱"], ["B", "Two", "1001"], ["C", "Three", "1002"]]
    job = run(importer, csv_bytes(rows, header=header))
    assert job.status == ImportJob.Status.FAILED
    assert "permission" in job.report[0]["message"]
    assert Identity.all_objects.count() == 0

    job = run(alice, csv_bytes(rows, header=header))
    assert problems(job) == {(3, "customer_number")}
    assert sorted(Identity.objects.values_list("customer_number", flat=True)) == ["1001", "1002"]


def test_categories_from_the_option_and_from_a_column(importer, alice):
    vip = identity_services.category_save(
        actor=alice, category=None, name="مشتریان ويژه", parent=None, restricted=False, positions=[]
    )
    imported = identity_services.category_save(
        actor=alice, category=None, name="Imported", parent=None, restricted=False, positions=[]
    )
    secret = identity_services.category_save(
        actor=alice, category=None, name="Secret", parent=None, restricted=True, positions=[]
    )
    header = ["First Name", "Last Name", "دسته"]
    job = run(
        importer,
        csv_bytes([["A", "One", "مشتریان ویژه"], ["B", "Two", "Secret ; Nope"]], header=header),
        category=Category.objects.get(pk=imported.pk),
    )

    one, two = Identity.objects.order_by("last_name")
    assert {c.pk for c in one.categories.all()} == {vip.pk, imported.pk}  # ي/ی written either way
    assert {c.pk for c in two.categories.all()} == {imported.pk}
    assert problems(job, "warning") == {(3, "category")}  # a category the importer may not use is like none
    assert not IdentityCategory.objects.filter(category=secret).exists()


def test_custom_fields_are_checked_like_the_form(importer, alice):
    custom_field_define(
        actor=alice,
        model=Identity,
        key="size",
        kind="choice",
        labels={"en": "Size", "fa": "سایز"},
        choices=[{"value": "S"}, {"value": "L"}],
    )
    custom_field_define(actor=alice, model=Identity, key="since", kind="date", labels={"en": "Customer since"})
    header = ["First Name", "Last Name", "سایز", "since"]
    job = run(importer, csv_bytes([["A", "One", "S", "2024-01-02"], ["B", "Two", "XXL", "soon"]], header=header))

    assert problems(job) == {(3, "custom.size"), (3, "custom.since")}
    assert Identity.objects.get().custom == {"size": "S", "since": "2024-01-02"}


def test_one_history_item_per_identity_and_one_audit_entry_per_job(importer):
    job = run(importer, csv_bytes([GOOD, ["Sara", "Ahmadi", "09351234567", "", "", ""]]), filename="fair.csv")
    identities = list(Identity.objects.order_by("id"))

    items = TimelineEntry.objects.filter(item_type=IMPORT_ITEM_TYPE, identity_id__in=[i.pk for i in identities])
    assert sorted((i.identity_id, i.item_id, i.summary, i.actor_id) for i in items) == [
        (identity.pk, str(job.pk), "fair.csv", importer.pk) for identity in identities
    ]
    summary = AuditEntry.objects.get(action="identity.imported")
    assert summary.target_id == str(job.pk) and summary.actor == importer
    assert summary.changes["created"] == 2 and summary.changes["file"] == "fair.csv"
    assert summary.changes["identity_id_ranges"] == [[identities[0].pk, identities[1].pk]]
    assert not AuditEntry.objects.filter(action="identity.created").exists()


def test_batches_keep_the_query_count_flat(importer, django_assert_max_num_queries, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 200)
    rows = [[f"First{i}", f"Last{i}", f"0912{i:07d}", f"p{i}@example.com", "1370/01/01", ""] for i in range(600)]
    job = services.import_job_create(actor=importer, content=csv_bytes(rows), filename="many.csv")
    job = services.import_job_configure(actor=importer, job=job, dry_run=False)
    # 3 batches of 200 rows: a handful of INSERTs and lookups per batch, not per row
    with django_assert_max_num_queries(60):
        job = services.identity_import_run(job=job)
    assert job.created_count == 600


# --- files ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count"),
    [("android_qp.vcf", 3), ("iphone.vcf", 2), ("vcard4.vcf", 2), ("google.csv", 3), ("outlook.csv", 2)],
)
def test_sample_files_import_cleanly(importer, name, count):
    job = run(importer, (DATA / name).read_bytes(), filename=name)
    assert (job.status, job.created_count, job.error_count) == (ImportJob.Status.DONE, count, 0)


def test_android_vcard_persian_identity(importer):
    run(importer, (DATA / "android_qp.vcf").read_bytes(), filename="contacts.vcf")
    ali = Identity.objects.get(last_name="رضایی")
    assert ali.display_name == "علی رضایی"
    assert [(p.kind, p.number) for p in ali.phones.all()] == [("mobile", "+989121234567"), ("home", "+982188776655")]
    assert ali.birth_date == dt.date(1990, 5, 12)
    company = Identity.objects.get(kind=Identity.Kind.ORGANISATION)
    assert company.organisation_name == "شرکت نوآوران پارس"


def test_persian_xlsx_and_windows_1256_csv(importer):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["نام", "نام خانوادگی", "تلفن همراه", "ایمیل", "شهر", "تاریخ تولد"])
    sheet.append(["مینا", "کاظمی", 9121234567, "mina@example.com", "شیراز", "۱۳۶۵/۰۱/۱۵"])
    sheet.append(["", "", "", "", "", ""])
    sheet.append(["رضا", "", "0912", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = run(importer, buffer.getvalue(), filename="مشتریان.xlsx")
    assert problems(job) == {(4, "mobile")}
    mina = Identity.objects.get(last_name="کاظمی")
    assert mina.birth_date == dt.date(1986, 4, 4)
    assert mina.addresses.get().city == "شیراز"
    assert mina.phones.get().number == "+989121234567"

    content = "نام,نام خانوادگی,موبایل\r\nعلی,یزدانی,09131234567\r\n".replace("ی", "ي").encode("cp1256")
    job = run(importer, content, filename="old-excel.csv")
    assert job.created_count == 1
    assert Identity.objects.get(phones__number="+989131234567").display_name == "علی یزدانی"


# --- rights -----------------------------------------------------------------------------------


def test_a_user_without_the_import_right_is_refused(charlie, bob, importer):
    for user in (charlie, bob):
        with pytest.raises(PermissionDeniedError):
            services.import_job_create(actor=user, content=csv_bytes([GOOD]), filename="x.csv")
    # a job whose creator lost the right is not run
    job = services.import_job_create(actor=importer, content=csv_bytes([GOOD]), filename="x.csv")
    importer.appointments.all().delete()
    job = services.identity_import_run(job=job)
    assert job.status == ImportJob.Status.FAILED
    assert Identity.all_objects.count() == 0


def test_files_that_are_not_what_they_say_are_refused(importer, settings):
    from crm.identities.errors import IdentityError

    with pytest.raises(IdentityError, match="does not look like xlsx"):
        services.import_job_create(actor=importer, content=b"a,b\n1,2\n", filename="x.xlsx")
    with pytest.raises(IdentityError, match="does not look like vcard"):
        services.import_job_create(actor=importer, content=b"a,b\n1,2\n", filename="x.vcf")
    with pytest.raises(IdentityError, match=r"\.csv, \.xlsx or \.vcf"):
        services.import_job_create(actor=importer, content=b"a,b\n", filename="x.xls")
    settings.CRM_UPLOAD_MAX_BYTES = 10
    with pytest.raises(IdentityError, match="too large"):
        services.import_job_create(actor=importer, content=csv_bytes([GOOD]), filename="x.csv")


# --- background task and command -----------------------------------------------------------------


def test_start_enqueues_the_task_after_commit(importer, django_capture_on_commit_callbacks):
    job = services.import_job_create(actor=importer, content=csv_bytes([GOOD]), filename="x.csv")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.import_job_start(actor=importer, job=job)
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PENDING  # nothing before commit
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created_count) == (ImportJob.Status.DONE, True, 0)  # a dry run by default

    # running it again (a second delivery of the task) changes nothing
    from crm.identities.tasks import identity_import_task

    identity_import_task.call(job.pk)
    assert ImportJob.objects.get(pk=job.pk).finished_at == job.finished_at

    real = services.import_job_rerun(actor=importer, job=job)
    real = ImportJob.objects.get(pk=real.pk)
    assert real.status == ImportJob.Status.PENDING  # enqueued on commit only
    services.identity_import_run(job=real)
    assert Identity.objects.count() == 1


def test_command_dry_run_exit_code(tmp_path, capsys, db):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes([GOOD, *BAD_ROWS]))
    with pytest.raises(SystemExit) as exited:
        call_command("import_identities", str(path), "--dry-run")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "row 3, mobile (Mobile): “12” is not a valid phone number." in out
    assert "5 bad rows" in out
    assert Identity.all_objects.count() == 0

    path.write_bytes(csv_bytes([GOOD]))
    call_command("import_identities", str(path), "--dry-run")  # clean: exit code 0
    assert Identity.all_objects.count() == 0


def test_command_imports_with_user_mapping_and_category(tmp_path, capsys, importer, alice):
    category = identity_services.category_save(
        actor=alice, category=None, name="Fair 2025", parent=None, restricted=False, positions=[]
    )
    path = tmp_path / "fair.csv"
    path.write_bytes(csv_bytes([["Ali", "Rezaei", "09121234567"]], header=["col a", "col b", "tel"]))
    call_command(
        "import_identities",
        str(path),
        "--user",
        "importer",
        "--mode",
        "all",
        "--category",
        "Fair 2025",
        "--mapping",
        json.dumps({"col a": "first_name", "2": "last_name", "tel": "mobile"}),
    )
    ali = Identity.objects.get()
    assert (ali.display_name, ali.created_by, list(ali.categories.all())) == ("Ali Rezaei", importer, [category])
    assert "col a → first_name" in capsys.readouterr().out

    path.write_bytes((DATA / "vcard4.vcf").read_bytes())
    call_command("import_identities", str(path), "--format", "vcard")  # system import, no user
    assert Identity.objects.count() == 3


def test_command_refuses_a_user_without_the_right(tmp_path, bob):
    from django.core.management.base import CommandError

    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes([GOOD]))
    with pytest.raises(CommandError, match="permission"):
        call_command("import_identities", str(path), "--user", "bob")


@pytest.fixture
def database_task_backend(settings):
    """The database task backend, as deployed (the test settings run tasks immediately)."""
    from asgiref.local import Local
    from django.tasks import task_backends

    def reset() -> None:
        task_backends.__dict__.pop("settings", None)
        task_backends._settings = None
        task_backends._connections = Local(False)

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    reset()
    yield
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    reset()


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_an_enqueued_import(database_task_backend, importer):
    # given an import started from the wizard (autocommit: enqueued at once)
    job = services.import_job_create(actor=importer, content=csv_bytes([GOOD]), filename="x.csv")
    job = services.import_job_configure(actor=importer, job=job, dry_run=False)
    services.import_job_start(actor=importer, job=job)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.PENDING

    # when the worker runs once
    call_command("crm_worker", "--once", "--interval", "0")

    # then the job is done
    job.refresh_from_db()
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 1)
