#!/usr/bin/env python3
"""Runs a `delta-arb batch` manifest on a Ray cluster.

    distributed/ray_batch.py MANIFEST --out DIR [--address HOST:PORT] [--delta-arb PATH]

The driver plans (``delta-arb batch --plan-only``: loads each dataset once and
writes every shard's rows under DIR/.batch), runs each shard as a Ray task that
calls ``delta-arb batch --shard NAME/K`` on a worker, and merges
(``delta-arb batch --merge-only``). DIR must be on storage every node sees at
the same path (see distributed/README.md). A task whose worker process dies is
retried (``--max-retries``); a shard already finished (its result file is
there) is not redone, so the run resumes after any failure. The outputs equal
those of ``delta-arb batch MANIFEST --out DIR`` (all but elapsed_seconds).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import ray


def find_binary(given):
    path = given or shutil.which("delta-arb")
    if not path or not os.access(path, os.X_OK):
        sys.exit("ray_batch: no delta-arb executable: give --delta-arb PATH or put delta-arb on PATH")
    return os.path.abspath(path)


@ray.remote(max_retries=3, retry_exceptions=False)
def run_shard(binary, manifest, out, shard):
    """One shard, in a child process of the Ray worker (its exit is the task's)."""
    done = subprocess.run([binary, "batch", manifest, "--out", out, "--shard", shard],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"shard {shard}: delta-arb exited {done.returncode}: {done.stderr.strip()}")
    return shard


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest")
    parser.add_argument("--out", required=True, help="output directory, on storage every node sees")
    parser.add_argument("--address", help="Ray cluster address HOST:PORT (default: start a local Ray)")
    parser.add_argument("--delta-arb", dest="binary", help="delta-arb executable (default: the one on PATH)")
    parser.add_argument("--max-retries", type=int, default=3, help="retries of a shard whose worker dies (default 3)")
    parser.add_argument("--num-cpus", type=int, help="CPUs of a local Ray started here (default: all)")
    args = parser.parse_args(argv)

    binary = find_binary(args.binary)
    manifest = os.path.abspath(args.manifest)
    out = os.path.abspath(args.out)

    planned = subprocess.run([binary, "batch", manifest, "--out", out, "--plan-only"],
                             stdout=subprocess.PIPE, text=True)
    if planned.returncode != 0:
        return planned.returncode
    shards = json.loads(planned.stdout)["shards"]

    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=args.num_cpus)
    task = run_shard.options(max_retries=args.max_retries)
    pending = [task.remote(binary, manifest, out, s) for s in shards]
    done = 0
    failed = []
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        try:
            ray.get(ready[0])
            done += 1
            print(f"\rray_batch: {done}/{len(shards)} shards", end="", file=sys.stderr, flush=True)
        except Exception as error:  # a shard that failed after its retries
            failed.append(str(error))
    print(file=sys.stderr)
    ray.shutdown()
    if failed:
        for message in failed:
            print(f"ray_batch: error: {message}", file=sys.stderr)
        return 1

    merged = subprocess.run([binary, "batch", manifest, "--out", out, "--merge-only"])
    return merged.returncode


if __name__ == "__main__":
    sys.exit(main())
