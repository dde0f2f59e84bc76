#!/usr/bin/env python3
"""CI test of ray_batch.py on a real local Ray cluster (run by scripts/test.sh).

    python distributed/test_ray_batch.py --delta-arb PATH

Starts `ray start --head --num-cpus 2` on a free port, runs ray_batch.py on a
three-dataset manifest (written in YAML; `delta-arb batch` reads the same in
JSON) while killing the Ray worker process (and its delta-arb child) of one
shard mid-run, checks that the shard was retried and that every output equals
`delta-arb batch`'s, and stops the cluster. Fails
(never skips) when Ray is missing.
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes():
    """(pid, ppid, argv) of every process we can read."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        yield int(entry), ppid, [a.decode(errors="replace") for a in argv if a]


def canonical(path):
    with open(path) as f:
        doc = json.load(f)
    if isinstance(doc, dict):
        doc.pop("elapsed_seconds", None)
    return json.dumps(doc, sort_keys=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--delta-arb", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.delta_arb)
    import ray  # noqa: F401  (fails here, not skipped, when Ray is missing)

    work = tempfile.mkdtemp(prefix="ray-batch-test-")
    for name, hours, seed in [("a", "12", "1"), ("b", "10", "2"), ("c", "8", "3")]:
        subprocess.run([binary, "generate", "--hours", hours, "--seed", seed, "--out", f"{work}/{name}.csv"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = f"{work}/m.json"
    with open(manifest, "w") as f:
        json.dump({"datasets": [{"name": n, "file": f"{n}.csv"} for n in "abc"], "slice_hours": 2,
                   "walk_forward": {"window_hours": 3, "update_minutes": 10, "grid_steps": 8},
                   "backtests": [{"entry": 0.3, "exit": 0.1}]}, f)

    # The Ray run reads the same manifest written in YAML: the driver passes the path through to
    # every stage, and the outputs must still equal the JSON manifest's.
    manifest_yaml = f"{work}/m.yaml"
    with open(manifest_yaml, "w") as f:
        f.write("# m.json in YAML\ndatasets:\n" + "".join(f"  - {{name: {n}, file: {n}.csv}}\n" for n in "abc")
                + "slice_hours: 2\nwalk_forward: {window_hours: 3, update_minutes: 10, grid_steps: 8}\n"
                + "backtests:\n  - entry: 0.3\n    exit: 0.1\n")

    local = f"{work}/local"
    subprocess.run([binary, "batch", manifest, "--out", local], check=True, stderr=subprocess.DEVNULL)

    port = free_port()
    # A loopback test cluster: no token auth (Ray turns it on by itself when ~/.ray/auth_token exists).
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled")
    ray_bin = os.path.join(os.path.dirname(sys.executable), "ray")
    temp = f"{work}/ray"
    # --block keeps the cluster's processes under this one process group, which the end stops (only them).
    head = subprocess.Popen([ray_bin, "start", "--head", "--block", "--num-cpus", "2", "--port", str(port), "--temp-dir", temp,
                             "--include-dashboard", "false"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 90
        while True:
            assert head.poll() is None and time.time() < deadline, "ray start --head did not come up"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        out = f"{work}/ray-out"
        killed = []

        def killer():
            # Kill the first shard caught running: its Ray worker and its delta-arb child.
            deadline = time.time() + 120
            while time.time() < deadline and not killed:
                for pid, ppid, argv in processes():
                    if argv[:2] == [binary, "batch"] and "--shard" in argv and out in argv:
                        shard = argv[argv.index("--shard") + 1]
                        name, k = shard.split("/")
                        os.kill(ppid, signal.SIGKILL)
                        os.kill(pid, signal.SIGKILL)
                        results = [f for f in os.listdir(f"{out}/.batch/{name}") if f.startswith(f"shard-{k}-")]
                        killed.append((shard, results))
                        return
                time.sleep(0.005)

        thread = threading.Thread(target=killer)
        thread.start()
        run = subprocess.run([sys.executable, f"{HERE}/ray_batch.py", manifest_yaml, "--out", out,
                              "--address", f"127.0.0.1:{port}", "--delta-arb", binary], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        thread.join()
        assert run.returncode == 0, f"ray_batch failed: {run.stderr}"
        assert killed, "no shard was caught running to be killed"
        shard, results_at_kill = killed[0]
        assert results_at_kill == [], f"shard {shard} had finished before the kill: {results_at_kill}"
        name, k = shard.split("/")
        assert any(f.startswith(f"shard-{k}-") for f in os.listdir(f"{out}/.batch/{name}")), \
            f"the killed shard {shard} was not retried"
        compared = 0
        for n in "abc":
            for f in ["walk_forward.json", "backtests.json", "analysis.json"]:
                assert canonical(f"{out}/{n}/{f}") == canonical(f"{local}/{n}/{f}"), f"{n}/{f} differs"
                compared += 1
        assert canonical(f"{out}/summary.json") == canonical(f"{local}/summary.json"), "summary.json differs"
        with open(f"{out}/index.html") as a, open(f"{local}/index.html") as b:
            assert a.read() == b.read(), "index.html differs"
        print(f"ray batch test: killed shard {shard}'s worker mid-run; it was retried; "
              f"{compared + 2} output files equal delta-arb batch's")
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
