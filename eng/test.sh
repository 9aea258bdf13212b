#!/usr/bin/env bash
# Runs every test of the solution: unit tests and the conformance suite against every transport.
# Brokers a transport needs are installed and started by eng/brokers/<transport>.sh before the run;
# a broker that cannot be started fails the run (the suite never skips a transport for a missing broker).
set -euo pipefail
cd "$(dirname "$0")/.."

for broker in eng/brokers/*.sh; do
  [ -e "$broker" ] || continue
  echo "== starting broker: $broker"
  bash "$broker"
done

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

dotnet build Messaging.Adapters.sln -c Release -warnaserror
set +e
dotnet test Messaging.Adapters.sln -c Release --no-build \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" "$@"
status=$?
set -e

# One summary over every test project, with each capability skip and its reason, so skips are visible.
python3 eng/summarize-trx.py "$results" || status=1
exit $status
