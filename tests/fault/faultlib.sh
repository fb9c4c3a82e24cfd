# faultlib.sh - the fault tests' federation and its faults. Source after
# lib.sh and fedlib.sh. The federation is tests/data/fault.ini; every test
# prints one "FAULT <name>: ..." line of figures (messages sent, received,
# lost, duplicated effects, seconds to converge) for the log and CI.
: "${CERTFED_LOAD:?run through ctest}"
SAMPLE="$CERTFED_SOURCE/tests/data/fault.ini"

# now: seconds since the epoch, to the millisecond
now() { date +%s.%3N; }
# since T0: seconds elapsed since T0 (from now), to a tenth
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# node_stop NODE: SIGTERM, and wait until it is gone
node_stop() {
    local pid
    pid=$(cat "$FED/run/$1.pid")
    kill -TERM "$pid" 2>/dev/null
    local deadline=$((SECONDS + 15))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    ! kill -0 "$pid" 2>/dev/null
}
# node_kill NODE: kill -9, no warning, and wait until it is gone
node_kill() {
    local pid
    pid=$(cat "$FED/run/$1.pid")
    kill -KILL "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
}
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
# ids NODE OWNER: the ids of OWNER's incidents NODE holds, one a line (sorted)
ids() { q "$1" incident list | grep -o "\"id\":\"$2-[0-9]*\"" | sort; }
# count NODE OWNER: how many distinct incidents of OWNER NODE holds
count() { ids "$1" "$2" | uniq | wc -l; }
# audit_row NODE ORIGIN: NODE's audit figures for ORIGIN's stream
audit_row() { q "$1" audit verify | grep -o "{\"origin\":\"$2\"[^}]*}"; }
# audit_num ROW NAME: one number of an audit row
audit_num() { echo "$1" | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }
# numbers NODE: the directive numbers NODE holds, one a line (sorted)
numbers() { q "$1" directive list | grep -o '"number":"[^"]*"' | sort; }
# tasks NODE: the tasking ids NODE holds, one a line (sorted)
tasks() { q "$1" task list | grep -o '"id":"[^"]*"' | sort; }
