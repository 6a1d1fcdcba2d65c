#!/usr/bin/env python3
"""Two digit-server processes on one PostgreSQL; 8 concurrent clients send 500 corrections each, every client
alternating between the two servers. Every acknowledged (201) correction must be kept exactly once, with the
label it was sent with; nothing may be lost, refused or duplicated, and the usage account
(feedback_usage.row_count, byte_count) must equal what the table holds. Prints throughput and latency.

Fails when: a correction is refused or its answer lost under load (any non-201, any connection error); an
acknowledged id is missing, kept twice or under another label; rows appear that nobody was told about; the
row/byte account drifts from the table (a lost update between the two servers' transactions); the servers
do not start on one database (migrations racing).
"""
import json
import resource
import threading
import time

import faultlib as F

CLIENTS, PER_CLIENT = 8, 500


def body(args):
    F.require_tool("psql")
    work = F.workdir("fb-faults-two-")
    pg = F.Postgres(work)
    F.log(f"PostgreSQL at {pg.url}")
    flags = ["--feedback-db", pg.url, "--feedback-per-minute", "0", "--threads", "2"]
    # Both started at once: the migrations must take turns.
    servers = [F.Server(args, flags, f"{work}/server-{i}.log") for i in range(2)]
    for s in servers:
        s.launch()
    for s in servers:
        s.wait_ready()
    F.log(f"servers on ports {servers[0].port} and {servers[1].port}")
    image = F.image_bytes()
    requests = {label: F.feedback_request(label, image) for label in range(10)}  # built once: cheap clients

    results = [[] for _ in range(CLIENTS)]  # per client: (server index, label, status, code, id, latency)
    lost = []                               # (client, i, server index, error)
    go = threading.Event()

    def client(n):
        labels = F.random_labels(1000 + n)
        conns = [F.Client(s.port) for s in servers]
        go.wait()
        for i in range(PER_CLIENT):
            which = (i + n) % 2
            label = labels()
            body_, headers = requests[label]
            t0 = time.perf_counter()
            try:
                status, _, data = conns[which].send("POST", "/feedback", body_, headers)
            except Exception as e:
                lost.append((n, i, which, repr(e)))
                continue
            latency = time.perf_counter() - t0
            rid = None
            if status == 201:
                rid = json.loads(data)["id"]
            results[n].append((which, str(label), status, F.error_code(data), rid, latency))
        for c in conns:
            c.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t_start = time.perf_counter()
    go.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t_start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)

    flat = [r for rs in results for r in rs]
    acked = {r[4]: r[1] for r in flat if r[2] == 201}
    statuses = {}
    for r in flat:
        key = f"{r[2]}" + (f" {r[3]}" if r[3] else "")
        statuses[key] = statuses.get(key, 0) + 1
    latencies = [r[5] for r in flat]
    F.check(flat, f"no answers at all: {len(lost)} lost, e.g. {lost[:3]}")
    F.log(f"{len(flat)} answers in {wall:.2f} s: {len(flat) / wall:.1f} requests/s; latency p50 "
          f"{F.percentile(latencies, 50) * 1000:.1f} ms, p99 {F.percentile(latencies, 99) * 1000:.1f} ms, "
          f"max {max(latencies) * 1000:.1f} ms; the Python clients used {client_cpu:.1f} s of CPU "
          f"({client_cpu / wall * 100:.0f}% of a core)")
    for k in range(2):
        lk = [r[5] for r in flat if r[0] == k]
        F.log(f"  server {k}: {len(lk)} answers, p50 {F.percentile(lk, 50) * 1000:.1f} ms, "
              f"p99 {F.percentile(lk, 99) * 1000:.1f} ms")
    F.log(f"statuses: {statuses}; answers lost: {len(lost)}")
    for s in servers:
        F.check(s.proc.poll() is None, f"a server died under load:\n{s.log()}")

    # What the database holds.
    rows = [line.split("|") for line in pg.psql("SELECT id, label, count(*) OVER (PARTITION BY id) FROM feedback")
            .splitlines() if line]
    count = int(pg.psql("SELECT count(*) FROM feedback").strip())
    usage_rows, usage_bytes = map(int, pg.psql("SELECT row_count, byte_count FROM feedback_usage").strip().split("|"))
    sum_bytes = int(pg.psql("SELECT coalesce(sum(stored_bytes), 0) FROM feedback").strip())
    kept = {}
    for rid, label, n in rows:
        kept.setdefault(rid, []).append((label, int(n)))
    F.log(f"table: {count} rows, {len(kept)} distinct ids; feedback_usage: row_count {usage_rows}, "
          f"byte_count {usage_bytes} (sum of stored_bytes {sum_bytes})")

    missing = [i for i in acked if i not in kept]
    twice = [i for i, v in kept.items() if len(v) != 1 or v[0][1] != 1]
    wrong_label = [i for i, lab in acked.items() if i in kept and kept[i][0][0] != lab]
    unknown = [i for i in kept if i not in acked]
    F.check(not lost, f"{len(lost)} answers lost (connection errors), e.g. {lost[:3]}")
    F.check(len(acked) == CLIENTS * PER_CLIENT,
            f"only {len(acked)} of {CLIENTS * PER_CLIENT} corrections acknowledged: {statuses}")
    F.check(not missing, f"{len(missing)} acknowledged corrections are not in the table, e.g. {missing[:3]}")
    F.check(not twice, f"{len(twice)} ids kept more than once, e.g. {twice[:3]}")
    F.check(not wrong_label, f"{len(wrong_label)} corrections kept under another label, e.g. {wrong_label[:3]}")
    F.check(count == len(acked) + len(lost),
            f"{count} rows for {len(acked)} acknowledged (+{len(lost)} lost answers): {len(unknown)} unknown rows")
    F.check(usage_rows == count, f"feedback_usage.row_count {usage_rows} != count(*) {count}")
    F.check(usage_bytes == sum_bytes, f"feedback_usage.byte_count {usage_bytes} != sum(stored_bytes) {sum_bytes}")


if __name__ == "__main__":
    F.main(body, deadline_s=150)
