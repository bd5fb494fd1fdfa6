#!/usr/bin/env bash
# Run a command as root is in a default `docker run`: with Docker's default capabilities and
# no others (no CAP_SYS_ADMIN, CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH), as Gradescope and
# Docker CI grade. Sandboxes then run as their own uid without a view of the files, or keep
# root where the interpreter lies in a folder only root may enter; the grader's notes say
# which. As a normal user, or without setpriv (util-linux), it says so and does nothing.
set -euo pipefail
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null 2>&1; then
    echo "as_docker: skipped (needs root and setpriv)"
    exit 0
fi
caps="-all,+chown,+dac_override,+fsetid,+fowner,+mknod,+net_raw,+setgid,+setuid,+setfcap"
caps="$caps,+setpcap,+net_bind_service,+sys_chroot,+kill,+audit_write"
exec setpriv --inh-caps="$caps" --bounding-set="$caps" "$@"
