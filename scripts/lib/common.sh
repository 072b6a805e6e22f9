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
