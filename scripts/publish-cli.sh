#!/usr/bin/env bash
# Publishes the CLI that ./netdash runs: src/NetDashboard.Cli compiled ahead of time to one native program (Native
# AOT, needs clang and zlib1g-dev), so a one-shot `lab up` starts in milliseconds instead of spending its life in the
# runtime's start-up and the JIT (bench/README.md, "A faster CLI").
#
#   scripts/publish-cli.sh [OUT [dotnet publish options…]]     OUT defaults to artifacts/cli
#
# setup.sh runs it after the Release build; bench/lab-up-down.sh runs it into a private folder.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/artifacts/cli}"
shift || true
exec dotnet publish "$root/src/NetDashboard.Cli" -c Release -r linux-x64 -o "$out" -nologo "$@"
