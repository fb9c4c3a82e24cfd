# test_slow_consumer.sh - a node that cannot keep up loses nothing: past its
# queue ([limits] receive_queue) and what nats.c may hold for it
# ([limits] nats_pending), nats.c drops what comes; the node counts each
# message dropped and says so in its log, and the dropped messages come
# again, because their sender resends everything that has no receipt. A
# sender whose recipient is cut off resends in a window that shrinks to 10
# envelopes, and grows again with the receipts once it is back.
# Real nats-server, real certfedd processes of the sample federation: NCERT
# is paused (SIGSTOP) while punjab sends it a backlog, so that the whole
# backlog is in NCERT's socket when it goes on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
: "${CERTFED_LOAD:?run through ctest}"
trap 'kill -CONT "$(cat "$FED/run/ncert.pid" 2>/dev/null)" 2>/dev/null; fed_stop; cleanup' EXIT

BACKLOG=120
"$CERTFED_BIN" bootstrap "$SAMPLE" "$FED" >/dev/null || { bad "bootstrap"; finish; exit 1; }
# NCERT's queue takes 4 and nats.c holds 8 more; punjab sends again soon
printf '[limits]\nreceive_queue = 4\nnats_pending = 8\n' >>"$FED/nodes/ncert/node.conf"
printf '[delivery]\nresend_first_ms = 500\nresend_max_ms = 1000\n' \
    >>"$FED/nodes/punjab/node.conf"
"$FEDERATION" start "$FED" >/dev/null || { bad "the federation did not start"; finish; exit 1; }
ok
expect "NCERT has dropped nothing yet" test "$(field ncert dropped)" -eq 0
eventually 30 "NCERT has confirmed its sequence with its peers" has ncert '"starting":false' status

# catch-up requests punjab has taken (NCERT's, and its other neighbours')
asked() { q punjab status | grep -o '"catchup":[0-9]*' | head -n 1 | cut -d: -f2; }
asked_before=$(asked)
ncert_pid=$(cat "$FED/run/ncert.pid")
expect "NCERT is paused" kill -STOP "$ncert_pid"
t0=$(now)
"$CERTFED_LOAD" "$FED/nodes/punjab/control.sock" $BACKLOG incident low 60 >"$WORK/load.out"
expect "punjab signed all $BACKLOG incidents" grep -q "sent $BACKLOG of $BACKLOG" "$WORK/load.out"
sleep 0.5 # the last of them reach NCERT's socket
expect "NCERT goes on" kill -CONT "$ncert_pid"

punjab_held() { q ncert incident list | grep -o '"id":"punjab-[0-9]*"' | sort -u | wc -l; }
all_held() { [ "$(punjab_held)" -eq $BACKLOG ]; }
eventually 90 "NCERT holds all $BACKLOG of punjab's incidents (none lost)" all_held
eventually 30 "punjab's outbox drains" has punjab '"outbox":0' status
dropped=$(field ncert dropped)
expect "nats.c dropped some of the backlog, and status counts them ($dropped)" \
    test "${dropped:-0}" -gt 0
expect "NCERT's log says so" \
    grep -Eq "slow consumer: nats.c dropped [1-9][0-9]* message\(s\) past \[limits\] receive_queue \(4\) and nats_pending \(8\); asking the peers" \
    "$FED/logs/ncert.log"
expect "the drops made NCERT ask punjab for what it lacks ($asked_before, then $(asked) requests)" \
    test "$(asked)" -gt "${asked_before:-0}"
expect "each incident is stored once" test "$(field ncert received)" -ge $BACKLOG

# --- a recipient cut off: the resend window shrinks, and grows back ----------------
window() { field punjab send_window; }
window_is() { [ "$(window)" -eq "$1" ]; }
window_above() { [ "$(window)" -gt "$1" ]; }
expect "punjab's resend window grew with NCERT's receipts after the backlog ($(window))" \
    window_above 10
expect "NCERT stops" node_stop ncert
"$CERTFED_LOAD" "$FED/nodes/punjab/control.sock" 40 incident low 60 >"$WORK/load2.out"
expect "punjab signs 40 more while NCERT is down" grep -q "sent 40 of 40" "$WORK/load2.out"
eventually 20 "punjab's resend window shrinks to 10 while nothing comes back" window_is 10
expect "punjab's log says so" \
    grep -Eq "no receipts for [0-9]+ ms or more with [0-9]+ envelope\(s\) out: the resend window goes from [0-9]+ to 10" \
    "$FED/logs/punjab.log"
expect "NCERT starts again" node_start ncert
all_160() { [ "$(punjab_held)" -eq $((BACKLOG + 40)) ]; }
eventually 60 "NCERT gets the 40 as well" all_160
eventually 30 "punjab's outbox drains again" has punjab '"outbox":0' status
expect "punjab's window grew back with NCERT's receipts ($(window))" window_above 10

echo "SLOW consumer: punjab sent $BACKLOG incidents to a paused NCERT (receive_queue 4," \
    "nats_pending 8); nats.c dropped $dropped, punjab sent them again, 0 lost; all" \
    "held $(since "$t0") s after the first was sent"
finish
