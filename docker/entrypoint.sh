#!/usr/bin/env bash
# Entry point of the snn2fpga image: puts the mounted Xilinx tools on PATH, then runs the command.
#
# The tools are not in the image. Either point at the installations explicitly
#   XILINX_VIVADO=/tools/Xilinx/Vivado/2023.2  XILINX_HLS=/tools/Xilinx/Vitis_HLS/2023.2
# or let this script find the newest settings64.sh under $XILINX_ROOT (default /tools/Xilinx), in
# either layout: <root>/Vivado/<version>/ (up to 2024.x) or <root>/<version>/Vivado/ (2025.x on).
# XILINX_VERSION=2023.2 picks a version when several are installed.
set -eo pipefail

root="${XILINX_ROOT:-/tools/Xilinx}"
version="${XILINX_VERSION:-*}"

# newest <tool> settings64.sh under $root for $version, or nothing
find_settings() {
    local tool="$1"
    compgen -G "$root/$tool/$version/settings64.sh" || true
    compgen -G "$root/$version/$tool/settings64.sh" || true
}

source_tool() {  # source_tool VAR tool [tool...]: the explicit $VAR first, else a search
    local var="$1" explicit="${!1:-}" settings=""
    shift
    if [[ -n "$explicit" && -f "$explicit/settings64.sh" ]]; then
        settings="$explicit/settings64.sh"
    else
        local tool
        for tool in "$@"; do
            settings="$(find_settings "$tool" | sort -V | tail -n 1)"
            [[ -n "$settings" ]] && break
        done
    fi
    if [[ -n "$settings" ]]; then
        # settings64.sh scripts are not written for `set -e`
        set +e
        # shellcheck disable=SC1090
        source "$settings" >/dev/null
        set -e
        echo "snn2fpga image: using $settings" >&2
    else
        echo "snn2fpga image: no $* found under $root (mount the Xilinx tools there, or set $var);" \
             "snn2fpga build will generate everything and list the commands that remain" >&2
    fi
}

source_tool XILINX_VIVADO Vivado
source_tool XILINX_HLS Vitis_HLS Vitis

exec "$@"
