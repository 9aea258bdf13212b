# Sourced by the scripts under eng/brokers and eng/local (not run by itself): failing with the script's name, and
# running a command as root, directly or through passwordless sudo, for the scripts that install packages or start
# system services.

# The calling script as the messages name it, for example eng/brokers/kafka.sh.
readonly script_name="eng/$(basename "$(dirname "$0")")/$(basename "$0")"

fail() {
  echo "$script_name: $*" >&2
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    fail "'$*' needs root; run as root or with passwordless sudo."
  fi
}
