#!/bin/sh
# Keeps one process of the reference deployment tied to the stampede process that started it:
#   sh live/guard.sh PID_FILE COMMAND [ARGS...]
# with file descriptor 3 one end of a socket pair whose other end only stampede holds (the
# lifeline). The guard leads its own process group (it is spawned detached) and runs COMMAND in
# that group. It writes COMMAND's pid to PID_FILE (so that faults can signal the process itself:
# SIGSTOP, SIGKILL) and exits with COMMAND's status (128 + the signal if a signal ended it).
# When stampede is gone, however it died (SIGKILL too), the kernel closes its end: the read below
# ends and the whole group is killed, so nothing outlives it. A shell, not Node: a Node guard
# cost ~0.1 s of CPU to start, ten of them a deployment (docs/ARCHITECTURE.md, "The test suite").
pid_file=$1
shift
"$@" 3<&- &
child=$!
# The lifeline's watcher, also in the group. Nothing is ever written to it: read ends at the end
# of file. Started before the trap below is set, which a subshell would hold until it resets it.
(read -r _ <&3; kill -KILL 0) &
watcher=$!
exec 3<&-
# stampede stops a deployment by signalling each whole group (live/processes.ts, stopGroup), so
# COMMAND is signalled too; a signal to the guard alone is passed on, and the guard still exits
# with COMMAND's status.
trap 'kill -TERM "$child" 2>/dev/null' TERM INT HUP
# Written last: whoever has read it (stampede's faults, its tests) finds the trap set and the
# watcher started.
echo "$child" > "$pid_file"
while :; do
  # (dash would log "Killed" or "Terminated" into COMMAND's log: the log is COMMAND's own.)
  wait "$child" 2>/dev/null
  status=$?
  # A trapped signal ends `wait` early (status > 128) while COMMAND may still run.
  kill -0 "$child" 2>/dev/null || break
done
# Reaped here, not left to init: the group is gone when the guard is.
kill -KILL "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
exit "$status"
