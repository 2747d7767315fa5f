#!/usr/bin/env python3
"""Benchmark (not a test): paired A/B of `./netdash lab up labs/nat-pc.yaml` + `lab down` between builds.

    sudo bench/cli-ab.py ROUNDS LABEL=path/netdash ... [manual=manual]

Each round runs up + down once with every build (and bench/nat-pc-manual.sh for `manual=manual`), back to back,
the order rotating round by round, so all see the same load. Prints, per build, the median wall time and the median
CPU time (user + system of the CLI and every process it started, from RUSAGE_CHILDREN): on a busy machine CPU time
moves far less with the load than wall time does. Lab names are c<pid>-<label>-<round>; a failed run stops the bench.
"""
import os, resource, statistics, subprocess, sys, time

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rounds = int(sys.argv[1])
builds = [arg.split('=', 1) for arg in sys.argv[2:]]
cpu = {label: [] for label, _ in builds}
wall = {label: [] for label, _ in builds}


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


print('load average at start', open('/proc/loadavg').read().split()[:3])
for r in range(rounds):
    for k in range(len(builds)):
        label, dll = builds[(k + r) % len(builds)]
        lab = f'c{os.getpid()}-{label[:4]}-{r}'
        commands = ([['bench/nat-pc-manual.sh', 'up', lab], ['bench/nat-pc-manual.sh', 'down', lab]] if dll == 'manual' else
                    [['./netdash', 'lab', 'up', 'labs/nat-pc.yaml', '--name', lab], ['./netdash', 'lab', 'down', lab]])
        env = dict(os.environ, NETDASH_CLI=dll)
        cpu0, t0 = children_cpu(), time.monotonic()
        for command in commands:
            subprocess.run(command, cwd=repo, env=env, stdout=subprocess.DEVNULL, check=True)
        wall[label].append((time.monotonic() - t0) * 1000)
        cpu[label].append((children_cpu() - cpu0) * 1000)
print('load average at end', open('/proc/loadavg').read().split()[:3])
for label, _ in builds:
    print(f'{label:8} up+down: CPU median {statistics.median(cpu[label]):5.0f} ms, wall median {statistics.median(wall[label]):5.0f} ms ({rounds} rounds)')
