#!/usr/bin/env python3
"""kill -9 of digit-server under write load on SQLite (--feedback-db sqlite:DIR/fb.sqlite), three times over on
the same file: clients write corrections without pause, the server is SIGKILLed mid-load; then
`PRAGMA integrity_check` must answer ok, every acknowledged id must be in the table, nothing may be there
that was neither acknowledged nor in flight at the kill, and the usage account must equal the table. At the
end a server restarted on the same file takes new corrections (201, kept), deletes one by its token, and
stops cleanly.

Fails when: a correction is acknowledged before its transaction is committed (an acknowledged id missing
after the kill); the file or its WAL is left corrupt; a half-done transaction survives (row without its
account, or the reverse); the server cannot open the file after a crash (stale lock, failed WAL recovery, a
migration run twice); any answer other than 201 before the kill.
"""
import json
import random
import threading
import time

import faultlib as F

WRITERS, ROUNDS = 6, 3


def body(args):
    F.require_tool("sqlite3")
    work = F.workdir("fb-faults-kill9-")
    db = f"{work}/fb.sqlite"
    flags = ["--feedback-db", f"sqlite:{db}", "--feedback-per-minute", "0", "--threads", "2"]
    image = F.image_bytes()
    requests = {label: F.feedback_request(label, image) for label in range(10)}
    acked = {}     # id -> label, over all rounds
    in_flight = 0  # requests whose answer the kill took, over all rounds
    rng = random.Random(7)

    for round_ in range(1, ROUNDS + 1):
        server = F.Server(args, flags, f"{work}/server-{round_}.log").start()
        lock = threading.Lock()
        killed = threading.Event()
        round_acked, bad, lost_before_kill, cut = {}, [], [], [0]

        def writer(n):
            labels = F.random_labels(round_ * 100 + n)
            conn = F.Client(server.port, timeout=10)
            while True:
                label = labels()
                try:
                    status, _, data = conn.send("POST", "/feedback", *requests[label])
                except Exception as e:
                    with lock:
                        if killed.is_set():
                            cut[0] += 1
                        else:
                            lost_before_kill.append(repr(e))
                    return
                with lock:
                    if status == 201:
                        round_acked[json.loads(data)["id"]] = str(label)
                    elif not killed.is_set():
                        bad.append((status, F.error_code(data)))
                if killed.is_set():
                    return

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 20:
            with lock:
                enough = len(round_acked) >= 150 and not bad and not lost_before_kill
                done = bad or lost_before_kill
            if enough or done:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.3))  # a different moment of the write each round
        with lock:
            killed.set()
            before_kill = len(round_acked)
        rc = server.kill9()
        for t in threads:
            t.join(15)
        F.check(not lost_before_kill, f"round {round_}: answers lost before the kill: {lost_before_kill[:3]}")
        F.check(not bad, f"round {round_}: refused before the kill: {bad[:5]}")
        F.check(rc == -9, f"round {round_}: the server exited with {rc}, not by SIGKILL")
        acked.update(round_acked)
        in_flight += cut[0]

        integrity = F.sqlite(db, "PRAGMA integrity_check").strip()
        ids = dict(line.split("|", 1) for line in F.sqlite(db, "SELECT id, label FROM feedback").splitlines())
        count = int(F.sqlite(db, "SELECT count(*) FROM feedback").strip())
        usage = F.sqlite(db, "SELECT row_count, byte_count FROM feedback_usage").strip()
        sum_bytes = F.sqlite(db, "SELECT coalesce(sum(stored_bytes), 0) FROM feedback").strip()
        F.log(f"round {round_}: killed after {before_kill} acknowledged ({len(round_acked)} with answers in "
              f"the last moment), {cut[0]} in flight; integrity_check: {integrity}; {count} rows, "
              f"usage {usage}, sum(stored_bytes) {sum_bytes}")
        F.check(integrity == "ok", f"round {round_}: integrity_check: {integrity}")
        missing = [i for i in acked if i not in ids]
        F.check(not missing, f"round {round_}: {len(missing)} acknowledged ids missing after kill -9: {missing[:3]}")
        wrong = [i for i, lab in acked.items() if ids[i] != lab]
        F.check(not wrong, f"round {round_}: {len(wrong)} ids kept under another label")
        F.check(len(acked) <= count <= len(acked) + in_flight,
                f"round {round_}: {count} rows for {len(acked)} acknowledged and {in_flight} in flight")
        F.check(usage == f"{count}|{sum_bytes}", f"round {round_}: usage {usage} != rows|bytes {count}|{sum_bytes}")

    # A server on the same file works as before.
    server = F.Server(args, flags, f"{work}/server-after.log").start()
    conn = F.Client(server.port)
    new = {}
    for i in range(20):
        status, _, data = conn.send("POST", "/feedback", *requests[i % 10])
        F.check(status == 201, f"after the kills: /feedback answered {status} {data[:200]!r}")
        new[json.loads(data)["id"]] = json.loads(data)["delete_token"]
    victim, token = next(iter(new.items()))
    status, _, data = conn.send("DELETE", f"/feedback/{victim}", headers={"X-Delete-Token": token})
    F.check(status == 204, f"after the kills: DELETE answered {status} {data[:200]!r}")
    conn.close()
    server.stop()
    F.check(server.proc.returncode == 0, f"the server stopped with {server.proc.returncode}:\n{server.log()}")
    ids = set(F.sqlite(db, "SELECT id FROM feedback").split())
    F.check(all(i in ids for i in new if i != victim) and victim not in ids,
            "after the kills: the new corrections are not kept as answered")
    F.check(all(i in ids for i in acked), "after the kills: earlier corrections lost by the restarted server")
    integrity = F.sqlite(db, "PRAGMA integrity_check").strip()
    count = int(F.sqlite(db, "SELECT count(*) FROM feedback").strip())
    usage = F.sqlite(db, "SELECT row_count FROM feedback_usage").strip()
    versions = F.sqlite(db, "SELECT count(*), max(version) FROM schema_migrations").strip()
    F.log(f"after restart: 20 written (201), 1 deleted (204); {count} rows, usage row_count {usage}, "
          f"integrity_check {integrity}, schema_migrations (count|max) {versions}")
    F.check(integrity == "ok", f"after the restart: integrity_check: {integrity}")
    F.check(usage == str(count), f"after the restart: usage row_count {usage} != {count}")
    F.check(versions.split("|")[0] == versions.split("|")[1], f"migrations recorded twice: {versions}")


if __name__ == "__main__":
    F.main(body, deadline_s=150)
