# lib.sh - what certfed's scripts share: installing the Debian packages the
# project needs, building it, and finding its programs. Source it.

CF_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages: the build, the libraries, the broker, clang for fuzzing,
# libfaketime for the fault tests' skewed clocks, curl for the HTTP API's
# tests, and Chromium, Node.js and npm for the web console's browser test
# (tests/browser: playwright-core, pinned to a release that runs on Debian's
# Node.js 18).
CF_PACKAGES="cmake make gcc clang libclang-rt-dev pkg-config libnats-dev libprotobuf-c-dev
protobuf-c-compiler libsodium-dev liblmdb-dev libuv1-dev libinih-dev libcjson-dev
libmicrohttpd-dev nats-server faketime curl chromium nodejs npm"

cf_say() { printf '==> %s\n' "$*"; }
cf_die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Install whichever of CF_PACKAGES is missing (apt-get update first).
cf_install_deps() {
    local missing=() p sudo=""
    for p in $CF_PACKAGES; do
        # NodeSource's nodejs carries npm and conflicts with Debian's npm
        [ "$p" = npm ] && command -v npm >/dev/null && continue
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || cf_die "missing packages (${missing[*]}) and no sudo"
        sudo="sudo"
    fi
    cf_say "installing Debian packages: ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
        cf_die "apt-get update failed"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null || cf_die "apt-get install ${missing[*]} failed"
}

# cf_build DIR [CMAKE-ARGS...]: configure (once) and build into DIR; all
# targets, or only CF_TARGET if it is set.
cf_build() {
    local dir=$1 target=()
    shift
    [ -n "${CF_TARGET:-}" ] && target=(--target "$CF_TARGET")
    cmake -S "$CF_ROOT" -B "$dir" "$@" >/dev/null || cf_die "cmake configure of $dir failed"
    cmake --build "$dir" -j "$(nproc)" "${target[@]}" >/dev/null || {
        cmake --build "$dir" -j 1 "${target[@]}" 2>&1 | tail -40
        cf_die "build of $dir failed"
    }
}

# cf_bin NAME: the path of a certfed program in the repo's build/, which it
# brings up to date first (an incremental build: quick when nothing changed),
# so a script never runs stale code. CERTFED_BIN / CERTFEDD_BIN point at other
# builds, used as they are.
cf_bin() {
    local name=$1 var
    var=$(echo "$name" | tr '[:lower:]' '[:upper:]')_BIN
    if [ -n "${!var:-}" ]; then
        echo "${!var}"
        return
    fi
    [ -x "$CF_ROOT/build/node/$name" ] || cf_install_deps >&2
    cf_build "$CF_ROOT/build" >&2
    echo "$CF_ROOT/build/node/$name"
}
