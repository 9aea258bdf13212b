#!/usr/bin/env bash
# Installs (where missing) and starts a container engine, and builds the images the container tests use, idempotently.
#
#   bash eng/brokers/containers.sh
#
# No image registry is reachable from these machines, so the images are built here from the distribution's packages
# and tagged locally (the tests find them through the MESSAGING_TESTING_*_IMAGE variables):
#   messaging-adapters/debian:bookworm    debootstrap --variant=minbase bookworm, from the machine's own apt mirror
#   messaging-adapters/rabbitmq:3.10      Debian's rabbitmq-server on that base (eng/brokers/containers/)
# An image is rebuilt only when its recipe changed (a label carries the recipe's hash), so a second run takes seconds.
# When no engine answers, Debian's docker.io is installed where missing and dockerd is started in the background
# (engine 20.10, Docker API 1.41; without iptables, so it leaves the machine's firewall alone). An engine that already
# answers (DOCKER_HOST, a desktop engine, a CI service) is used as it is.
# Needs root (or passwordless sudo) to install packages and start dockerd; exits non-zero with a reason on any failure.
set -euo pipefail
# fail, as_root
source "$(dirname "$0")/../lib/root.sh"

readonly here="$(cd "$(dirname "$0")" && pwd)"
readonly recipes="$here/containers"
readonly state="${MESSAGING_CONTAINERS_STATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/messaging-adapters/containers}"
readonly engine_timeout="${DOCKERD_STARTUP_TIMEOUT:-60}"
readonly base_image="messaging-adapters/debian:bookworm"
readonly rabbitmq_image="messaging-adapters/rabbitmq:3.10"

apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then
    as_root apt-get update || fail "apt-get update failed."
    apt_updated=true
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" ||
    fail "apt-get install $* failed."
}

engine_answers() {
  docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1
}

mkdir -p "$state"

# --- the engine -------------------------------------------------------------------------------------------------
if ! command -v docker >/dev/null 2>&1 || ! engine_answers; then
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "Installing docker.io..."
    apt_install docker.io
  fi
  command -v docker >/dev/null 2>&1 || fail "no docker command after installing docker.io."
  if ! engine_answers; then
    echo "Starting dockerd (log: $state/dockerd.log)..."
    # No service manager runs on CI machines and in containers: dockerd runs detached from this script, and
    # supervises its own containerd. Without iptables it leaves the machine's firewall alone; ports are published
    # by the userland proxy, on loopback for the tests.
    # The socket belongs to the caller's group, so that the tests (and this script) reach the engine without root.
    as_root setsid nohup dockerd --storage-driver=overlay2 --iptables=false --ip-masq=false --group "$(id -gn)" \
      >"$state/dockerd.log" 2>&1 </dev/null &
    deadline=$((SECONDS + engine_timeout))
    until engine_answers; do
      [ "$SECONDS" -lt "$deadline" ] ||
        fail "dockerd did not answer within ${engine_timeout} s; last lines of $state/dockerd.log:
$(tail -n 20 "$state/dockerd.log" 2>/dev/null)"
      sleep 1
    done
  fi
fi
api="$(docker version --format '{{.Server.APIVersion}}')"
echo "Container engine $(docker version --format '{{.Server.Version}}') answers (Docker API $api)."

# --- the images -------------------------------------------------------------------------------------------------
# The hash of the files an image is built from; the image carries it as a label, so a changed recipe rebuilds it.
recipe_hash() {
  cat "$@" | sha256sum | cut -c1-16
}

image_recipe() {
  docker image inspect --format '{{index .Config.Labels "messaging-adapters.recipe"}}' "$1" 2>/dev/null || true
}

# The Debian mirror this machine's apt uses for bookworm (deb822 .sources or one-line lists), so that no mirror is
# named anywhere but the machine's own settings; MESSAGING_DEBIAN_MIRROR overrides it.
debian_mirror() {
  if [ -n "${MESSAGING_DEBIAN_MIRROR:-}" ]; then
    echo "$MESSAGING_DEBIAN_MIRROR"
    return
  fi
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -e "$file" ] || continue
    awk '
      /^[[:space:]]*$/ { if (deb && bookworm && uri != "") { print uri; exit } deb = 0; bookworm = 0; uri = ""; next }
      /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") bookworm = 1 }
      /^URIs:/ { uri = $2 }
      END { if (deb && bookworm && uri != "") print uri }
    ' "$file" | head -n 1
  done | head -n 1 | grep . && return
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == "bookworm") { print $i; exit } }' |
    grep . && return
  return 1
}

build_base() {
  local hash="$1"
  command -v debootstrap >/dev/null 2>&1 || { echo "Installing debootstrap..."; apt_install debootstrap; }
  local mirror
  mirror="$(debian_mirror)" ||
    fail "no Debian bookworm source in /etc/apt/sources.list*: set MESSAGING_DEBIAN_MIRROR to a Debian mirror URL."
  local root="$state/bookworm-rootfs"
  as_root rm -rf "$root"
  echo "Building $base_image with debootstrap (bookworm, minbase)..."
  as_root debootstrap --variant=minbase bookworm "$root" "$mirror" >"$state/debootstrap.log" 2>&1 ||
    fail "debootstrap failed; last lines of $state/debootstrap.log:
$(tail -n 20 "$state/debootstrap.log")"
  as_root tar -C "$root" -c . | docker import --change "LABEL messaging-adapters.recipe=$hash" \
    --change 'CMD ["/bin/bash"]' - "$base_image" >/dev/null || fail "docker import of $base_image failed."
  as_root rm -rf "$root"
}

# The base's recipe is this script's debootstrap call: it changes when the suite or variant does, which is rare.
base_hash="bookworm-minbase-1"
if [ "$(image_recipe "$base_image")" = "$base_hash" ]; then
  echo "$base_image is up to date."
else
  build_base "$base_hash"
fi

build_image() {
  local image="$1" dockerfile="$2"
  local hash
  hash="$(recipe_hash "$recipes"/"$dockerfile" "$recipes"/*.conf)-$base_hash"
  if [ "$(image_recipe "$image")" = "$hash" ]; then
    echo "$image is up to date."
    return
  fi
  echo "Building $image..."
  # The build runs apt-get on the host's network: the engine masquerades nothing (--ip-masq=false).
  docker build --network host --build-arg "BASE_IMAGE=$base_image" --label "messaging-adapters.recipe=$hash" \
    -f "$recipes/$dockerfile" -t "$image" "$recipes" >"$state/build-${dockerfile%.Dockerfile}.log" 2>&1 ||
    fail "building $image failed; last lines of $state/build-${dockerfile%.Dockerfile}.log:
$(tail -n 20 "$state/build-${dockerfile%.Dockerfile}.log")"
}

build_image "$rabbitmq_image" rabbitmq.Dockerfile

# --- Testcontainers' settings for this engine ------------------------------------------------------------------------
# Testcontainers reads ~/.testcontainers.properties (environment variables win over it). Only what this engine needs
# and the file does not already say is added, so a developer's own settings stay as they are:
#  - docker.api.version: Testcontainers 4.16 asks for API 1.44; an older engine (Debian's 20.10 speaks 1.41) refuses it.
#  - ryuk.disabled: the reaper's image cannot be pulled where no registry is reachable; Messaging.Adapters.Testing
#    removes its containers itself (on disposal, and orphans of dead test processes on the next start).
#  - host.override: this machine looks like a container to Testcontainers, which would hand out the bridge gateway
#    instead of loopback for the mapped ports.
properties="$HOME/.testcontainers.properties"
add_property() {
  local key="$1" value="$2" why="$3"
  if ! grep -q "^[[:space:]]*$key[[:space:]]*=" "$properties" 2>/dev/null; then
    echo "$key=$value" >>"$properties"
    echo "Testcontainers: $key=$value added to $properties ($why)."
  fi
}
if [ "$(printf '%s\n1.44\n' "$api" | sort -V | head -n 1)" != "1.44" ]; then
  add_property docker.api.version "$api" "the engine speaks Docker API $api"
fi
ryuk_image="testcontainers/ryuk:0.14.0" # the reaper Testcontainers 4.16 starts
if ! docker image inspect "$ryuk_image" >/dev/null 2>&1; then
  add_property ryuk.disabled true "no $ryuk_image image on this engine"
fi
case "${DOCKER_HOST:-unix://}" in
  unix://*) add_property host.override 127.0.0.1 "the engine runs on this machine: mapped ports are on loopback" ;;
esac

echo "Images ready: $base_image, $rabbitmq_image (MESSAGING_TESTING_RABBITMQ_IMAGE=$rabbitmq_image)."
