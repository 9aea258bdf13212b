#!/usr/bin/env bash
# Installs (where missing), starts and waits for the local SQS/SNS emulator the AWS tests use, idempotently.
#
#   bash eng/brokers/aws.sh            start it (or find it running)
#   bash eng/brokers/aws.sh --stop     stop the emulator this script started (the fault tests restart it this way)
#
# The emulator is fauxqs 1.9.2 (npm; 2.x needs Node 22), installed with the machine's own npm configuration into
# MESSAGING_AWS_TOOLS_DIR (default ~/.cache/messaging-adapters/aws), never into the repository, together with the
# reference clients @aws-sdk/client-sns and @aws-sdk/client-sqs the request-equality tests compare with. It is
# started from eng/brokers/aws/fauxqs-server.mjs on 127.0.0.1 only (fauxqs's own launcher binds every interface).
# The tests reach it through the standard AWS variables: AWS_ENDPOINT_URL (default http://127.0.0.1:4566).
# Skipped when AWS_ENDPOINT_URL is unset and MESSAGING_AWS_REAL=true, or when AWS_ENDPOINT_URL names another host:
# the tests then use that endpoint (or real AWS) as it is. Exits non-zero with a reason when anything fails.
set -euo pipefail
# fail, as_root
source "$(dirname "$0")/../lib/root.sh"

readonly here="$(cd "$(dirname "$0")" && pwd)"
readonly endpoint="${AWS_ENDPOINT_URL:-http://127.0.0.1:4566}"
readonly tools="${MESSAGING_AWS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/messaging-adapters/aws}"
readonly startup_timeout="${AWS_EMULATOR_STARTUP_TIMEOUT:-30}"

if [ "${MESSAGING_AWS_REAL:-}" = "true" ] && [ -z "${AWS_ENDPOINT_URL:-}" ]; then
  echo "MESSAGING_AWS_REAL=true and no AWS_ENDPOINT_URL: the tests use real AWS, no emulator is started."
  exit 0
fi

# http://host:port[/...] -> host, port
authority="${endpoint#*://}"
authority="${authority%%/*}"
host="${authority%:*}"
port="${authority##*:}"
[ "$port" != "$authority" ] || port=80
readonly pid_file="$tools/fauxqs-$port.pid"
readonly log_file="$tools/fauxqs-$port.log"
case "$host" in
  localhost | 127.0.0.1) ;;
  *)
    echo "AWS_ENDPOINT_URL points at '$host', not this machine: using that endpoint, not starting the emulator."
    exit 0
    ;;
esac

# An SQS ListQueues over the JSON protocol answered with 200 and an SQS JSON body: an SQS endpoint is up (another
# server on the port does not count, and makes the start below fail loudly on the busy port).
answers() {
  local reply
  reply="$(curl -s -o /dev/null -w '%{http_code} %{content_type}' --max-time 2 -X POST "http://127.0.0.1:$port/" \
    -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: AmazonSQS.ListQueues' -d '{}')" || return 1
  [[ "$reply" == "200 application/x-amz-json-1.0"* ]]
}

stop() {
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    kill "$(cat "$pid_file")"
    for _ in $(seq 1 50); do
      kill -0 "$(cat "$pid_file")" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$(cat "$pid_file")" 2>/dev/null && fail "the emulator (pid $(cat "$pid_file")) did not stop."
    echo "Stopped the emulator."
  fi
  rm -f "$pid_file"
}

if [ "${1:-}" = "--stop" ]; then
  stop
  exit 0
fi

command -v curl >/dev/null 2>&1 || fail "curl is needed to probe the emulator; install it (apt-get install curl)."

command -v node >/dev/null 2>&1 || fail "Node.js 20 or later is needed for the emulator (fauxqs); none is on the PATH."
command -v npm >/dev/null 2>&1 || fail "npm is needed to install the emulator (fauxqs); none is on the PATH."
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "fauxqs 1.9.2 needs Node.js 20 or later; this machine has $(node --version)."

mkdir -p "$tools"
installed="$(node -p "try { require('$tools/node_modules/fauxqs/package.json').version } catch { '' }" 2>/dev/null || true)"
if [ "$installed" != "1.9.2" ] || ! cmp -s "$here/aws/package.json" "$tools/package.json"; then
  echo "Installing the emulator (fauxqs 1.9.2) and the reference AWS SDK clients into $tools..."
  cp "$here/aws/package.json" "$tools/package.json"
  # No lock file: it would record download addresses; the versions are pinned in package.json.
  (cd "$tools" && npm install --no-package-lock --no-audit --no-fund --loglevel=error) || fail "npm install in $tools failed."
fi
cp "$here/aws/fauxqs-server.mjs" "$tools/fauxqs-server.mjs"

# Installed first, so that the reference clients the tests use are there even when the emulator already runs.
if answers; then
  echo "The SQS/SNS emulator already answers at http://127.0.0.1:$port."
  exit 0
fi

echo "Starting the SQS/SNS emulator on 127.0.0.1:$port..."
(
  cd "$tools"
  FAUXQS_PORT="$port" FAUXQS_DEFAULT_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}" \
    nohup node fauxqs-server.mjs >"$log_file" 2>&1 &
  echo $! >"$pid_file"
)

for _ in $(seq 1 $((startup_timeout * 10))); do
  if answers; then
    echo "The SQS/SNS emulator answers at http://127.0.0.1:$port (pid $(cat "$pid_file"), log $log_file)."
    exit 0
  fi
  if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    fail "the emulator exited at start-up: $(tail -5 "$log_file")"
  fi
  sleep 0.1
done
fail "the emulator did not answer at http://127.0.0.1:$port within ${startup_timeout}s; see $log_file."
