#!/usr/bin/env python3
"""Costs that must not grow with the store, measured one request at a time.

    scale_probe.py BASE_URL TOKEN IDS_FILE [--big-group N] [--deep PAGES]

IDS_FILE lists existing users ("id<TAB>userName" per line, as
../shared/bench/bench.sh writes it). Prints one JSON object: the median
latency in ms (over --samples requests each, sequential, on one keep-alive
connection) of

  filter     GET /Users?filter=userName eq "<a random existing user>"
  email      GET /Users?filter=emails[type eq "work"].value eq "<same>"
  get        GET /Users/<a random id>
  list       GET /Users?startIndex=1&count=100 (its totalResults counts)
  cursor_first / cursor_deep
             GET /Users?count=100&cursor=..., the first page, and a page
             reached by following nextCursor past --deep pages of 1 000
  add_small / add_big
             PATCH adding one member to a group of 10, and to a group of
             --big-group members (built with PATCHes of 1 000)

Run it at two store sizes and compare (ratios, not absolute times: the
machines are shared). Loopback targets only.
"""
import argparse
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("token")
    ap.add_argument("ids")
    ap.add_argument("--big-group", type=int, default=0)
    ap.add_argument("--deep", type=int, default=0)
    ap.add_argument("--samples", type=int, default=200)
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.base)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loopback targets only")
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    root = u.path.rstrip("/")
    hdr = {
        "Authorization": f"Bearer {a.token}",
        "Content-Type": "application/scim+json",
    }

    def call(method, path, body=None, ok=(200, 201, 204)):
        conn.request(method, root + path, body=json.dumps(body) if body is not None else None, headers=hdr)
        r = conn.getresponse()
        data = r.read()
        if r.status not in ok:
            sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def timed(fn):
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1000

    def median(fn, n=a.samples):
        fn()  # warm
        return round(statistics.median(timed(fn) for _ in range(n)), 3)

    users = [l.rstrip("\n").split("\t") for l in open(a.ids) if "\t" in l]
    q = urllib.parse.quote
    out = {"users_listed": len(users)}
    pick = lambda: random.choice(users)
    out["filter"] = median(lambda: call("GET", "/Users?filter=" + q(f'userName eq "{pick()[1]}"')))
    out["email"] = median(lambda: call("GET", "/Users?filter=" + q(f'emails[type eq "work"].value eq "{pick()[1]}"')))
    out["get"] = median(lambda: call("GET", "/Users/" + pick()[0]))
    out["list"] = median(lambda: call("GET", "/Users?startIndex=1&count=100"), n=max(5, a.samples // 20))
    out["cursor_first"] = median(lambda: call("GET", "/Users?count=100&cursor="), n=max(5, a.samples // 20))
    if a.deep:
        page = call("GET", "/Users?count=1000&cursor=")
        for _ in range(a.deep):
            nxt = page.get("nextCursor")
            if not nxt:
                break
            page = call("GET", "/Users?count=1000&cursor=" + q(nxt))
        deep = page.get("nextCursor")
        if deep:
            out["cursor_deep"] = median(lambda: call("GET", "/Users?count=100&cursor=" + q(deep)), n=max(5, a.samples // 20))
            out["cursor_deep_after_users"] = a.deep * 1000 + 1000

    def group(name, size):
        g = call("POST", "/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name})
        for i in range(0, size, 1000):
            chunk = [{"value": x[0]} for x in users[i:min(size, i + 1000)]]
            call("PATCH", f"/Groups/{g['id']}", {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": chunk}]})
        return g["id"]

    def adder(gid, pool):
        it = iter(pool)
        def add():
            call("PATCH", f"/Groups/{gid}", {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": next(it)[0]}]}]})
        return add

    tag = str(int(time.time()))
    small = group(f"probe-small-{tag}", 10)
    pool = users[-(a.samples + 5):]
    out["add_small"] = median(adder(small, pool))
    if a.big_group:
        big = group(f"probe-big-{tag}", a.big_group)
        out["big_group"] = a.big_group
        out["add_big"] = median(adder(big, pool))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
