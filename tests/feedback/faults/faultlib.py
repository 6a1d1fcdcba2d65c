"""Shared by the feedback store's fault tests (tests/feedback/faults/test_*.py): real digit-server processes
on free loopback ports, a real PostgreSQL from tests/support/postgres.sh, multipart corrections over
keep-alive connections, and clean-up that runs however the test ends (failure, exception, SIGTERM/SIGINT
from CTest or a terminal, or the test's own deadline).

Python standard library only. Every test is run as `python3 test_x.py --server BIN --model MODEL`.
"""
import argparse
import atexit
import ctypes
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
POSTGRES_SH = os.path.join(ROOT, "tests", "support", "postgres.sh")
DIGIT_PNG = os.path.join(ROOT, "docs", "examples", "digit.png")


class TestFailure(Exception):
    pass


def fail(message):
    raise TestFailure(message)


def check(condition, message):
    if not condition:
        fail(message)


class Expectations:
    """Checks that are all looked at before the test fails, so that one run reports every problem."""

    def __init__(self):
        self.problems = []

    def __call__(self, condition, message):
        if not condition:
            self.problems.append(message)
            print(f"PROBLEM: {message}", file=sys.stderr, flush=True)
        return condition

    def settle(self):
        if self.problems:
            fail(f"{len(self.problems)} problem(s): " + "; ".join(self.problems))


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- clean-up, whatever happens

_cleanups = []
_cleanup_lock = threading.Lock()


def on_cleanup(fn):
    """Runs fn at the end (last registered first), even on failure or a signal."""
    with _cleanup_lock:
        _cleanups.append(fn)
    return fn


def run_cleanups():
    while True:
        with _cleanup_lock:
            if not _cleanups:
                return
            fn = _cleanups.pop()
        try:
            fn()
        except Exception as e:  # clean-up goes on
            print(f"clean-up step failed: {e}", file=sys.stderr, flush=True)


def _on_signal(signum, frame):
    print(f"signal {signum}: cleaning up", file=sys.stderr, flush=True)
    run_cleanups()
    os._exit(128 + signum)


def _on_deadline(signum, frame):
    print("the test's own deadline passed: cleaning up and failing", file=sys.stderr, flush=True)
    run_cleanups()
    os._exit(1)


def main(body, deadline_s=150):
    """Parses --server/--model, runs body(args) and cleans up; exit status 0 only if body returned."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default=os.path.join(ROOT, "build", "bin", "digit-server"))
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "digitnet.cnn"))
    args = parser.parse_args()
    atexit.register(run_cleanups)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, _on_signal)
    # Before CTest's TIMEOUT (which would kill this process and leave PostgreSQL behind): our own deadline.
    signal.signal(signal.SIGALRM, _on_deadline)
    signal.alarm(deadline_s)
    check(os.access(args.server, os.X_OK), f"no digit-server at {args.server}")
    check(os.path.isfile(args.model), f"no model at {args.model}")
    status = 0
    try:
        body(args)
        log("PASS")
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
        status = 1
    except Exception:
        import traceback
        traceback.print_exc()
        status = 1
    finally:
        signal.alarm(0)
        run_cleanups()
    sys.exit(status)


def workdir(prefix):
    """A scratch folder (world-traversable, so PostgreSQL's user may reach a cluster inside), removed at the end."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    on_cleanup(lambda: shutil.rmtree(path, ignore_errors=True))
    return path


# ---------------------------------------------------------------- digit-server

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # PR_SET_PDEATHSIG: should this test be killed outright (SIGKILL), the servers go with it.
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    os.setpgrp()


class Server:
    """One digit-server on 127.0.0.1, API port only, started and ready (model loaded)."""

    def __init__(self, args, extra, log_path):
        self.binary, self.model = args.server, args.model
        self.extra = list(extra)
        self.log_path = log_path
        self.proc = None
        self.port = None
        on_cleanup(self.stop)

    def launch(self):
        """Starts the process (from the main thread: the servers die with the thread that started them)."""
        logf = open(self.log_path, "ab")
        self._log_offset = logf.tell()
        self.proc = subprocess.Popen(
            [self.binary, "--model", self.model, "--host", "127.0.0.1", "--port", "0", "--ui-port", "-1"]
            + self.extra, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        logf.close()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log()
            m = re.search(r"API on http://[^:]+:(\d+)", text[self._log_offset:])
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                fail(f"digit-server exited with {self.proc.returncode} at start:\n{text}")
            time.sleep(0.05)
        else:
            fail(f"digit-server did not start within {timeout} s:\n{self.log()}")
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/readyz", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        fail(f"digit-server's /readyz did not answer 200 within {timeout} s:\n{self.log()}")

    def start(self, timeout=30):
        return self.launch().wait_ready(timeout)

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait(10)

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


# ---------------------------------------------------------------- HTTP

def request(port, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class Client:
    """A keep-alive connection to one server; reconnects after an error."""

    def __init__(self, port, timeout=15):
        self.port, self.timeout = port, timeout
        self.conn = None

    def send(self, method, path, body=None, headers=None):
        """(status, headers, body); raises OSError/HTTPException when the answer was lost."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            r = self.conn.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            if hdrs.get("connection", "").lower() == "close":
                self.close()
            return r.status, hdrs, data
        except Exception:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


BOUNDARY = "----digitfaults4b1e"


def multipart(fields, file_bytes, filename="digit.png", content_type="image/png"):
    parts = []
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + file_bytes + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def image_bytes(path=DIGIT_PNG):
    with open(path, "rb") as f:
        return f.read()


def feedback_request(label, image):
    body, headers = multipart({"label": str(label), "kind": "digit", "consent": "true",
                               "predicted": "3", "model_version": "faults-test"}, image)
    return body, headers


def error_code(body):
    try:
        return json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None


def percentile(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


# ---------------------------------------------------------------- PostgreSQL (tests/support/postgres.sh)

def _pg_bin():
    dirs = sorted((d for d in os.listdir("/usr/lib/postgresql") if d.isdigit()), key=int) \
        if os.path.isdir("/usr/lib/postgresql") else []
    check(dirs and os.access(f"/usr/lib/postgresql/{dirs[-1]}/bin/pg_ctl", os.X_OK),
          "PostgreSQL is not installed (Debian package postgresql; scripts/setup.sh test installs it)")
    return f"/usr/lib/postgresql/{dirs[-1]}/bin"


class Postgres:
    """A fresh cluster by tests/support/postgres.sh start; stop_server()/start_server() take the running
    server down and up again (same cluster, same port); removed at the end by postgres.sh stop."""

    def __init__(self, parent):
        self.bin = _pg_bin()
        self.dir = os.path.join(parent, "pg")
        on_cleanup(self.destroy)
        out = subprocess.run([POSTGRES_SH, "start", self.dir], capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, f"postgres.sh start failed: {out.stderr}")
        self.url = out.stdout.strip().splitlines()[-1]
        with open(os.path.join(self.dir, "port")) as f:
            self.port = f.read().strip()

    def _as_owner(self, argv):
        return (["runuser", "-u", "postgres", "--"] + argv) if os.getuid() == 0 else argv

    def stop_server(self):
        subprocess.run(self._as_owner([f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w",
                                       "stop"]), check=True, capture_output=True, timeout=60)

    def start_server(self):
        subprocess.run(self._as_owner([f"{self.bin}/pg_ctl", "-D", f"{self.dir}/data", "-o",
                                       f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                                       "-l", f"{self.dir}/log", "-w", "-t", "30", "start"]),
                       check=True, capture_output=True, timeout=60)

    def psql(self, sql):
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.url, "-c", sql],
                             capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, f"psql failed on {sql!r}: {out.stderr}")
        return out.stdout

    def destroy(self):
        if os.path.isdir(self.dir):
            subprocess.run([POSTGRES_SH, "stop", self.dir], capture_output=True, timeout=60)


def sqlite(path, sql):
    out = subprocess.run(["sqlite3", "-batch", path, sql], capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"sqlite3 failed on {sql!r}: {out.stderr}")
    return out.stdout


def require_tool(name):
    check(shutil.which(name) is not None, f"{name} is not installed (scripts/setup.sh test installs it)")


def random_labels(seed):
    rng = random.Random(seed)
    return lambda: rng.randrange(10)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
