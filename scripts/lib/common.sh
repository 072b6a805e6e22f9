# Shared by scripts/run and scripts/test: install missing Debian packages, then
# configure and build with CMake. Source it; do not run it.

WS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Packages the application needs to build and run (liblzf-dev: h5py's LZF filter in
# the HDF5 helper; hdf5-filter-plugin: the lz4 and bzip2 filters libhdf5 loads itself).
WS_BUILD_PACKAGES=(cmake ninja-build g++ pkg-config qt6-base-dev qt6-svg-dev
    libqcustomplot-dev libeigen3-dev zlib1g-dev libgl-dev libhdf5-dev liblzf-dev
    hdf5-filter-plugin libonnx-dev libprotobuf-dev python3 ccache libcurl4-openssl-dev)

# Packages the tests, fixture generators and benchmarks need: the real tools our
# files are loaded back with (scripts/dev/check_installs.py keeps this complete),
# poppler's pdfinfo/pdftotext/pdfimages/pdffonts/pdftoppm that read exported figures
# as a PDF reader does, the DejaVu fonts figures share with matplotlib, nginx (the
# HTTP server of the remote-file tests, tests/net/nginx.conf.in) and curl (bench/).
WS_TEST_PACKAGES=(python3-torch python3-numpy python3-h5py python3-onnx python3-pil
    python3-matplotlib poppler-utils fonts-dejavu-core nginx-light curl)

# ws_install_packages PKG...: installs those that are missing (needs root or sudo).
ws_install_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    ((${#missing[@]})) || return 0
    echo "Installing missing Debian packages: ${missing[*]}"
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null; then
            sudo=(sudo)
        else
            echo "error: need root (or sudo) to install: ${missing[*]}" >&2
            return 1
        fi
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
}

# ws_build DIR [CMAKE ARGS...]: configures (if needed) and builds into DIR.
ws_build() {
    local dir=$1
    shift
    # ccache makes rebuilds in other clones and build folders cheap.
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
        -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    cmake -S "$WS_ROOT" -B "$dir" -G Ninja "${launcher[@]}" "$@"
    cmake --build "$dir" -j "$(nproc)"
}

# ws_sanitizer_options BUILD_DIR: exports ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS
# so that the first error stops the process with a failure, with suppressions for
# third-party code only. Every suppression lives in scripts/sanitize.supp with the
# library and the reason; the sanitizers want one file each, so it is split by the
# kind of each line (leak: for LSan; interceptor_*/odr_violation: for ASan; the
# rest are UBSan check names) into BUILD_DIR/sanitize/.
ws_sanitizer_options() {
    mkdir -p "$1/sanitize"
    local dir
    dir="$(cd "$1/sanitize" && pwd)"
    local supp="$WS_ROOT/scripts/sanitize.supp"
    grep -E '^leak:' "$supp" >"$dir/lsan.supp" || true
    grep -E '^(interceptor_name|interceptor_via_fun|interceptor_via_lib|odr_violation):' \
        "$supp" >"$dir/asan.supp" || true
    grep -vE '^(#|$|leak:|interceptor_name:|interceptor_via_fun:|interceptor_via_lib:|odr_violation:)' \
        "$supp" >"$dir/ubsan.supp" || true
    export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:check_initialization_order=1:detect_stack_use_after_return=0:strict_init_order=1:suppressions=$dir/asan.supp${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$dir/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
    export LSAN_OPTIONS="suppressions=$dir/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
}

# ws_timed LABEL COMMAND...: runs COMMAND and prints how long it took.
ws_timed() {
    local label=$1 start=$SECONDS status=0
    shift
    "$@" || status=$?
    echo "== $label took $((SECONDS - start)) s"
    return $status
}
