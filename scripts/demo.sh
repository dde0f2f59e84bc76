#!/usr/bin/env bash
# The main job on generated data: builds delta-arb in release mode, generates
# 48 h of mock book ticks, analyses the spread, backtests the seed's default
# thresholds, optimises the thresholds on the last 24 h (with an HTML report)
# runs the 5-minute walk-forward, and paper-trades the replay through the live
# strategy stack. Output lands in ./demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
scripts/install-deps.sh
swift build -c release --product delta-arb >&2
bin=$(swift build -c release --show-bin-path)/delta-arb
mkdir -p demo-output
"$bin" generate --hours 48 --seed 1 --out demo-output/ticks.csv
"$bin" analyze demo-output/ticks.csv
"$bin" backtest demo-output/ticks.csv --entry 0.5 --exit 0.1 --max-hours 6 --spot-fee 0.0005 --fut-fee 0.0005
"$bin" analyze demo-output/ticks.csv --json > demo-output/analysis.json
"$bin" backtest demo-output/ticks.csv --json > demo-output/backtest.json
"$bin" optimize demo-output/ticks.csv --lookback-hours 24 --report demo-output/report
"$bin" optimize demo-output/ticks.csv --lookback-hours 24 --json > demo-output/optimize.json
"$bin" walk-forward demo-output/ticks.csv --window-hours 24 --update-minutes 5 --report demo-output/walk-forward-report
"$bin" walk-forward demo-output/ticks.csv --window-hours 24 --update-minutes 5 --json > demo-output/walk-forward.json
# The live stack on the same replay: re-optimising strategy, paper exchange, durable state.
"$bin" paper demo-output/ticks.csv --state demo-output/state.sqlite --event-log demo-output/events.jsonl --json \
  > demo-output/paper.json 2>/dev/null
echo "JSON results, report/ and walk-forward-report/ (HTML), paper.json and events.jsonl written to demo-output/" >&2
