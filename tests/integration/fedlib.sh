# fedlib.sh - running a real federation in a shell test: bootstrap the sample
# topology into $WORK, start nats-server and the nodes with
# scripts/federation, drive them with certfed, wait for conditions with a
# deadline, and stop exactly what was started. Source after lib.sh.
: "${CERTFED_INJECT:?run through ctest}"
FED="$WORK/fed"
SAMPLE="$CERTFED_SOURCE/federation/topologies/national.ini"
FEDERATION="$CERTFED_SOURCE/scripts/federation"
export CERTFED_BIN CERTFEDD_BIN

fed_start() {
    "$CERTFED_BIN" bootstrap "$SAMPLE" "$FED" >/dev/null || return 1
    "$FEDERATION" start "$FED" >/dev/null
}

fed_stop() { "$FEDERATION" stop "$FED" >/dev/null 2>&1 || true; }

# cli NODE ARGS...: certfed against NODE, output in $out/$err/$rc like run
cli() {
    local node=$1
    shift
    run "$CERTFED_BIN" "$@" --config "$FED/nodes/$node/node.conf"
}

# q NODE ARGS...: the compact --json output of a certfed command (no spaces)
q() {
    local node=$1
    shift
    "$CERTFED_BIN" "$@" --json --config "$FED/nodes/$node/node.conf" 2>/dev/null | tr -d ' \n\t'
}

# eventually SECONDS DESCRIPTION COMMAND...: COMMAND succeeds before the deadline
eventually() {
    local limit=$1 what=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            bad "$what (not within ${limit}s)"
            return 1
        fi
        sleep 0.05
    done
    ok
}

has() { q "$1" "${@:3}" | grep -q -- "$2"; }
nats_url() { cat "$FED/run/nats.url"; }

# fed_start_hub_leaf [TOPOLOGY]: the same with --layout hub-leaf: a national
# hub, a leaf server per CERT, each node on its own leaf
fed_start_hub_leaf() {
    "$CERTFED_BIN" bootstrap "${1:-$SAMPLE}" "$FED" --layout hub-leaf >/dev/null || return 1
    "$FEDERATION" start "$FED" >/dev/null
}

# leaf_url NODE: where NODE's leaf server takes clients (hub-leaf layout)
leaf_url() { cat "$FED/run/leaf-$1.url"; }
