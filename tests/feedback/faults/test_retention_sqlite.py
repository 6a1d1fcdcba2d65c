#!/usr/bin/env python3
"""Retention on SQLite: a first server creates the schema and keeps a few corrections through the API; while
it is stopped, rows with an old created_at are written straight into the file (with their share of the
usage account, as a server would have kept them). A server started on the file with
--feedback-retention-days 30 must delete, shortly after its start, exactly the rows older than 30 days
(400 and 31 days old), and keep the rest (29 days old, and the new ones), releasing the deleted rows' share
of the account; and the file must be sound afterwards.

Fails when: no purge at start (old rows still there after WAIT_S); the cut-off is wrong (the 29-day rows go,
or the 31-day rows stay, e.g. days taken as hours or the comparison reversed); the account is not released
(row_count/byte_count != the table); new corrections are deleted; the log line is missing or miscounts.
"""
import json
import re
import time

import faultlib as F

WAIT_S = 10
DAY = 86400
OLD_DAYS = {"ancient": 400, "expired": 31, "recent": 29}  # kind of row -> age in days
PER_KIND = 5


def body(args):
    F.require_tool("sqlite3")
    work = F.workdir("fb-faults-retention-")
    db = f"{work}/fb.sqlite"
    flags = ["--feedback-db", f"sqlite:{db}", "--feedback-per-minute", "0", "--threads", "2"]
    image = F.image_bytes()

    first = F.Server(args, flags, f"{work}/server-1.log").start()
    fresh = []
    conn = F.Client(first.port)
    for label in range(4):
        status, _, data = conn.send("POST", "/feedback", *F.feedback_request(label, image))
        F.check(status == 201, f"/feedback answered {status} {data[:200]!r}")
        fresh.append(json.loads(data)["id"])
    conn.close()
    first.stop()
    F.check(first.proc.returncode == 0, f"the first server stopped with {first.proc.returncode}")

    # Old rows, written as a server would have written them years/weeks ago: the row, and its share of the
    # account. Copied from a real row so that every column is as the server makes it.
    now = int(time.time())
    statements = ["BEGIN IMMEDIATE;"]
    planted = {}
    for kind, days in OLD_DAYS.items():
        for i in range(PER_KIND):
            rid = f"{kind[:4]:0>4}".encode().hex()[:8] + f"{days:08x}{i:016x}"
            planted[rid] = kind
            # A second or two either side of the cut-off would be a race with the clock: an hour inside.
            created = now - days * DAY + (3600 if days > 30 else -3600)
            statements.append(
                "INSERT INTO feedback (id, delete_token, kind, label, predicted, model_version, upload, upload_type,"
                f" inputs, stored_bytes, created_at) SELECT '{rid}', delete_token, kind, label, predicted,"
                f" model_version, upload, upload_type, inputs, stored_bytes, {created} FROM feedback"
                f" WHERE id = '{fresh[0]}';")
    statements.append(
        "UPDATE feedback_usage SET row_count = (SELECT count(*) FROM feedback),"
        " byte_count = (SELECT sum(stored_bytes) FROM feedback);")
    statements.append("COMMIT;")
    F.sqlite(db, "\n".join(statements))
    count0 = int(F.sqlite(db, "SELECT count(*) FROM feedback").strip())
    F.check(count0 == len(fresh) + len(planted), f"planted rows not written: {count0}")
    F.log(f"planted {len(planted)} old rows ({PER_KIND} each of {OLD_DAYS} days old) beside {len(fresh)} new; "
          f"usage {F.sqlite(db, 'SELECT row_count, byte_count FROM feedback_usage').strip()}")

    second = F.Server(args, flags + ["--feedback-retention-days", "30"], f"{work}/server-2.log")
    t0 = time.monotonic()
    second.launch()
    expired = {rid for rid, kind in planted.items() if OLD_DAYS[kind] > 30}
    gone_after = None
    while time.monotonic() - t0 < WAIT_S:
        ids = set(F.sqlite(db, "SELECT id FROM feedback").split())
        if not ids & expired:
            gone_after = time.monotonic() - t0
            break
        time.sleep(0.1)
    second.wait_ready()
    # A correction made now stays too.
    status, _, data = F.request(second.port, "POST", "/feedback", *F.feedback_request(7, image))
    F.check(status == 201, f"/feedback answered {status} {data[:200]!r}")
    fresh.append(json.loads(data)["id"])
    time.sleep(0.5)

    ids = set(F.sqlite(db, "SELECT id FROM feedback").split())
    usage = F.sqlite(db, "SELECT row_count, byte_count FROM feedback_usage").strip()
    actual = F.sqlite(db, "SELECT count(*), coalesce(sum(stored_bytes), 0) FROM feedback").strip()
    integrity = F.sqlite(db, "PRAGMA integrity_check").strip()
    log_lines = re.findall(r".*retention.*", second.log())
    kept_kinds = {}
    for rid, kind in planted.items():
        kept_kinds.setdefault(kind, 0)
        kept_kinds[kind] += rid in ids
    F.log("old rows gone " + (f"{gone_after:.2f} s after the start" if gone_after is not None else
                              f"NOT within {WAIT_S} s") + f"; planted rows still there by kind: {kept_kinds}; "
          f"new rows kept {sum(i in ids for i in fresh)}/{len(fresh)}; usage {usage}, table {actual}; "
          f"integrity_check {integrity}; log: {log_lines}")

    expect = F.Expectations()
    expect(gone_after is not None, f"rows older than 30 days still there {WAIT_S} s after the start")
    expect(kept_kinds["ancient"] == 0 and kept_kinds["expired"] == 0,
           f"rows older than 30 days kept: {kept_kinds}")
    expect(kept_kinds["recent"] == PER_KIND, f"rows 29 days old were deleted: {kept_kinds}")
    expect(all(i in ids for i in fresh), "new corrections were deleted")
    expect(usage == actual, f"usage {usage} != the table's count|bytes {actual}")
    expect(integrity == "ok", f"integrity_check: {integrity}")
    expect(any(f"{len(expired)} corrections" in line for line in log_lines),
           f"no log line telling {len(expired)} corrections were deleted: {log_lines}")
    second.stop()
    expect.settle()


if __name__ == "__main__":
    F.main(body, deadline_s=120)
