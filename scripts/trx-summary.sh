#!/usr/bin/env bash
# Sums the <Counters> of every .trx file under a folder and prints one line:
#   N passed, N failed, N skipped
# failed counts failed, error, timeout and aborted tests; skipped is total minus executed.
# Exit: 0 when tests ran and none failed, 1 when any failed, 3 when no test ran.
set -euo pipefail

dir="${1:?usage: trx-summary.sh RESULTS_DIR}"

find "$dir" -type f -name '*.trx' -print0 2>/dev/null \
    | xargs -0 -r cat \
    | grep -o '<Counters [^>]*>' \
    | awk '
        function attr(name,   m) {
            if (match($0, " " name "=\"[0-9]+\"")) {
                m = substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 4)
                return m + 0
            }
            return 0
        }
        {
            total += attr("total"); executed += attr("executed"); passed += attr("passed")
            failed += attr("failed") + attr("error") + attr("timeout") + attr("aborted")
            not_executed += attr("notExecuted")
        }
        END {
            skipped = total - executed
            if (skipped < not_executed) skipped = not_executed
            printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
            if (failed > 0) exit 1
            if (passed + failed == 0) exit 3
            exit 0
        }'
