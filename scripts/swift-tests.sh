#!/usr/bin/env bash
# Runs the Swift tests in two processes. The live-network suites (exchange feeds
# against stand-in servers, the HTTP service, `delta-arb serve` end to end) time
# subscriptions, staleness and reconnections on the wall clock; in one process
# with the hundreds of compute-bound tests, their tasks wait behind those for
# the few cooperative threads, and a feed starved for longer than its own
# timeouts reconnects where the test expects it not to. So they run second, in
# a process of their own (which `swift test` makes for each invocation).
# Arguments are passed to both invocations (e.g. --skip-build).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
live='DeltaArbitrageExchangeFeedsTests|DeltaArbitrageServiceTests|ServeCLITests'
status=0
swift test "$@" --skip "$live" || status=$?
swift test --skip-build "$@" --filter "$live" || status=$?
exit $status
