#!/bin/bash
#
# devstack plugin of trove_lite (the cloud shape).
#
# devstack sources this file once per phase, with the phase in $1 and $2;
# settings (sourced before) holds the defaults and lib/trove-lite the
# functions.

# Save trace setting
_XTRACE_TROVE_LITE=$(set +o | grep xtrace)
set -o xtrace

# shellcheck source=devstack/lib/trove-lite
source "$TROVE_LITE_DIR/devstack/lib/trove-lite"

if is_service_enabled tl-api tl-tmgr tl-cond; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing trove_lite"
        install_trove_lite

    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring trove_lite"
        configure_trove_lite
        if is_service_enabled keystone; then
            create_trove_lite_accounts
        fi
        init_trove_lite

    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        # Neutron and Glance answer only from this phase on.
        if is_service_enabled neutron; then
            echo_summary "Creating the trove_lite management network"
            create_trove_lite_mgmt_network
        fi
        if is_service_enabled glance; then
            upload_trove_lite_guest_images
        fi
        echo_summary "Registering datastores and starting trove_lite"
        register_trove_lite_datastores
        start_trove_lite
    fi

    if [[ "$1" == "unstack" ]]; then
        stop_trove_lite
    fi

    if [[ "$1" == "clean" ]]; then
        cleanup_trove_lite
    fi
fi

# Restore xtrace
$_XTRACE_TROVE_LITE
