#!/bin/bash
# test_resend_wait.sh - a node waits as long as its receipts take before it
# resends: what a busy recipient still has in its queue is not sent to it
# again. Real nats-server, real certfedd processes of the sample
# federation: punjab (first resend after 1.5-3 s, resend_first_ms 3000)
# sends to NCERT while NCERT is paused (SIGSTOP), so that its receipts come
# late.
#   1. One incident, NCERT paused 1 s: punjab times its receipt, and its
#      least wait before a resend grows past resend_first_ms / 2 (to about
#      three times the round trip: the first sample's variation is half of
#      it).
#   2. Twenty incidents, NCERT paused 2.2 s (longer than resend_first_ms /
#      2, shorter than the wait just learned): punjab sends none of them
#      again, and NCERT gets none twice.
#   3. A stream of prompt receipts brings the wait back to
#      resend_first_ms / 2.
#   4. NCERT stopped: once nothing has come back for resend_first_ms (3 s,
#      longer than the 0.5 s resend tick) since the first resend, punjab
#      writes off what is out and its window shrinks to 10: within 10 s of
#      the stop (the first resend is due 1.5-3 s after the send). Counted
#      from the last resend instead, the five envelopes' own backoffs
#      (1.5-3 s, then 3-6, 6-12, ...) leave no 3 s gap for 10 to 20 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
: "${CERTFED_LOAD:?run through ctest}"
trap 'kill -CONT "$(cat "$FED/run/ncert.pid" 2>/dev/null)" 2>/dev/null; fed_stop; cleanup' EXIT

fed_bootstrap || { bad "bootstrap"; finish; exit 1; }
printf '[delivery]\nresend_first_ms = 3000\nresend_max_ms = 60000\n' >>"$FED/nodes/punjab/node.conf"
fed_run || { bad "the federation did not start"; finish; exit 1; }
ok
eventually 30 "NCERT has confirmed its sequence with its peers" has ncert '"starting":false' status
eventually 30 "punjab has confirmed its sequence with its peers" has punjab '"starting":false' status

punjab_held() { q ncert incident list | grep -o '"id":"punjab-[0-9]*"' | sort -u | wc -l; }
held() { [ "$(punjab_held)" -eq "$1" ]; }
# duplicates NCERT refused (status lists only the reasons it has counted)
dups() {
    local d
    d=$(q ncert status | grep -o '"duplicate":[0-9]*' | head -n 1 | cut -d: -f2)
    echo "${d:-0}"
}
sign() { "$CERTFED_LOAD" "$FED/nodes/punjab/control.sock" "$1" incident low 30 >"$WORK/load.out"; }
ncert_pid=$(cat "$FED/run/ncert.pid")

expect "punjab has timed no receipt yet" test "$(field punjab rtt_samples)" -eq 0
expect "punjab resends after resend_first_ms / 2 at the least ($(field punjab resend_after_ms))" \
    test "$(field punjab resend_after_ms)" -eq 1500

# --- 1. a late receipt is timed ------------------------------------------------------
expect "NCERT is paused" kill -STOP "$ncert_pid"
t0=$(now)
sign 1
expect "punjab signed one incident" grep -q "sent 1 of 1" "$WORK/load.out"
sleep 1
expect "NCERT goes on" kill -CONT "$ncert_pid"
eventually 30 "NCERT holds it" held 1
eventually 30 "punjab has its receipt" has punjab '"outbox":0' status
rtt=$(field punjab rtt_ms) wait1=$(field punjab resend_after_ms)
expect "punjab timed the receipt ($(field punjab rtt_samples) sample, ${rtt} ms after $(since "$t0") s)" \
    test "$(field punjab rtt_samples)" -ge 1 -a "${rtt:-0}" -ge 800
expect "punjab now waits longer than the next pause before a resend (${wait1} ms)" \
    test "${wait1:-0}" -ge 2500
expect "punjab's log says so" \
    grep -Eq "receipts come [0-9]+ ms after the send \(smoothed; [0-9]+ ms this time\): resends wait at least [0-9]+ ms" \
    "$FED/logs/punjab.log"

# --- 2. a pause shorter than that wait: nothing is sent twice ------------------------
resent0=$(field punjab resent) dups0=$(dups)
expect "NCERT is paused again" kill -STOP "$ncert_pid"
t1=$(now)
sign 20
expect "punjab signed twenty more" grep -q "sent 20 of 20" "$WORK/load.out"
while awk -v a="$t1" -v b="$(now)" 'BEGIN { exit !(b - a < 2.2) }'; do sleep 0.05; done
expect "NCERT goes on after $(since "$t1") s" kill -CONT "$ncert_pid"
eventually 30 "NCERT holds all 21" held 21
eventually 30 "punjab has their receipts" has punjab '"outbox":0' status
expect "punjab sent none of them again (resent $resent0, then $(field punjab resent))" \
    test "$(field punjab resent)" -eq "$resent0"
expect "NCERT got none of them twice (duplicates $dups0, then $(dups))" test "$(dups)" -eq "$dups0"

# --- 3. prompt receipts bring the wait back -------------------------------------------
sign 100
expect "punjab signed 100 more" grep -q "sent 100 of 100" "$WORK/load.out"
eventually 30 "NCERT holds all 121" held 121
prompt() { [ "$(field punjab resend_after_ms)" -eq 1500 ]; }
eventually 30 "the wait is back to resend_first_ms / 2 after prompt receipts" prompt
rtt2=$(field punjab rtt_ms) samples=$(field punjab rtt_samples)

# --- 4. silence longer than the resend tick: the window shrinks ----------------------
window_is() { [ "$(field punjab send_window)" -eq "$1" ]; }
expect "punjab's window is whole ($(field punjab send_window))" window_is 5000
expect "NCERT stops" node_stop ncert
t4=$(now)
sign 5
expect "punjab signed five more while NCERT is down" grep -q "sent 5 of 5" "$WORK/load.out"
eventually 10 "punjab's window shrinks to 10 while nothing comes back" window_is 10
shrunk=$(since "$t4")
expect "punjab's log says so" \
    grep -Eq "no receipts for 3000 ms or more with [0-9]+ envelope\(s\) out: the resend window goes from 5000 to 10" \
    "$FED/logs/punjab.log"
expect "NCERT starts again" node_start ncert
eventually 60 "NCERT gets the five as well" held 126
echo "RESEND wait: a receipt ${rtt} ms late made punjab wait ${wait1} ms before a resend;" \
    "$samples receipts timed, then $rtt2 ms; the window shrank ${shrunk} s after NCERT stopped"
finish
