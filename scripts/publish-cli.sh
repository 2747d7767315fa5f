#!/usr/bin/env bash
# Publishes NetDashboard as ./netdash runs it: ReadyToRun (compiled ahead of time), so a one-shot CLI command does not
# spend its life in the JIT (bench/README.md, "A faster CLI").
#
#   scripts/publish-cli.sh [OUT [dotnet publish options…]]     OUT defaults to artifacts/publish
#
# setup.sh runs it after the Release build; bench/lab-up-down.sh runs it into a private folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/artifacts/publish}"
shift || true
exec dotnet publish "$root/src/NetDashboard" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$out" -nologo "$@"
