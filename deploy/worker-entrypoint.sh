#!/bin/sh
# Worker entrypoint (docker-compose.yml): gives the local sandbox the guarantees the tests
# check. Runs as root with only the capabilities bwrap, slot uids, the /box tmpfs and
# cgroups need (compose: cap_drop ALL + cap_add). Then execs the worker command.
set -eu
# Docker mounts the cgroup filesystem read-only; our private cgroup namespace may be rw.
mount -o remount,rw /sys/fs/cgroup 2>/dev/null || true
for d in /sys/fs/cgroup/memory /sys/fs/cgroup/pids /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct; do
  [ -d "$d" ] && mount -o remount,rw "$d" 2>/dev/null || true
done
# cgroup v2: a cgroup with processes cannot hand controllers to children, so move every
# process of the namespace's root into /init, then delegate memory/pids/cpu below the root.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  for c in memory pids cpu; do
    grep -qw "$c" /sys/fs/cgroup/cgroup.controllers && echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || true
  done
fi
exec "$@"
