#!/usr/bin/env python3
"""Soak: an Entra-shaped mixed load for a long time on one store, then the
final state against what the acknowledged requests imply.

    reliability/soak.py --binary target/release/scim-example-axum \\
        --database sqlite:///tmp/soak.db --minutes 10

Workers create users, look them up by `userName eq` (what Entra does
before every change), PATCH them (Entra's capitalized ops and string
booleans), add and remove group members, and delete users; each keeps at
most --max-users users, so the data stops growing after the warm-up and
memory must too. Reported per minute: requests, errors, p50 and p99
latency, resident memory. Passes when there are no errors, the p99 of
every minute after warm-up stays within --p99-factor of the first such
minute's (or under --p99-floor-ms), resident memory after warm-up stays
within 10% of its value at the end of warm-up, and the final state equals
the model. Standard library only.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import load  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--database", required=True, help="memory, sqlite://FILE or postgres://...")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--warmup-minutes", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--max-users", type=int, default=250, help="per worker")
    ap.add_argument("--interval", type=float, default=60.0, help="seconds per reported window")
    ap.add_argument("--p99-factor", type=float, default=3.0)
    ap.add_argument("--p99-floor-ms", type=float, default=50.0,
                    help="a window's p99 under this passes whatever the factor")
    ap.add_argument("--rss-tolerance", type=float, default=0.10)
    ap.add_argument("--json", default=None, help="write the windows and the verdict here")
    args = ap.parse_args()

    run = f"soak{int(time.time())}{random.randrange(1000)}"
    token = "soak-token"
    log = os.path.join(tempfile.gettempdir(), f"{run}.log")
    server = load.Server(args.binary, args.database, token, log).start()
    workers = [load.Worker(run, i, max_users=args.max_users, max_groups=4) for i in range(args.workers)]
    seconds = args.minutes * 60
    start = time.time()
    threads = load.run_workers(workers, server.port, token, seconds)
    rss = []  # (time, KiB)
    while any(t.is_alive() for t in threads):
        rss.append((time.time(), server.rss_kib()))
        time.sleep(min(5.0, args.interval / 4))
    for t in threads:
        t.join()
    end = time.time()

    samples = sorted(x for w in workers for x in w.latencies)
    errors = [e for w in workers for e in w.errors]
    windows = []
    t = start
    while t < end - 1e-9:
        lat = [s for (at, s, ok) in samples if t <= at < t + args.interval]
        mem = [k for (at, k) in rss if t <= at < t + args.interval and k]
        windows.append({
            "minute": round((t - start) / 60, 2),
            "requests": len(lat),
            "rps": round(len(lat) / args.interval, 1),
            "p50_ms": round(load.percentile(lat, 0.50) * 1000, 2),
            "p99_ms": round(load.percentile(lat, 0.99) * 1000, 2),
            "rss_mib": round(max(mem) / 1024, 1) if mem else None,
        })
        t += args.interval
    warm = args.warmup_minutes * 60
    after = [w for w in windows if w["minute"] * 60 >= warm - 1e-6 and w["requests"]]
    # The last window may be partial: judged only for errors.
    full = [w for w in after if w is not windows[-1] or (end - start) % args.interval < 1e-6]
    verdict = []
    if errors:
        verdict.append(f"{len(errors)} requests failed, e.g. {errors[:3]}")
    if full:
        base = full[0]["p99_ms"]
        for w in full[1:]:
            if w["p99_ms"] > max(base * args.p99_factor, args.p99_floor_ms):
                verdict.append(f"p99 at minute {w['minute']} is {w['p99_ms']} ms (first after warm-up {base} ms)")
        base_rss = [k for (at, k) in rss if at >= start + warm and k]
        if base_rss:
            ref = base_rss[0]
            peak = max(base_rss)
            if peak > ref * (1 + args.rss_tolerance):
                verdict.append(f"resident memory grew from {ref / 1024:.1f} MiB to {peak / 1024:.1f} MiB after warm-up")
    else:
        verdict.append("no full window after the warm-up: run longer")

    c = load.Client(server.port, token)
    problems = []
    for w in workers:
        problems += [f"[{w.prefix}] {p}" for p in w.verify(c)]
    on_server = load.all_prefixed(c, "Users", run, "userName")
    expected = sum(len(w.users) for w in workers)
    if len(on_server) != expected:
        problems.append(f"{len(on_server)} users of the run on the server, {expected} acknowledged")
    verdict += problems[:20]
    server.stop()

    print(f"{'minute':>6} {'requests':>9} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'RSS MiB':>8}")
    for w in windows:
        print(f"{w['minute']:>6} {w['requests']:>9} {w['rps']:>7} {w['p50_ms']:>8} {w['p99_ms']:>8} {w['rss_mib']!s:>8}")
    total = len(samples)
    print(f"{total} requests in {end - start:.0f} s on {args.database.split('@')[-1]}, "
          f"{len(errors)} errors; final state: {expected} users, "
          f"{sum(len(g['members']) for w in workers for g in w.groups.values())} memberships "
          f"{'as acknowledged' if not problems else 'DIFFERENT'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"database": args.database.split("@")[-1], "windows": windows,
                       "errors": len(errors), "verdict": verdict}, f, indent=1)
    if verdict:
        print("FAILED:")
        for v in verdict:
            print("  " + v)
        sys.exit(1)
    print("PASSED: no errors, p99 steady, memory flat after warm-up, final state as acknowledged")


if __name__ == "__main__":
    main()
