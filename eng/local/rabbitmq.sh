#!/usr/bin/env bash
# Installs (where missing), starts and waits for a RabbitMQ on this machine, idempotently: for running the sample or
# the benchmark on RabbitMQ by hand, or the tests without a container engine (MESSAGING_RABBITMQ_URI pointing here).
# eng/test.sh does not run it: the tests start RabbitMQ in containers (eng/brokers/containers.sh builds the image).
#
#   bash eng/local/rabbitmq.sh
#
# Skipped when MESSAGING_RABBITMQ_URI points at another host: that broker is used as it is.
# Debian's rabbitmq-server (3.10.8 on Debian 12) has what the adapter needs (quorum queues, stream queues, single
# active consumer, at-least-once dead-lettering); the adapter uses no plugin, so none is enabled here.
# Needs root (or passwordless sudo) to install and start the server; exits non-zero with a reason if anything fails.
set -euo pipefail
# fail, as_root
source "$(dirname "$0")/../lib/root.sh"

readonly default_uri="amqp://guest:guest@localhost:5672/"
readonly uri="${MESSAGING_RABBITMQ_URI:-$default_uri}"
readonly startup_timeout="${RABBITMQ_STARTUP_TIMEOUT:-120}"

# Host of an amqp(s)://[user[:password]@]host[:port][/vhost] URI, without printing the password anywhere.
host="${uri#*://}"
host="${host#*@}"
host="${host%%/*}"
host="${host%%:*}"
case "$host" in
  localhost | 127.0.0.1 | ::1 | "[::1]" | "$(hostname)") ;;
  *)
    echo "MESSAGING_RABBITMQ_URI points at '$host', not this machine: using that broker, not starting a local one."
    exit 0
    ;;
esac

if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
  echo "Installing rabbitmq-server..."
  as_root apt-get update || fail "apt-get update failed."
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y rabbitmq-server || fail "apt-get install rabbitmq-server failed."
fi
export PATH="$PATH:/usr/sbin:/usr/lib/rabbitmq/bin"
command -v rabbitmqctl >/dev/null 2>&1 || fail "rabbitmqctl is not on the PATH after installing rabbitmq-server."

if as_root rabbitmqctl status >/dev/null 2>&1; then
  echo "RabbitMQ is already running."
else
  echo "Starting RabbitMQ..."
  # Debian's package starts the service where a service manager runs; containers and CI machines have none.
  as_root rabbitmq-server -detached || fail "rabbitmq-server -detached failed; see /var/log/rabbitmq."
fi

# The node must answer before await_startup can wait on it; give it the same overall budget.
deadline=$((SECONDS + startup_timeout))
until as_root rabbitmqctl status >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || fail "RabbitMQ did not answer within ${startup_timeout} s; see /var/log/rabbitmq."
  sleep 1
done
as_root rabbitmqctl await_startup --timeout "$startup_timeout" >/dev/null ||
  fail "RabbitMQ did not finish booting within ${startup_timeout} s; see /var/log/rabbitmq."

# A fault test that failed half-way may have left a memory alarm set; clear it so that publishers are not blocked.
as_root rabbitmqctl set_vm_memory_high_watermark 0.4 >/dev/null || fail "could not reset the memory watermark."

echo "RabbitMQ $(as_root rabbitmqctl version 2>/dev/null) is ready at $host:5672."
