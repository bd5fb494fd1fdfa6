#!/usr/bin/env bash
# Run the grader's own tests as an unprivileged user, the way students run the grader.
#
# CI runs as root, where sandboxes drop to a separate uid; students never do. When this
# script runs as root it copies the repository into a world-readable temporary folder, makes
# a virtualenv there from a Python that other users can reach (pyenv keeps its Pythons under
# /root, which only root may enter), and runs pytest as `nobody` with no capabilities. As a
# normal user there is nothing to add (tox's py3xx environments already ran as that user).
# Arguments go to pytest.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(id -u)" != 0 ]; then
    echo "run_as_user: already an unprivileged user; the py3xx environments ran the tests as you"
    exit 0
fi

user=${GRADER_TEST_USER:-nobody}
uid=$(id -u "$user")
gid=$(id -g "$user")
reachable() {  # the Python at $1 and its standard library can be used by $user
    setpriv --reuid="$uid" --regid="$gid" --clear-groups "$1" -c 'import json, venv' 2>/dev/null
}
python=""
for candidate in "${GRADER_USER_PYTHON:-}" /usr/bin/python3 /usr/local/bin/python3 "$(command -v python3)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && reachable "$candidate"; then
        python=$candidate
        break
    fi
done
if [ -z "$python" ]; then
    echo "run_as_user: no Python that $user can run (set GRADER_USER_PYTHON)" >&2
    exit 1
fi

work=$(mktemp -d /tmp/katas-user.XXXXXX)
# The user's runtime folder, as a login manager makes it (where the grader keeps its folders
# out of the sandboxes' reach: grader.workspace); removed after unless it was there before.
runtime=/run/user/$uid
made_runtime=""
if [ ! -d "$runtime" ] && mkdir -p -m 700 "$runtime" 2>/dev/null; then
    chown "$uid:$gid" "$runtime"
    made_runtime=$runtime
fi
trap 'rm -rf "$work" ${made_runtime:+"$made_runtime"}' EXIT
chmod 755 "$work"
mkdir "$work/repo"
(cd "$repo" && tar --exclude=./.tox --exclude=./.venv --exclude=./.git --exclude='.grader' \
    --exclude='__pycache__' -cf - .) | tar -C "$work/repo" -xf -
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$work/repo" pytest-timeout pyyaml
echo "run_as_user: $user (uid $uid) runs the tests with $("$work/venv/bin/python" -V)"
cd "$work/repo"
setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all \
    env HOME="$work" XDG_RUNTIME_DIR="$runtime" PYTHONDONTWRITEBYTECODE=1 \
    "$work/venv/bin/python" -m pytest "$@"
