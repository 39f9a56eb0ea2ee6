#!/bin/bash
#
# Build an Ubuntu guest image for trove_lite's nova compute driver: a
# datastore server and trove-lite-guestagent, started by systemd once
# cloud-init has written the server's /etc/trove/conf.d/guest_info.conf.
#
#   tools/guest-image/build-guest-image.sh DATASTORE BASE_IMAGE OUTPUT
#
# DATASTORE   mariadb, postgresql or redis (what the image's server is)
# BASE_IMAGE  an Ubuntu 24.04 cloud image (noble-server-cloudimg-amd64.img)
# OUTPUT      the qcow2 to write (BASE_IMAGE is left as it was)
#
# Needs virt-customize (Debian/Ubuntu package guestfs-tools) and network
# access for the guest's packages. TROVE_LITE_SOURCE names the trove_lite
# checkout to install (default: this one). Then upload the image tagged
# for its datastore and register the version (README.rst, "Guest image").

set -o errexit -o nounset -o pipefail

usage() {
    echo "usage: $0 mariadb|postgresql|redis BASE_IMAGE OUTPUT" >&2
    exit 2
}

# datastore_packages DATASTORE - Ubuntu 24.04 packages of its server and
# of the tools the guest agent runs (backups, clients)
datastore_packages() {
    case "$1" in
        mariadb) echo "mariadb-server,mariadb-client,mariadb-backup" ;;
        postgresql) echo "postgresql,postgresql-client" ;;
        redis) echo "redis-server,redis-tools" ;;
        *) return 1 ;;
    esac
}

# datastore_service DATASTORE - the distribution's own unit of the server,
# disabled: the guest agent runs the server in its instance directory
datastore_service() {
    case "$1" in
        mariadb) echo "mariadb.service" ;;
        postgresql) echo "postgresql.service" ;;
        redis) echo "redis-server.service" ;;
    esac
}

main() {
    [[ $# -eq 3 ]] || usage
    local datastore=$1 base=$2 output=$3
    local here source packages workdir wheel

    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    source=${TROVE_LITE_SOURCE:-$(cd "$here/../.." && pwd)}
    packages=$(datastore_packages "$datastore") || usage
    command -v virt-customize >/dev/null ||
        { echo "virt-customize is missing (apt-get install guestfs-tools)" >&2; exit 1; }

    workdir=$(mktemp -d)
    trap 'rm -rf "$workdir"' EXIT
    python3 -m pip wheel --quiet --no-deps --wheel-dir "$workdir" "$source"
    wheel=$(basename "$(ls "$workdir"/trove_lite-*.whl)")

    cp "$base" "$output"
    virt-customize -a "$output" \
        --update \
        --install "cloud-init,python3-venv,$packages" \
        --mkdir /etc/trove/conf.d \
        --mkdir /opt/trove-lite-dist \
        --copy-in "$workdir/$wheel:/opt/trove-lite-dist" \
        --run-command "python3 -m venv /opt/trove-lite" \
        --run-command "/opt/trove-lite/bin/pip install /opt/trove-lite-dist/$wheel" \
        --upload "$here/trove-guestagent.conf:/etc/trove/conf.d/trove-guestagent.conf" \
        --upload "$here/trove-lite-guestagent.service:/etc/systemd/system/trove-lite-guestagent.service" \
        --run-command "systemctl disable $(datastore_service "$datastore")" \
        --run-command "systemctl enable trove-lite-guestagent.service"
    echo "Built $output: $datastore with $wheel."
}

main "$@"
