#!/usr/bin/env bash
# Builds and starts the local Kafka test broker, idempotently: librdkafka's mock cluster in a small long-lived
# process (eng/brokers/kafka-mock). No Apache Kafka can be installed on these machines; the mock speaks the Kafka
# protocol on 127.0.0.1 with consumer groups, committed offsets and fault injection (see the adapter README).
#
#   bash eng/brokers/kafka.sh          # start (or keep) the mock; prints its bootstrap servers
#   bash eng/brokers/kafka.sh stop     # stop it
#
# Also installs Debian's kcat (the third-party client of the interop tests) where it is missing.
# Skipped when MESSAGING_KAFKA_BOOTSTRAP is set: the tests then use that cluster as it is and nothing is started.
# The mock's ports are chosen by librdkafka, so the script writes them where the tests read them:
#   $MESSAGING_KAFKA_STATE_DIR (default ${TMPDIR:-/tmp}/messaging-adapters-kafka)/bootstrap   bootstrap servers
#   .../control   host:port of the mock's control channel (create topics, brokers down/up, request errors)
#   .../pid, .../log
# Exits non-zero with a reason if the broker cannot be started.
set -euo pipefail
# fail, as_root
source "$(dirname "$0")/../lib/root.sh"
cd "$(dirname "$0")/../.."

readonly state_dir="${MESSAGING_KAFKA_STATE_DIR:-${TMPDIR:-/tmp}/messaging-adapters-kafka}"
readonly project="eng/brokers/kafka-mock/KafkaMock.csproj"
readonly out_dir="$state_dir/bin"
readonly startup_timeout="${KAFKA_MOCK_STARTUP_TIMEOUT:-60}"

if [ "${1:-}" != "stop" ] && ! command -v kcat >/dev/null 2>&1 && [ -z "${MESSAGING_KCAT:-}" ]; then
  echo "Installing kcat..."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y kcat >/dev/null 2>&1 ||
    { as_root apt-get update >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y kcat >/dev/null 2>&1; } ||
    fail "could not install Debian's kcat (the Kafka interop tests need it; or set MESSAGING_KCAT)."
fi

if [ -n "${MESSAGING_KAFKA_BOOTSTRAP:-}" ]; then
  echo "MESSAGING_KAFKA_BOOTSTRAP is set ($MESSAGING_KAFKA_BOOTSTRAP): using that cluster, not starting the mock."
  exit 0
fi

running_pid() {
  [ -f "$state_dir/pid" ] || return 1
  local pid
  pid="$(cat "$state_dir/pid")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q KafkaMock "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

# Asks the control channel a question; prints the answer line.
control() {
  local endpoint host port answer
  endpoint="$(cat "$state_dir/control" 2>/dev/null)" || return 1
  host="${endpoint%:*}"
  port="${endpoint##*:}"
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf '%s\n' "$*" >&3
  IFS= read -r -t 5 answer <&3 || { exec 3>&-; return 1; }
  exec 3>&-
  echo "$answer"
}

if [ "${1:-}" = "stop" ]; then
  if pid="$(running_pid)"; then
    kill "$pid"
    echo "Stopped the Kafka mock cluster (pid $pid)."
  else
    echo "The Kafka mock cluster is not running."
  fi
  exit 0
fi

if pid="$(running_pid)" && [ "$(control ping 2>/dev/null)" = "ok" ]; then
  echo "The Kafka mock cluster is already running (pid $pid) at $(cat "$state_dir/bootstrap")."
  exit 0
fi

command -v dotnet >/dev/null 2>&1 || fail "dotnet is not on the PATH; it builds the mock cluster."
mkdir -p "$state_dir"
echo "Building the Kafka mock cluster..."
dotnet build "$project" -c Release -o "$out_dir" -nologo -v quiet >"$state_dir/build.log" 2>&1 ||
  fail "building $project failed; see $state_dir/build.log."

rm -f "$state_dir/bootstrap" "$state_dir/control" "$state_dir/pid"
echo "Starting the Kafka mock cluster..."
setsid nohup dotnet "$out_dir/KafkaMock.dll" --state-dir "$state_dir" --brokers 3 --rebalance-delay-ms 300 \
  >"$state_dir/log" 2>&1 </dev/null &

deadline=$((SECONDS + startup_timeout))
until [ -f "$state_dir/bootstrap" ] && [ "$(control ping 2>/dev/null)" = "ok" ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "the mock cluster did not start within ${startup_timeout} s; see $state_dir/log."
  sleep 0.5
done

echo "The Kafka mock cluster is ready at $(cat "$state_dir/bootstrap") (control channel $(cat "$state_dir/control"); state in $state_dir)."
