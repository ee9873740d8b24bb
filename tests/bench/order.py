#!/usr/bin/python3
# Unit test of bench/bench.py's run_order(): the order of the rows in each
# repetition. Over as many repetitions as rows (twice as many for an odd
# number) every row must run in every position, and right after every
# other row, equally often; and with the bench's own rows and repetitions,
# no row may always run right after the same one.
#
# usage: order.py [BENCH_DIR]

import collections

from benchcheck import check, finish

import bench


def balance(items, reps):
    """(how often each ordered pair runs back to back, how often each item
    runs in each position), over repetitions 0 to @reps - 1"""
    pairs = collections.Counter()
    places = collections.Counter()
    for rep in range(reps):
        order = bench.run_order(items, rep)
        if sorted(order) != sorted(items):
            return None, None
        pairs.update(zip(order, order[1:]))
        places.update(enumerate(order))
    return pairs, places


check("no rows", bench.run_order([], 3), [])
check("one row", bench.run_order(["a"], 5), ["a"])

for n in range(2, 10):
    items = ["row%d" % i for i in range(n)]
    reps = n if n % 2 == 0 else 2 * n
    want = 1 if n % 2 == 0 else 2
    pairs, places = balance(items, reps)
    check("%d rows, %d repetitions: each a permutation" % (n, reps),
          pairs is not None, True)
    if pairs is None:
        continue
    check("%d rows: every ordered pair back to back %d times" % (n, want),
          (len(pairs), set(pairs.values())), (n * (n - 1), {want}))
    check("%d rows: every row in every position %d times" % (n, want),
          (len(places), set(places.values())), (n * n, {want}))

# what bench.py runs by default: the rows of 1.26 (without the paced-only
# one) and of 1.22, 5 repetitions; a rotation of one order failed this
for rt in bench.RUNTIMES:
    rows = [t for t in bench.RUNTIME_TRANSPORTS[rt]
            if t not in bench.PACED_ONLY]
    before = collections.defaultdict(set)
    for rep in range(5):
        order = bench.run_order(rows, rep)
        for a, b in zip(order, order[1:]):
            before[b].add(a)
    always = sorted(t for t in rows if len(before[t]) == 1)
    check("GStreamer %s, 5 repetitions: no row always right after the same "
          "one" % rt, always, [])

finish()
