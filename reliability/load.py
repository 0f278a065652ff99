"""An Entra-shaped write load against a running SCIM server, with a model
of what the acknowledged requests imply, shared by soak.py and crash.py.

Standard library only. Each worker owns its users and groups (a prefix of
its own), so the expected final state does not depend on how the workers
interleave: whatever the server acknowledged is in the model, and the
server must agree with the model at the end.
"""

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The example server as a child process."""

    def __init__(self, binary, database, token, log_path=None, extra=()):
        self.binary, self.database, self.token = binary, database, token
        self.log_path, self.extra = log_path, list(extra)
        self.proc, self.port = None, None

    def start(self, timeout=60):
        self.port = free_port()
        args = [self.binary, "--listen", f"127.0.0.1:{self.port}", "--token", self.token,
                "--admin-token", "reliability-admin"]
        args += ["--memory"] if self.database == "memory" else ["--database", self.database]
        args += self.extra
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        self.proc = subprocess.Popen(args, stdout=log, stderr=log, env=env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}")
            try:
                status, _ = Client(self.port, self.token).call("GET", "/ServiceProviderConfig")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def rss_kib(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None


class Client:
    """One keep-alive connection."""

    def __init__(self, port, token, timeout=30):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = None

    def call(self, method, path, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/scim+json"
        try:
            self.conn.request(method, "/scim/v2" + path, body=data, headers=headers)
            r = self.conn.getresponse()
            raw = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        return r.status, (json.loads(raw) if raw else None)


def q(text):
    return urllib.parse.quote(text, safe="")


class Worker:
    """A share of the load and of the model: its own users and groups."""

    def __init__(self, run, index, max_users=200, max_groups=5, seed=None):
        self.prefix = f"{run}-w{index}"
        self.rng = random.Random(seed if seed is not None else f"{run}-{index}")
        self.max_users, self.max_groups = max_users, max_groups
        self.users = {}      # id -> {"userName", "displayName", "active"}
        self.groups = {}     # id -> {"displayName", "members": set()}
        self.serial = 0
        self.latencies = []  # (time, seconds, ok)
        self.errors = []     # (op, status, body)
        self.in_flight = None

    def _name(self, kind):
        self.serial += 1
        return f"{self.prefix}-{kind}{self.serial}"

    def step(self, client):
        """One operation; records its latency and any error. Raises OSError
        when the connection fails (the server went away)."""
        ops = [("create_user", 3), ("lookup", 4), ("patch_user", 3),
               ("add_member", 3), ("remove_member", 2), ("delete_user", 1),
               ("create_group", 1 if len(self.groups) < self.max_groups else 0)]
        if len(self.users) >= self.max_users:
            ops = [(o, w if o != "create_user" else 0) for o, w in ops] + [("delete_user", 3)]
        if not self.users:
            ops = [("create_user", 1)]
        total = sum(w for _, w in ops)
        pick = self.rng.uniform(0, total)
        for op, w in ops:
            pick -= w
            if pick <= 0:
                break
        if op in ("add_member", "remove_member") and not self.groups:
            op = "create_group"
        start = time.monotonic()
        self.in_flight = op
        ok = getattr(self, op)(client)
        self.in_flight = None
        self.latencies.append((time.time(), time.monotonic() - start, ok))

    def _fail(self, op, status, body):
        self.errors.append((op, status, json.dumps(body)[:300] if body else ""))
        return False

    def create_user(self, c):
        name = self._name("user") + "@example.com"
        body = {"schemas": [USER_SCHEMA], "userName": name, "displayName": name,
                "active": True, "externalId": name,
                "emails": [{"value": name, "type": "work", "primary": True}]}
        status, r = c.call("POST", "/Users", body)
        if status != 201:
            return self._fail("create_user", status, r)
        self.users[r["id"]] = {"userName": name, "displayName": name, "active": True}
        return True

    def lookup(self, c):
        uid = self.rng.choice(list(self.users))
        name = self.users[uid]["userName"]
        status, r = c.call("GET", "/Users?filter=" + q('userName eq "%s"' % name))
        if status != 200 or r.get("totalResults") != 1 or r["Resources"][0]["id"] != uid:
            return self._fail("lookup", status, r)
        return True

    def patch_user(self, c):
        uid = self.rng.choice(list(self.users))
        display = self._name("display")
        active = self.rng.random() < 0.8
        body = {"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "Replace", "path": "displayName", "value": display},
            {"op": "Replace", "path": "active", "value": "True" if active else "False"}]}
        status, r = c.call("PATCH", f"/Users/{uid}", body)
        if status not in (200, 204):
            return self._fail("patch_user", status, r)
        self.users[uid].update(displayName=display, active=active)
        return True

    def create_group(self, c):
        name = self._name("group")
        status, r = c.call("POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name})
        if status != 201:
            return self._fail("create_group", status, r)
        self.groups[r["id"]] = {"displayName": name, "members": set()}
        return True

    def add_member(self, c):
        gid = self.rng.choice(list(self.groups))
        uid = self.rng.choice(list(self.users))
        body = {"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "Add", "path": "members", "value": [{"value": uid}]}]}
        status, r = c.call("PATCH", f"/Groups/{gid}", body)
        if status not in (200, 204):
            return self._fail("add_member", status, r)
        self.groups[gid]["members"].add(uid)
        return True

    def remove_member(self, c):
        gid = self.rng.choice(list(self.groups))
        members = self.groups[gid]["members"]
        if not members:
            return self.add_member(c)
        uid = self.rng.choice(sorted(members))
        body = {"schemas": [PATCH_SCHEMA], "Operations": [
            {"op": "Remove", "path": f'members[value eq "{uid}"]'}]}
        status, r = c.call("PATCH", f"/Groups/{gid}", body)
        if status not in (200, 204):
            return self._fail("remove_member", status, r)
        members.discard(uid)
        return True

    def delete_user(self, c):
        uid = self.rng.choice(list(self.users))
        status, r = c.call("DELETE", f"/Users/{uid}")
        if status != 204:
            return self._fail("delete_user", status, r)
        del self.users[uid]
        for g in self.groups.values():
            g["members"].discard(uid)
        return True

    def verify(self, c, in_flight=None):
        """Everything the model holds is on the server, exactly; returns a
        list of problems. `in_flight` names the operation that was in
        flight at a crash: its target may differ from the model."""
        problems = []
        tolerate = set()
        if in_flight:
            tolerate.add(in_flight)
        for uid, want in list(self.users.items()):
            status, r = c.call("GET", f"/Users/{uid}")
            if status != 200:
                if "delete_user" in tolerate and status == 404:
                    # The delete in flight was applied: the model follows.
                    del self.users[uid]
                    for g in self.groups.values():
                        g["members"].discard(uid)
                    tolerate.discard("delete_user")
                    continue
                problems.append(f"user {uid} ({want['userName']}): GET answered {status}")
                continue
            got = {k: r.get(k) for k in ("userName", "displayName", "active")}
            if got != want:
                if "patch_user" in tolerate and got["userName"] == want["userName"]:
                    self.users[uid].update(displayName=got["displayName"], active=got["active"])
                    tolerate.discard("patch_user")
                    continue
                problems.append(f"user {uid}: {got} != acknowledged {want}")
            status, f = c.call("GET", "/Users?filter=" + q('userName eq "%s"' % want["userName"]))
            if status != 200 or f.get("totalResults") != 1:
                problems.append(f"user {uid}: its userName key finds {f and f.get('totalResults')}")
        for gid, want in self.groups.items():
            status, r = c.call("GET", f"/Groups/{gid}")
            if status != 200:
                problems.append(f"group {gid}: GET answered {status}")
                continue
            got = {m["value"] for m in r.get("members", [])}
            if got != want["members"]:
                diff = got ^ want["members"]
                if tolerate & {"add_member", "remove_member"} and len(diff) == 1:
                    want["members"] = got
                    tolerate -= {"add_member", "remove_member"}
                else:
                    problems.append(f"group {gid}: members differ from acknowledged by {sorted(diff)}")
            for m in got:
                s, _ = c.call("GET", f"/Users/{m}")
                if s != 200:
                    problems.append(f"group {gid}: member {m} names no user (GET {s})")
        return problems


def all_prefixed(c, resource, prefix, attr):
    """Every resource whose `attr` starts with `prefix` (paged)."""
    out, start = [], 1
    filt = q('%s sw "%s"' % (attr, prefix))
    while True:
        status, r = c.call("GET", f"/{resource}?filter={filt}&startIndex={start}&count=500")
        if status != 200:
            raise RuntimeError(f"listing {resource}: {status} {r}")
        page = r.get("Resources", [])
        out += page
        if not page or start + len(page) > r["totalResults"]:
            return out
        start += len(page)


def run_workers(workers, port, token, seconds, stop_event=None):
    """Runs each worker in its own thread with its own connection until
    `seconds` pass or `stop_event` is set; returns when all stopped."""
    deadline = time.monotonic() + seconds
    stop_event = stop_event or threading.Event()

    def loop(w):
        c = Client(port, token)
        while time.monotonic() < deadline and not stop_event.is_set():
            try:
                w.step(c)
            except (OSError, http.client.HTTPException, ValueError):
                return  # the server went away mid-request
    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    return threads


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]
