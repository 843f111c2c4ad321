"""The import wizard pages (ID-9): upload → mapping and options → job page (htmx progress,
report, run for real); refused without the right; jobs are private to their creator."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.identities.imports import services
from crm.identities.models import Identity, ImportJob
from crm.org.testing import PASSWORD, appoint, fresh, make_position, make_user

PERMS = [
    "identities.import_identity",
    "identities.add_identity",
    "identities.view_identity",
    "identities.view_all_identity",
]


def csv_file(rows: list[list[str]], name: str = "people.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["نام", "نام خانوادگی", "موبایل", "ایمیل"])
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"), content_type="text/csv")


@pytest.fixture
def importer(db):
    user = make_user("importer")
    appoint(user, make_position("Data clerk", PERMS))
    return fresh(user)


@pytest.fixture
def web(client, importer):
    client.login(username="importer", password=PASSWORD)
    return client


def upload(web, rows, name="people.csv") -> ImportJob:
    response = web.post(reverse("identity_import"), {"file": csv_file(rows, name)})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = ImportJob.objects.latest("pk")
    assert response.url == reverse("identity_import_mapping", args=[job.pk])
    return job


def test_without_the_right_every_page_is_refused(client, bob, charlie, importer):
    job = services.import_job_create(actor=importer, content=csv_file([["a", "b", "", ""]]).read(), filename="x.csv")
    for user in (bob, charlie):
        client.force_login(user)
        for url in (
            reverse("identity_import"),
            reverse("identity_import_mapping", args=[job.pk]),
            reverse("identity_import_job", args=[job.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 403
            assert b'data-testid="forbidden"' in response.content
        assert client.post(reverse("identity_import_start", args=[job.pk])).status_code == 403


def test_someone_elses_job_is_not_found(client, importer, db):
    other = make_user("other")
    appoint(other, make_position("Other clerk", PERMS))
    job = services.import_job_create(actor=importer, content=csv_file([["a", "b", "", ""]]).read(), filename="x.csv")
    client.force_login(fresh(other))
    assert client.get(reverse("identity_import_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("identity_import_mapping", args=[job.pk])).status_code == 404


def test_wizard_dry_run_then_run_for_real(web, django_capture_on_commit_callbacks):
    page = web.get(reverse("identity_import"))
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content

    job = upload(web, [["علی", "رضایی", "۰۹۱۲۱۲۳۴۵۶۷", "ali@example.com"], ["بد", "شماره", "123", ""]])

    # the mapping page proposes fields from the Persian headers and shows the first rows
    page = web.get(reverse("identity_import_mapping", args=[job.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="first_name" selected>' in html and '<option value="mobile" selected>' in html
    assert "رضایی" in html and 'data-testid="mapping-table"' in html

    form = {
        "col_0": "first_name",
        "col_1": "last_name",
        "col_2": "mobile",
        "col_3": "email",
        "mode": "skip",
        "dry_run": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("identity_import_mapping", args=[job.pk]), form)
    assert response.status_code == 302 and response.url == reverse("identity_import_job", args=[job.pk])

    page = web.get(response.url)
    html = page.content.decode()
    assert 'data-testid="import-report"' in html
    assert "“123” is not a valid phone number." in html
    assert 'hx-trigger="every 1s"' not in html  # finished: no more polling
    assert Identity.all_objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(reverse("identity_import_start", args=[job.pk]))
    real = ImportJob.objects.latest("pk")
    assert real.pk != job.pk and not real.dry_run
    assert response.url == reverse("identity_import_job", args=[real.pk])
    assert (real.status, real.created_count, real.error_count) == (ImportJob.Status.DONE, 1, 1)
    assert Identity.objects.get().display_name == "علی رضایی"


def test_progress_fragment_polls_while_running(web, importer):
    job = upload(web, [["a", "b", "09121234567", ""]])
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, total_rows=400, processed_rows=200)

    response = web.get(reverse("identity_import_job", args=[job.pk]), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="import-status"')  # only the fragment
    assert 'hx-trigger="every 1s"' in html and 'aria-valuenow="50"' in html
    assert "<html" not in html

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE, processed_rows=400)
    html = web.get(reverse("identity_import_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in html and 'data-testid="import-summary"' in html


def test_upload_refuses_wrong_types_and_big_files(web, settings):
    response = web.post(reverse("identity_import"), {"file": SimpleUploadedFile("x.xls", b"\xd0\xcf\x11\xe0")})
    assert response.status_code == 200 and "Upload a .csv, .xlsx or .vcf file." in response.content.decode()
    response = web.post(reverse("identity_import"), {"file": SimpleUploadedFile("x.xlsx", b"just text")})
    assert "does not look like xlsx" in response.content.decode()
    settings.CRM_UPLOAD_MAX_BYTES = 20
    response = web.post(reverse("identity_import"), {"file": csv_file([["a", "b", "09121234567", ""]])})
    assert "too large" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_vcard_upload_shows_contacts_instead_of_columns(web):
    from pathlib import Path

    content = (Path(__file__).parent / "data" / "android_qp.vcf").read_bytes()
    response = web.post(reverse("identity_import"), {"file": SimpleUploadedFile("contacts.vcf", content)})
    job = ImportJob.objects.get()
    assert response.url == reverse("identity_import_mapping", args=[job.pk])
    html = web.get(response.url).content.decode()
    assert 'data-testid="vcard-preview"' in html and "علی" in html and "رضایی" in html


def test_report_downloads_as_csv(web, django_capture_on_commit_callbacks):
    job = upload(web, [["=cmd", "x", "123", ""]])
    with django_capture_on_commit_callbacks(execute=True):
        web.post(
            reverse("identity_import_mapping", args=[job.pk]),
            {"col_0": "first_name", "col_1": "last_name", "col_2": "mobile", "mode": "all", "dry_run": "on"},
        )
    response = web.get(reverse("identity_import_job", args=[job.pk]) + "?report=csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "Row,Field,Column,Level,Problem" in body.splitlines()[0]
    assert "“123” is not a valid phone number." in body
