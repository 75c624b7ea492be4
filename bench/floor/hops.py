#!/usr/bin/env python3
# Where one caller's round trip goes, hop by hop. Reads the text of
# `perf script -F comm,tid,cpu,time,event,trace` over a latency run
# (bench/floor/hops records it) and follows each job's chain of wake-ups,
# from one reply to the caller to the next:
#
#   jq-submit -> caller (-> jq-submit) -> Redis -> jq-worker -> Redis
#   -> jq-worker -> Redis -> jq-submit -> caller
#
# A segment runs from the wake-up that starts it to the next one in the
# chain, so it holds the woken process's wait for a CPU ("wake delay"), its
# own work and its write. The caller's next line often finds jq-submit
# still awake (no wake-up to time), so the first segment holds both. Jobs
# in which another process was already running when its turn came are left
# out and counted.
#   hops.py PERF_SCRIPT_TEXT
import bisect
import re
import statistics
import sys

PROCESS = (
    ("jq-bench-pipe", "caller"),
    ("jq-submit", "submitter"),
    ("redis-server", "redis"),
    ("jq-worker", "worker"),
)
# (waker, wakee, who works in the segment, what it does)
CHAIN = [
    ("submitter", "caller", "caller, jq-submit", "the next line, its add"),
    ("submitter", "redis", "Redis", "add script, wake the blocked worker"),
    ("redis", "worker", "jq-worker", "BRPOPLPUSH's reply, send the take"),
    ("worker", "redis", "Redis", "take script"),
    ("redis", "worker", "jq-worker", "run the SQL, send the finish"),
    ("worker", "redis", "Redis", "finish script, publish the reply"),
    ("redis", "submitter", "jq-submit", "the event, write the reply line"),
]
LINE = re.compile(r"^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(\S+):\s+(.*)$")
WAKEE = re.compile(r"comm=(.*?) pid=(\d+)")
SWITCHED_IN = re.compile(r"next_comm=(.*?) next_pid=(\d+)")


def role(comm):
    for prefix, name in PROCESS:
        if comm.startswith(prefix):
            return name
    return None


def read(path):
    wakes = []  # (time, waker role, wakee role, wakee tid)
    switched_in = {}  # tid -> times it got a CPU
    with open(path, encoding="utf-8", errors="replace") as text:
        for line in text:
            match = LINE.match(line)
            if not match:
                continue
            comm, _, _, time, event, trace = match.groups()
            if event == "sched_waking":
                wakee = WAKEE.search(trace)
                if wakee:
                    wakes.append(
                        (float(time), role(comm), role(wakee.group(1)), int(wakee.group(2)))
                    )
            elif event == "sched_switch":
                nxt = SWITCHED_IN.search(trace)
                if nxt:
                    switched_in.setdefault(int(nxt.group(2)), []).append(float(time))
    return wakes, switched_in


def main():
    wakes, switched_in = read(sys.argv[1])

    def wake_delay(time, tid):
        times = switched_in.get(tid, [])
        i = bisect.bisect_left(times, time)
        return times[i] - time if i < len(times) else None

    starts = [i for i, w in enumerate(wakes) if w[1:3] == CHAIN[0][:2]]
    spans = [[] for _ in CHAIN]
    delays = [[] for _ in CHAIN]
    cycles = skipped = 0
    for start, end in zip(starts, starts[1:]):
        chain = [wakes[start]]
        j = start + 1
        for waker, wakee, _, _ in CHAIN[1:]:
            while j < end and wakes[j][1:3] != (waker, wakee):
                j += 1
            if j >= end:
                break
            chain.append(wakes[j])
            j += 1
        if len(chain) < len(CHAIN):
            skipped += 1
            continue
        cycles += 1
        chain.append(wakes[end])
        for k in range(len(CHAIN)):
            spans[k].append((chain[k + 1][0] - chain[k][0]) * 1e6)
            delay = wake_delay(chain[k][0], chain[k][3])
            if delay is not None:
                delays[k].append(delay * 1e6)
    if cycles == 0:
        sys.exit("hops: no complete chain of wake-ups in the recording")
    print(f"{cycles} jobs with every hop timed ({skipped} left out: a process was already running)")
    print(f"{'segment, from the wake-up that starts it':50} {'p50 µs':>7} {'mean':>6} {'wake delay p50':>15}")
    by = {}
    for k, (_, _, who, what) in enumerate(CHAIN):
        print(f"{who + ': ' + what:50} {statistics.median(spans[k]):7.0f} {statistics.mean(spans[k]):6.0f} "
              f"{statistics.median(delays[k]):15.0f}")
        by[who] = by.get(who, 0) + statistics.median(spans[k])
    total = sum(statistics.median(s) for s in spans)
    print(f"{'sum of the p50s':50} {total:7.0f}        {sum(statistics.median(d) for d in delays):15.0f}")
    print("by process (p50s): " + ", ".join(f"{who} {us:.0f} µs" for who, us in by.items()))


if __name__ == "__main__":
    main()
