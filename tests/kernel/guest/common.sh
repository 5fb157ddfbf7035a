# Sourced by the guest-side test scripts (busybox sh inside the QEMU guest).

# wait_transition PATCH [TENTHS]: wait until the livepatch transition of PATCH
# is over, i.e. /sys/kernel/livepatch/PATCH/transition reads 0 or, after the
# patch was disabled, its sysfs directory is gone (a disabled patch is freed).
# Default limit 30 s; returns 1 if the transition is still going on by then.
wait_transition() {
  d=/sys/kernel/livepatch/$1
  n=0; max=${2:-300}
  while [ -e "$d/transition" ] && [ "$(cat "$d/transition" 2>/dev/null)" != 0 ]; do
    n=$((n + 1))
    if [ "$n" -gt "$max" ]; then
      echo "LPB-OBS $1-transition: stuck after ${n} polls"
      return 1
    fi
    sleep 0.1 2>/dev/null || usleep 100000
  done
  if [ -e "$d" ]; then
    echo "LPB-OBS $1-transition: done after ${n} polls, enabled=$(cat "$d/enabled")"
  else
    echo "LPB-OBS $1-transition: done after ${n} polls, patch removed"
  fi
}

fails=0
check() { # check NAME STATUS
  if [ "$2" = 0 ]; then echo "LPB-CHECK $1 PASS"; else echo "LPB-CHECK $1 FAIL"; fails=$((fails + 1)); fi
}
