"""Benchmark of bulk sends (issue #5, CM-6) on PostgreSQL through a real Kannel and an SMTP sink.

    CRM_DB_PORT=55461 .venv/bin/python bench/bulk_send.py [--count 100000] [--workers 1 2]
                                                          [--email-count 20000] [--dlr]

(CRM_DB_PORT: the cluster's port, default 55432, the project cluster.)

Database `crm_bench_bulk`: --count identities with mobiles (bench/identities.py's seeder,
kept for reruns). For each worker count:
1. a bulk send (M4's `bulk_send_create` + `bulk_send_start`) to the saved-filter source
   "all identities" is queued: time to write every recipient's Message + outbox row
   (target ≤ 30 s for 100,000);
2. the real workers (`manage.py crm_worker --no-tasks`) hand the messages to Kannel
   (bearerbox + smsbox + fakesmsc, started by scripts/kannel.sh on free ports): the CRM-side
   hand-off rate is the count over the span between the first and the last outbox row
   marked sent (target ≥ 1,000/s); each worker's RSS is sampled when 10k / 50k / 100k
   rows are sent (target: flat);
3. the operator's log is counted: every recipient exactly once.
Delivery reports are off (dlr-mask 0) unless --dlr: with them Kannel calls the CRM twice
per message, and this script then runs `manage.py runserver` to take them.

Then the same for email (M2's "msg.email" transport) to an aiosmtpd sink on loopback, with
--email-count typed addresses.
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _setup import ROOT, django_on_postgres, machine_note

DB = "crm_bench_bulk"
THRESHOLDS = (10_000, 50_000, 100_000)


def admin_user() -> Any:
    from crm.org.models import User

    user = User.objects.filter(username="bench_bulk").first()
    if user is None:
        user = User.objects.create_superuser(username="bench_bulk", password="!", email="bench@example.com")
    return user


def clean() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE messaging_messageevent, messaging_message, messaging_bulksend, core_outboxmessage, "
            "core_duejob CASCADE"
        )
        cursor.execute("DELETE FROM core_timelineentry WHERE item_type = 'messaging.message'")
        cursor.execute("DELETE FROM core_historyitem WHERE item_type = 'messaging.message'")


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_workers(n: int, log_dir: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        handle = (log_dir / f"bulk-worker-{i}.log").open("w")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "crm_worker",
                    "--no-tasks",
                    "--worker-id",
                    f"bulk-w{i}",
                    "--batch-size",
                    "500",
                ],
                cwd=ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env={**os.environ, "CRM_DB_CONN_MAX_AGE": "600"},
            )
        )
    return procs


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def queue_direct(admin: Any, line: Any, body: str) -> tuple[int, float]:
    """What a bulk send writes, without M4's recipient resolution: every identity's mobile,
    one Message + outbox row each through `messages_queue` (in chunks of 5,000)."""
    from crm.identities.models import Phone
    from crm.messaging.sending import Outgoing, messages_queue

    started = time.perf_counter()
    rows = Phone.objects.filter(kind="mobile").order_by("identity_id").values_list("identity_id", "number")
    total, chunk = 0, []
    for identity_id, number in rows.iterator(chunk_size=5000):
        chunk.append(Outgoing(to_address=number, body=body, identity_id=identity_id))
        if len(chunk) == 5000:
            total += len(messages_queue(actor=admin, channel="sms", items=chunk, dedupe_prefix="direct", sms_line=line))
            chunk = []
    if chunk:
        total += len(messages_queue(actor=admin, channel="sms", items=chunk, dedupe_prefix="direct", sms_line=line))
    return total, time.perf_counter() - started


def queue_send(admin: Any, channel: str, **fields: Any) -> tuple[int, float]:
    from crm.messaging.bulk import bulk_send_create, bulk_send_start

    started = time.perf_counter()
    send = bulk_send_create(
        actor=admin,
        name=f"bench {channel} {time.time():.0f}",
        channel=channel,
        rate_per_minute=6_000_000,
        chunk_size=5000,
        **fields,
    )
    queued = bulk_send_start(actor=admin, send=send)
    return queued, time.perf_counter() - started


def drive(outbox_channel: str, total: int, workers: int, log_dir: Path, timeout: float) -> dict[str, Any]:
    """Run the workers until every row of the channel is sent; sample their RSS."""
    from django.db.models import Max, Min

    from crm.core.notifications.models import OutboxMessage

    rows = OutboxMessage.objects.filter(channel=outbox_channel)
    procs = start_workers(workers, log_dir)
    rss: dict[int, list[int]] = {}
    next_mark = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            sent = rows.filter(status="sent").count()
            while next_mark < len(THRESHOLDS) and sent >= min(THRESHOLDS[next_mark], total):
                rss[THRESHOLDS[next_mark]] = [rss_kb(p.pid) // 1024 for p in procs]
                next_mark += 1
            if sent >= total or rows.filter(status__in=["pending", "sending"]).count() == 0:
                break
            time.sleep(0.5)
    finally:
        stop(procs)
    span = rows.filter(status="sent").aggregate(first=Min("sent_at"), last=Max("sent_at"))
    statuses = collections.Counter(rows.values_list("status", flat=True))
    seconds = (span["last"] - span["first"]).total_seconds() if span["first"] else 0.0
    return {
        "statuses": dict(statuses),
        "seconds": seconds,
        "rate": statuses.get("sent", 0) / seconds if seconds else 0,
        "rss": rss,
    }


def sms_runs(args: argparse.Namespace, admin: Any, log_dir: Path) -> list[dict[str, Any]]:
    from crm.messaging.models import SmsLine
    from crm.messaging.testing import kannel_running

    results = []
    server = None
    callback = "http://127.0.0.1:9"
    if args.dlr:
        port = args.server_port
        callback = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            stdout=(log_dir / "bulk-server.log").open("w"),
            stderr=subprocess.STDOUT,
        )
    try:
        with kannel_running(callback_url=callback, directory=log_dir / "kannel") as gw:
            for workers in args.workers:
                clean()
                SmsLine.objects.all().delete()
                config = {**gw.line_config(), "dlr_mask": 31 if args.dlr else 0, "concurrency": 16}
                line = SmsLine.objects.create(
                    name="bench",
                    number=gw.number,
                    provider="kannel",
                    config=config,
                    secret=gw.password,
                    is_default=True,
                )
                gw.reset()
                if args.queue == "direct":
                    queued, queue_s = queue_direct(admin, line, "مشتری عزیز، جشنواره فروش زمستانه از فردا آغاز می‌شود.")
                else:
                    queued, queue_s = queue_send(
                        admin,
                        "sms",
                        body="{{ identity.first_name }} عزیز، جشنواره فروش زمستانه از فردا آغاز می‌شود.",
                        sms_line=line,
                        source="filter",
                        source_params={"list_key": "identities", "query": ""},
                    )
                print(f"SMS, {workers} worker(s): queued {queued:,} ({args.queue}) in {queue_s:.1f} s", flush=True)
                run = drive("msg.sms", queued, workers, log_dir, timeout=args.timeout)
                time.sleep(1)
                received = collections.Counter(sms.receiver for sms in gw.received())
                run.update(
                    channel="sms",
                    workers=workers,
                    queued=queued,
                    queue_s=queue_s,
                    operator=sum(received.values()),
                    duplicates=sum(1 for n in received.values() if n > 1),
                )
                print(report(run), flush=True)
                results.append(run)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    return results


def email_runs(args: argparse.Namespace, admin: Any, log_dir: Path) -> list[dict[str, Any]]:
    from crm.messaging.models import Mailbox
    from crm.messaging.testing import free_ports

    [port] = free_ports(1)
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"],
        cwd=ROOT,
        stdout=(log_dir / "smtp-sink.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    time.sleep(1)
    results = []
    try:
        for workers in args.workers:
            clean()
            Mailbox.objects.all().delete()
            mailbox = Mailbox.objects.create(
                name="bench",
                address="news@example.com",
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_security=Mailbox.Security.NONE,
                is_default=True,
            )
            lines = [f"customer{i}@example.com" for i in range(args.email_count)]
            queued, queue_s = queue_send(
                admin,
                "email",
                subject="جشنواره زمستانه",
                body="<p>سلام، جشنواره فروش زمستانه از فردا آغاز می‌شود.</p>",
                is_html=True,
                mailbox=mailbox,
                source="numbers",
                source_params={"lines": lines},
                track_opens=True,
                track_clicks=False,
            )
            print(f"email, {workers} worker(s): queued {queued:,} in {queue_s:.1f} s", flush=True)
            run = drive("msg.email", queued, workers, log_dir, timeout=args.timeout)
            run.update(channel="email", workers=workers, queued=queued, queue_s=queue_s)
            print(report(run), flush=True)
            results.append(run)
    finally:
        sink.terminate()
        sink.wait(timeout=10)
    return results


def report(run: dict[str, Any]) -> str:
    rss = ", ".join(f"{k // 1000}k: {'/'.join(str(v) for v in vals)} MB" for k, vals in sorted(run["rss"].items()))
    extra = ""
    if "operator" in run:
        extra = f" · operator got {run['operator']:,} (duplicates: {run['duplicates']})"
    return (
        f"  {run['channel']} {run['workers']}w: queue {run['queued']:,} in {run['queue_s']:.1f} s · "
        f"hand-off {run['rate']:,.0f}/s over {run['seconds']:.1f} s · outbox {run['statuses']} · RSS {rss}{extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--email-count", type=int, default=20_000)
    parser.add_argument("--dlr", action="store_true", help="ask for delivery reports (the CRM server takes them)")
    parser.add_argument("--server-port", type=int, default=8101)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--queue", choices=["bulk", "direct"], default="bulk", help="bulk: M4's bulk send; direct: messages_queue"
    )
    parser.add_argument("--skip-sms", action="store_true")
    parser.add_argument("--skip-email", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("CRM_SMS_CALLBACK_SECRET", "bench-callback-secret")
    django_on_postgres(DB)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import identities

    identities.seed(args.count)
    admin = admin_user()
    log_dir = ROOT / "var" / "bench-bulk"
    (log_dir / "kannel").mkdir(parents=True, exist_ok=True)
    print(machine_note())
    runs = []
    if not args.skip_sms:
        runs += sms_runs(args, admin, log_dir)
    if not args.skip_email:
        runs += email_runs(args, admin, log_dir)
    print("\nsummary")
    for run in runs:
        print(report(run))


if __name__ == "__main__":
    main()
