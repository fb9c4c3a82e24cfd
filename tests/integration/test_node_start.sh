# test_node_start.sh - certfedd's start and its link: clear non-zero exits
# for a bad config, missing or too-open key files, a store it cannot open
# and (with --no-retry) an unreachable NATS server; by default it keeps
# retrying, works locally meanwhile, and sends what was created once the
# server is there. The same holds when the server goes away mid-run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
stop_all() { # exactly what this test started
    local f
    for f in "$WORK"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
    [ -n "${lone:-}" ] && kill "$lone" 2>/dev/null
    [ -n "${nats:-}" ] && kill "$nats" 2>/dev/null
    cleanup
}
trap stop_all EXIT

"$CERTFED_BIN" bootstrap "$SAMPLE" "$FED" >/dev/null || bad "bootstrap"
N="$FED/nodes/punjab"

# a free loopback port: let nats-server pick one, then stop it
free_port() {
    local dir pid port=""
    dir=$(mktemp -d "$WORK/port-XXXXXX")
    nats-server -a 127.0.0.1 -p -1 --ports_file_dir "$dir" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do
        port=$(grep -o '127.0.0.1:[0-9]*' "$dir"/*.ports 2>/dev/null | head -n 1 | cut -d: -f2)
        [ -n "$port" ] && break
        sleep 0.05
    done
    kill "$pid"
    wait "$pid" 2>/dev/null
    echo "$port"
}

# start nats-server with the federation's config on PORT; sets $nats
start_nats() {
    nats-server -c "$FED/nats/nats-server.conf" -a 127.0.0.1 -p "$1" -l "$WORK/nats-$1.log" &
    nats=$!
    eventually 15 "nats-server listens on $1" sh -c "grep -q 'Server is ready' '$WORK/nats-$1.log'"
}

PORT=$(free_port)
expect "a free port was found" test -n "$PORT"
URL="nats://127.0.0.1:$PORT"

# --- refusals at start: exit 1 and one clear line ---------------------------------
run "$CERTFEDD_BIN" --config "$N/node.conf" --nats-url "$URL" --no-retry
expect_rc 1 "NATS unreachable with --no-retry"
expect_err "cannot start: NATS server unreachable: $URL" "says the server is unreachable"

sed 's/^id = punjab/id = Punjab/' "$N/node.conf" >"$N/bad.conf"
run "$CERTFEDD_BIN" --config "$N/bad.conf" --nats-url "$URL"
expect_rc 1 "an invalid node id"
expect_err "invalid id 'Punjab'" "names the bad id"

# the delivery schedule is configurable, and checked
printf '[delivery]\nresend_first_ms = 50\n' | cat "$N/node.conf" - >"$N/bad.conf"
run "$CERTFEDD_BIN" --config "$N/bad.conf" --nats-url "$URL" --check
expect_rc 1 "a resend interval below 100 ms"
expect_err "\[delivery\] resend_first_ms '50' must be a number of milliseconds from 100" "gives the bounds"
printf '[delivery]\nresend_first_ms = 5000\nresend_max_ms = 1000\n' | cat "$N/node.conf" - >"$N/bad.conf"
run "$CERTFEDD_BIN" --config "$N/bad.conf" --nats-url "$URL" --check
expect_rc 1 "a backoff cap below the first interval"
expect_err "resend_max_ms \(1000\) is below resend_first_ms \(5000\)" "says which"
printf '[delivery]\nresend_window = 5\n' | cat "$N/node.conf" - >"$N/bad.conf"
run "$CERTFEDD_BIN" --config "$N/bad.conf" --nats-url "$URL" --check
expect_rc 1 "a resend window below 10 envelopes"
expect_err "\[delivery\] resend_window '5' must be a number of envelopes from 10" "gives the bounds"
printf '[delivery]\nresend_first_ms = 200\nresend_max_ms = 5000\ncatchup_interval_ms = 2000\nresend_window = 500\n' |
    cat "$N/node.conf" - >"$N/good.conf"
run "$CERTFEDD_BIN" --config "$N/good.conf" --nats-url "$URL" --check
expect_rc 0 "a tuned delivery schedule is accepted"
printf '[limits]\nverify_pool = 2\n' | cat "$N/node.conf" - >"$N/bad.conf"
run "$CERTFEDD_BIN" --config "$N/bad.conf" --nats-url "$URL" --check
expect_rc 1 "a verify_pool that is not 0 or 1"
expect_err "\[limits\] verify_pool '2' must be a number of on/off \(1/0\) from 0 to 1" "gives the bounds"
printf '[limits]\nverify_pool = 0\n' | cat "$N/node.conf" - >"$N/good.conf"
run "$CERTFEDD_BIN" --config "$N/good.conf" --nats-url "$URL" --check
expect_rc 0 "signatures checked on the loop thread is accepted"
printf '[limits]\nverify_threads = 65\n' | cat "$N/node.conf" - >"$N/bad.conf"
run "$CERTFEDD_BIN" --config "$N/bad.conf" --nats-url "$URL" --check
expect_rc 1 "more than 64 verify threads"
expect_err "\[limits\] verify_threads '65' must be a number of threads from 0 to 64" "gives the bounds"
printf '[limits]\nnats_pending = 0\n' | cat "$N/node.conf" - >"$N/bad.conf"
run "$CERTFEDD_BIN" --config "$N/bad.conf" --nats-url "$URL" --check
expect_rc 1 "nats.c may not be told to hold nothing"
expect_err "\[limits\] nats_pending '0' must be a number of messages from 1 to 10000000" "gives the bounds"
printf '[limits]\nstore_mib = 2\nstore_mib = 4096\n' | cat "$N/node.conf" - >"$N/bad.conf"
run "$CERTFEDD_BIN" --config "$N/bad.conf" --nats-url "$URL" --check
expect_rc 1 "a number given twice"
expect_err "\[limits\] store_mib given twice" "says which"

chmod 0644 "$N/keys/identity.key"
run "$CERTFEDD_BIN" --config "$N/node.conf" --nats-url "$URL"
expect_rc 1 "a world-readable identity key"
expect_err "identity.key: .*chmod 600" "says how to fix it"
chmod 0600 "$N/keys/identity.key"

mv "$N/keys/transport.nk" "$WORK/transport.nk"
run "$CERTFEDD_BIN" --config "$N/node.conf" --nats-url "$URL"
expect_rc 1 "a missing transport key"
expect_err "transport.nk: no such file" "names the missing file"
mv "$WORK/transport.nk" "$N/keys/transport.nk"

sed 's|^store = store|store = not-a-dir|' "$N/node.conf" >"$N/store.conf"
printf 'a file, not a folder\n' >"$N/not-a-dir"
run "$CERTFEDD_BIN" --config "$N/store.conf" --nats-url "$URL"
expect_rc 1 "a store path that is a file"
expect_err "store.*not-a-dir" "names the store"

# the sequence floor beside the store must be a file the node can read
mkdir "$N/store.seq"
run "$CERTFEDD_BIN" --config "$N/node.conf" --nats-url "$URL"
expect_rc 1 "a sequence floor that is not a file"
expect_err "the sequence floor beside store .*store" "names the floor"
rmdir "$N/store.seq"

run "$CERTFEDD_BIN" --config "$N/node.conf" --nats-url "$URL" --bogus
expect_rc 2 "an unknown option is bad usage"

# --- NATS down at start: the node keeps trying and works locally ------------------------
"$CERTFEDD_BIN" --config "$N/node.conf" --nats-url "$URL" >"$WORK/punjab.log" 2>&1 &
lone=$!
eventually 15 "punjab answers while NATS is down" has punjab '"connected":false' status
expect "punjab says it keeps retrying" grep -q "NATS server unreachable: .*retrying every 2 s" "$WORK/punjab.log"
cli punjab incident report --title "Reported while offline" --severity severe
expect_rc 0 "a report while offline is accepted"
expect_out "offline: it is sent when the link returns" "and says when it will be sent"
expect "it is in punjab's outbox" has punjab '"outbox":1' status
expect "and in punjab's list" has punjab '"id":"punjab-1"' incident list

# the rest of the line comes up on the port punjab keeps trying
start_nats "$PORT"
for node in ncert council; do
    "$CERTFEDD_BIN" --config "$FED/nodes/$node/node.conf" --nats-url "$URL" \
        >"$WORK/$node.log" 2>&1 &
    echo $! >"$WORK/$node.pid"
done
eventually 20 "punjab connects once the server is there" has punjab '"connected":true' status
eventually 20 "NCERT receives the report made offline" has ncert '"id":"punjab-1"' incident list
eventually 20 "the Council receives it (severe)" has council '"id":"punjab-1"' incident list
eventually 20 "punjab's outbox drains once both acked... NCERT's ack" \
    has punjab '"node":"ncert"' incident show punjab-1

# --- the server goes away mid-run and comes back --------------------------------------------
cli council directive issue --number 2026-100 --title "Patch now" --province punjab
expect_rc 0 "the Council issues a directive to punjab"
eventually 15 "punjab has the directive" has punjab '"number":"2026-100"' directive list
kill "$nats"
wait "$nats" 2>/dev/null
eventually 15 "punjab notices the link is down" has punjab '"connected":false' status
cli punjab incident report --title "Reported during the outage" --severity high
expect_rc 0 "a report during an outage is accepted"
cli punjab ack 2026-100 --analyst "night shift"
expect_rc 0 "an operator's ack during an outage is accepted"
expect "the ack waits in punjab's outbox" has punjab '"outbox":[1-9]' status
start_nats "$PORT"
eventually 30 "NCERT receives the report made during the outage" has ncert '"id":"punjab-2"' incident list
# in scope: punjab and lahore-it (a constituent in punjab), which is not running
eventually 30 "the Council receives the ack made during the outage" \
    has council '"node":"punjab","role":"provincial","received":"[^"]*","state":"acknowledged"' \
    directive status 2026-100
eventually 30 "punjab's outbox drains once receipts are back" has punjab '"outbox":0' status

# lahore-it (in scope, never started) keeps 2026-100 in the Council's outbox;
# a directive that expires leaves it once expired, received or not
expect "the Council waits for lahore-it's receipt of 2026-100" has council '"outbox":1,' status
expires=$(($(date +%s%3N) + 3000))
cli council directive issue --number 2026-101 --title "Short-lived" --province punjab \
    --expires "$expires"
expect_rc 0 "the Council issues a directive that expires in 3 s"
expect "it waits in the outbox too" has council '"outbox":2,' status
eventually 20 "the expired directive leaves the Council's outbox" has council '"outbox":1,' status

for pidfile in "$WORK"/ncert.pid "$WORK"/council.pid; do kill "$(cat "$pidfile")" && rm "$pidfile"; done
kill "$lone"
wait "$lone"
expect "punjab stops cleanly on SIGTERM" test $? -eq 0
lone=""

# --- a full outbox refuses new work with a clear error and an alarm ------------------------
B="$FED/nodes/balochistan"
sed -i 's/^max_envelope = .*/&\noutbox_max = 2/' "$B/node.conf"
"$CERTFEDD_BIN" --config "$B/node.conf" --nats-url "nats://127.0.0.1:1" >"$WORK/baloch.log" 2>&1 &
lone=$!
eventually 15 "balochistan answers, offline" has balochistan '"connected":false' status
cli balochistan incident report --title "first"
expect_rc 0 "first report waits in the outbox"
cli balochistan incident report --title "second"
expect_rc 0 "second report waits in the outbox"
cli balochistan incident report --title "third"
expect_rc 1 "a third report finds the outbox full"
expect_err "^certfed: incident report: the outbox is full: .*nothing was created" "says so"
expect "status shows the alarm" has balochistan '"outbox":2,"outbox_max":2,"outbox_full":true' status
cli balochistan status
expect_out "ALARM: OUTBOX FULL" "and the text status says it plainly"
expect "the log has the alarm" grep -q "ALARM outbox full" "$WORK/baloch.log"
expect "nothing was lost" test "$(q balochistan incident list | grep -o '"id":"balochistan-[0-9]*"' | wc -l)" -eq 2
kill "$lone"
wait "$lone"
lone=""

# --- a full store refuses new work with a clear error and loses nothing -----------------
S="$FED/nodes/sindh"
sed -i 's/^max_envelope = .*/&\nstore_mib = 1/' "$S/node.conf"
"$CERTFEDD_BIN" --config "$S/node.conf" --nats-url "$URL" >"$WORK/sindh.log" 2>&1 &
lone=$!
eventually 15 "sindh answers" has sindh '"node":"sindh"' status
big=$(head -c 45000 /dev/zero | tr '\0' x)
full=0
for i in $(seq 60); do
    cli sindh incident report --title "filler $i" --description "$big"
    if [ "$rc" -ne 0 ]; then full=$i; break; fi
done
expect "a 1 MiB store fills up" test "$full" -gt 1
expect_err "^certfed: incident report: the store is full; nothing was created" "says the store is full"
kept=$(q sindh incident list | grep -o '"id":"sindh-[0-9]*"' | wc -l)
expect "everything reported before is still there ($kept)" test "$kept" -eq $((full - 1))
kill "$lone"
wait "$lone"
lone=""
sed -i 's/^store_mib = 1$/store_mib = 64/' "$S/node.conf"
"$CERTFEDD_BIN" --config "$S/node.conf" --nats-url "$URL" >>"$WORK/sindh.log" 2>&1 &
lone=$!
eventually 15 "sindh answers with a larger store" has sindh '"node":"sindh"' status
cli sindh incident report --title "after growing the store"
expect_rc 0 "a larger store takes new work again"
expect "and still has the old incidents" test "$(q sindh incident list | grep -o '"id":"sindh-[0-9]*"' | wc -l)" -eq "$full"
kill "$lone"
wait "$lone"
lone=""
finish
