#!/usr/bin/env bash
# Debian packages the kernel test harness (scripts/kernel, tests/kernel) needs.
exec "$(dirname "$0")/../install-deps.sh" --kernel "$@"
