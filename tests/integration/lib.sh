# lib.sh - assertions for certfed's shell tests. Source it; call `finish` at
# the end, which prints "N passed, N failed" and sets the exit status.
# Programs come from CERTFED_BIN / CERTFEDD_BIN (set by ctest).
set -u
: "${CERTFED_BIN:?run through ctest}" "${CERTFEDD_BIN:?run through ctest}"
: "${CERTFED_SOURCE:?run through ctest}"
passed=0
failed=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/certfed-sh-XXXXXX")
cleanup() { if [ "$failed" -eq 0 ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi; }
trap cleanup EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# run CMD...: runs it, keeping status in $rc, stdout in $out, stderr in $err
run() {
    out=$("$@" 2>"$WORK/.err" </dev/null)
    rc=$?
    err=$(cat "$WORK/.err")
}

# expect_rc N DESCRIPTION: the last run exited with N
expect_rc() {
    if [ "$rc" -eq "$1" ]; then ok; else bad "$2: exit $rc, expected $1; stderr: $err"; fi
}

# expect_err PATTERN DESCRIPTION: stderr of the last run matches (grep -E)
expect_err() {
    if printf '%s' "$err" | grep -Eq -- "$1"; then ok; else bad "$2: stderr '$err' lacks /$1/"; fi
}

# expect_out PATTERN DESCRIPTION: stdout of the last run matches (grep -E)
expect_out() {
    if printf '%s' "$out" | grep -Eq -- "$1"; then ok; else bad "$2: stdout lacks /$1/: $out"; fi
}

# expect CONDITION... DESCRIPTION-as-last-arg is awkward in sh; use: expect "desc" test ...
expect() {
    local desc=$1
    shift
    if "$@"; then ok; else bad "$desc"; fi
}

finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
