# test_slow_consumer.sh - a node that cannot keep up loses nothing: past its
# queue ([limits] receive_queue) and what nats.c may hold for it
# ([limits] nats_pending), nats.c drops what comes; the node counts each
# message dropped and says so in its log, and the dropped messages come
# again, because their sender resends everything that has no receipt.
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
    grep -Eq "slow consumer: nats.c dropped [1-9][0-9]* message\(s\) past \[limits\] receive_queue \(4\) and nats_pending \(8\)" \
    "$FED/logs/ncert.log"
expect "each incident is stored once" test "$(field ncert received)" -ge $BACKLOG
echo "SLOW consumer: punjab sent $BACKLOG incidents to a paused NCERT (receive_queue 4," \
    "nats_pending 8); nats.c dropped $dropped, punjab sent them again, 0 lost; all" \
    "held $(since "$t0") s after the first was sent"
finish
