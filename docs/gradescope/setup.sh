#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
# The autograder zip is this repository (with setup.sh and run_autograder at its top level).
set -euo pipefail
apt-get update
apt-get install -y python3 python3-pip python3-venv
python3 -m venv /opt/katas
/opt/katas/bin/pip install /autograder/source
