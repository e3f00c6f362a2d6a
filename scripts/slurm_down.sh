#!/usr/bin/env bash
# Stop the daemons started by scripts/slurm_up.sh (by pid file, never by name), waiting for each.
for f in /run/slurmd.pid /run/slurmctld.pid /run/munge/munged.pid; do
  [ -s "$f" ] || continue
  p=$(cat "$f")
  kill "$p" 2>/dev/null || continue
  for i in $(seq 1 100); do
    kill -0 "$p" 2>/dev/null || break
    [ "$(ps -o stat= -p "$p" | tr -d ' ')" = Z ] && break
    sleep 0.1
  done
done
exit 0
