import cProfile, pstats, io, csv
from crm.identities.imports import services

def test_prof(alice):
    buffer = io.StringIO()
    w = csv.writer(buffer)
    w.writerow(["First Name", "Last Name", "Mobile", "E-mail", "Birthday"])
    w.writerows([f"First{i}", f"Last{i}", f"0912{i:07d}", f"p{i}@example.com", "1370/01/01"] for i in range(2000))
    job = services.import_job_create(actor=alice, content=buffer.getvalue().encode(), filename="many.csv")
    job = services.import_job_configure(actor=alice, job=job, dry_run=False)
    pr = cProfile.Profile(); pr.enable()
    job = services.identity_import_run(job=job)
    pr.disable()
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(45); print(s.getvalue())
    assert job.created_count == 2000
