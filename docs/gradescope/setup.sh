#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image.
# Build the autograder zip with `python3 docs/gradescope/make_bundle.py`: this script and
# run_autograder at its top level, beside the repository without solutions/, tests/ and .git.
set -euo pipefail
source_dir=/autograder/source
# A zip made by hand from the whole repository still must not ship the reference solutions,
# the mutants and fixtures, or the history into the image that runs student code.
rm -rf "$source_dir/solutions" "$source_dir/tests" "$source_dir/.git"
apt-get update
apt-get install -y python3 python3-pip python3-venv
python3 -m venv /opt/katas
/opt/katas/bin/pip install "$source_dir"
