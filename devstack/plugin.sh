#!/bin/bash
#
# devstack plugin for trove_lite (the cloud shape).
#
# devstack sources this file once per phase with the phase in $1 and $2.
# The functions live in lib/trove-lite; settings holds the defaults.

# Save trace setting
_XTRACE_TROVE_LITE=$(set +o | grep xtrace)
set -o xtrace

source $TROVE_LITE_DIR/devstack/lib/trove-lite

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
