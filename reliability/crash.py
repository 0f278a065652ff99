#!/usr/bin/env python3
"""Crash safety: kill -9 the example server in the middle of a write load,
restart it on the same database, and check that every acknowledged write
is there and nothing is half-written.

    reliability/crash.py --binary target/release/scim-example-axum \\
        --database sqlite:///tmp/crash.db --cycles 10 --load-seconds 3

Each cycle runs an Entra-shaped write load (creates, PATCHes, member adds
and removes, deletes; several workers at once), sends SIGKILL while
requests are in flight, starts the server again and checks, against the
model of acknowledged requests:

* every acknowledged user and group is there with its acknowledged
  values, and acknowledged deletes stayed deleted;
* every user's userName key finds it, exactly once;
* every group's members are exactly the acknowledged ones, and each names
  an existing user;
* every resource of the run on the server is whole (readable, findable by
  its key): an unacknowledged create either landed whole or not at all.

The request in flight at the kill may have been applied or not; the model
follows the server for that one request only. Exit status 0 when every
cycle passes. Standard library only.
"""

import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402


def whole(c, run):
    """Problems with resources of the run the model may not know: each must
    be readable and findable by its key."""
    problems = []
    for u in load.all_prefixed(c, "Users", run, "userName"):
        status, _ = c.call("GET", f"/Users/{u['id']}")
        if status != 200:
            problems.append(f"listed user {u['id']} answers {status}")
        status, f = c.call("GET", "/Users?filter=" + load.q('userName eq "%s"' % u["userName"]))
        if status != 200 or f.get("totalResults") != 1:
            problems.append(f"user {u['userName']}: key finds {f and f.get('totalResults')}")
        # The unique key survived too: a second create is a conflict.
        status, _ = c.call("POST", "/Users", {"schemas": [load.USER_SCHEMA], "userName": u["userName"]})
        if status != 409:
            problems.append(f"user {u['userName']}: a duplicate create answered {status}, not 409")
    for g in load.all_prefixed(c, "Groups", run, "displayName"):
        status, r = c.call("GET", f"/Groups/{g['id']}")
        if status != 200:
            problems.append(f"listed group {g['id']} answers {status}")
            continue
        for m in r.get("members", []):
            s, _ = c.call("GET", f"/Users/{m['value']}")
            if s != 200:
                problems.append(f"group {g['id']}: member {m['value']} names no user")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True, help="the example server's binary")
    ap.add_argument("--database", required=True, help="sqlite://FILE or postgres://...")
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--load-seconds", type=float, default=3.0, help="load before each kill (randomized up to twice)")
    ap.add_argument("--workers", type=int, default=6)
    ap.add_argument("--log", default=None, help="append the server's output here")
    ap.add_argument("--self-test", action="store_true",
                    help="restart on a fresh SQLite file instead: the check must report the loss "
                         "(exit 0 only if it does), proving it can fail")
    args = ap.parse_args()
    if args.database == "memory":
        sys.exit("a crash test needs a database that survives the process")

    run = f"crash{int(time.time())}{random.randrange(1000)}"
    token = "crash-token"
    log = args.log or os.path.join(tempfile.gettempdir(), f"{run}.log")
    workers = [load.Worker(run, i, max_users=60, max_groups=3) for i in range(args.workers)]
    server = load.Server(args.binary, args.database, token, log).start()
    acknowledged = 0
    failed = False
    for cycle in range(1, args.cycles + 1):
        seconds = args.load_seconds * random.uniform(0.5, 2.0)
        before = sum(len(w.latencies) for w in workers)
        threads = load.run_workers(workers, server.port, token, seconds + 60)
        time.sleep(seconds)
        server.kill9()  # mid-load: requests are in flight
        for t in threads:
            t.join()
        in_flight = {id(w): w.in_flight for w in workers}
        for w in workers:
            w.in_flight = None
        acked = sum(len(w.latencies) for w in workers) - before
        acknowledged += acked
        database = args.database
        if args.self_test:
            database = f"sqlite://{tempfile.gettempdir()}/{run}-lost-{cycle}.db"
        server = load.Server(args.binary, database, token, log).start()
        c = load.Client(server.port, token)
        problems = []
        for w in workers:
            problems += [f"[{w.prefix}] {p}" for p in w.verify(c, in_flight[id(w)])]
        problems += whole(c, run)
        errors = [e for w in workers for e in w.errors]
        for w in workers:
            w.errors.clear()
        users = sum(len(w.users) for w in workers)
        members = sum(len(g["members"]) for w in workers for g in w.groups.values())
        print(f"cycle {cycle}: load {seconds:.1f}s, {acked} acknowledged requests, "
              f"killed with {sum(1 for v in in_flight.values() if v)} in flight; "
              f"after restart {users} users and {members} memberships checked: "
              f"{'OK' if not problems and not errors else 'FAILED'}", flush=True)
        for p in problems[:20]:
            print("  problem:", p)
        for e in errors[:10]:
            print("  refused during the load:", e)
        failed |= bool(problems or errors)
    server.stop()
    if args.self_test:
        print("self-test:", "the check caught the lost data" if failed else "the check MISSED the lost data")
        sys.exit(0 if failed else 1)
    print(f"{args.cycles} kill -9 cycles, {acknowledged} acknowledged writes and reads: "
          f"{'FAILED' if failed else 'every acknowledged write survived, nothing half-written'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
