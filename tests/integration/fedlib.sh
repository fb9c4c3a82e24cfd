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

fed_stop() {
    "$FEDERATION" stop "$FED" >/dev/null 2>&1 || true
    # a node a test restarted by hand that the pid files lost sight of (seen
    # once: a restarted node outliving its test) is stopped all the same
    if pkill -TERM -f -- "--config $FED/nodes/" 2>/dev/null; then
        echo "fed_stop: stopped a node the pid files did not name" >&2
        sleep 1
        pkill -KILL -f -- "--config $FED/nodes/" 2>/dev/null || true
    fi
}

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

# node_stop NODE: SIGTERM, and wait until it is gone
node_stop() {
    local pid
    pid=$(cat "$FED/run/$1.pid")
    ours "$pid" "$1" && kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + 15))
    while ours "$pid" "$1" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    ! ours "$pid" "$1"
}
# node_kill NODE: kill -9, no warning, and wait until it is gone
node_kill() {
    local pid
    pid=$(cat "$FED/run/$1.pid")
    ours "$pid" "$1" && kill -KILL "$pid" 2>/dev/null
    while ours "$pid" "$1"; do sleep 0.01; done
}
# ours PID NODE: PID is still NODE's certfedd of this test. A node that
# exited leaves its pid behind, and pids come round again (32768 of them
# here, and the suite starts thousands of processes a minute): a kill by a
# stale pid file once took another test's node.
ours() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "--config $FED/nodes/$2/"; }
# node_start NODE [WRAPPER...]: start NODE's certfedd (under WRAPPER, e.g.
# faketime) and wait until it answers
node_start() {
    local node=$1
    shift
    local url
    url=$(cat "$FED/run/leaf-$node.url" 2>/dev/null || nats_url)
    "$@" "$CERTFEDD_BIN" --config "$FED/nodes/$node/node.conf" --nats-url "$url" \
        </dev/null >>"$FED/logs/$node.log" 2>&1 &
    echo $! >"$FED/run/$node.pid"
    local deadline=$((SECONDS + 20))
    until "$CERTFED_BIN" status --config "$FED/nodes/$node/node.conf" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.05
    done
}
# field NODE NAME: a number from the node's status
field() { q "$1" status | grep -o "\"$2\":[0-9]*" | head -n 1 | cut -d: -f2; }

# now: seconds since the epoch, to the millisecond
now() { date +%s.%3N; }
# since T0: seconds elapsed since T0 (from now), to a tenth
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# fed_bootstrap [TOPOLOGY]: bootstrap TOPOLOGY (the sample by default) into
# $FED without starting it; fed_run starts what is there
fed_bootstrap() { "$CERTFED_BIN" bootstrap "${1:-$SAMPLE}" "$FED" >/dev/null; }
fed_run() { "$FEDERATION" start "$FED" >/dev/null; }

# fed_http_pair NAME [HTTP-LINES [MORE-NODES]]: federation NAME of the
# Council and NCERT, each with its HTTP API on a free loopback port ([http]
# and HTTP-LINES), and the nodes of the topology text MORE-NODES without
# one; bootstrapped and running. TOKEN is their API token; COUNCIL and NCERT
# say where each listens (port 0 picks one: status tells which).
fed_http_pair() {
    local n
    printf '[federation]\nname = %s\n\n[node council]\nrole = council\n\n' "$1" >"$WORK/two.ini"
    printf '[node ncert]\nrole = ncert\nparent = council\n\n%b' "${3:-}" >>"$WORK/two.ini"
    fed_bootstrap "$WORK/two.ini" || return 1
    TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
    (umask 077 && printf '%s\n' "$TOKEN" >"$WORK/token")
    for n in council ncert; do
        printf '\n[http]\nlisten = 127.0.0.1:0\ntoken_file = %s\n%b' "$WORK/token" "${2:-}" \
            >>"$FED/nodes/$n/node.conf"
    done
    fed_run || return 1
    COUNCIL=$(http_listen council)
    NCERT=$(http_listen ncert)
}
# http_listen NODE: where the node's HTTP API listens, from its status
http_listen() { q "$1" status | grep -o '"http":{"listen":"[^"]*"' | cut -d'"' -f6; }

# nats_open_publish NODE: let NODE's transport nkey publish on every subject
# of the single server (before fed_run), as a careless or hostile server
# operator could: then only the receivers' checks stand between that node
# and every other (DESIGN.md section 4: signatures are the inner wall)
nats_open_publish() {
    local conf="$FED/nats/nats-server.conf" opened
    opened=$(awk -v node="$1" '
        /^    # / { mine = index($0, "    # " node " (") == 1 }
        mine && /^        publish: \{ allow: \[$/ { print "        publish: { allow: [ \">\" ] }"; skip = 1; next }
        skip && /^        \] \}$/ { skip = 0; mine = 0; done = 1; next }
        skip { next }
        { print }
        END { exit !done }' "$conf") || return 1
    printf '%s\n' "$opened" >"$conf"
    nats-server -c "$conf" -t >/dev/null 2>&1
}
