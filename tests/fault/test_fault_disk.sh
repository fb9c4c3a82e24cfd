# test_fault_disk.sh - NCERT's store fills up (an LMDB map of 1 MiB) while a
# provincial CERT streams incidents to it. NCERT refuses new local work with
# a clear error, acknowledges nothing it did not commit, keeps answering
# reads; once space is given back (a larger map, a restart) it catches up
# fully and punjab's outbox drains.
#
# CERTFED_FAULT_INCIDENTS (4000) sets the size: more than 1 MiB holds.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/fedlib.sh"
. "$(dirname "$0")/faultlib.sh"
trap 'fed_stop; cleanup' EXIT

N=${CERTFED_FAULT_INCIDENTS:-4000}

"$CERTFED_BIN" bootstrap "$SAMPLE" "$FED" >/dev/null || { bad "bootstrap"; finish; exit 1; }
sed -i 's/^max_envelope = .*/&\nstore_mib = 1/' "$FED/nodes/ncert/node.conf"
# what waits at punjab goes again within 10 s (not the default 60 s) once
# NCERT has room: the test waits for it
printf '[delivery]\nresend_max_ms = 10000\n' >>"$FED/nodes/punjab/node.conf"
"$FEDERATION" start "$FED" >/dev/null || { bad "the federation did not start"; finish; exit 1; }
ok

t0=$(now)
"$CERTFED_LOAD" "$FED/nodes/punjab/control.sock" "$N" incident medium 400 >"$WORK/load.out" 2>&1
expect "punjab stores every report while NCERT is full: $(cat "$WORK/load.out")" test $? -eq 0
full() { grep -Eq "(failed|store error while receiving on .*): full" "$FED/logs/ncert.log"; }
eventually 60 "NCERT's store fills up, and its log says so" full
sleep 2 # let punjab's resends meet the full store a few times
sent=$(count punjab punjab)
held=$(count ncert punjab)
waiting=$(field punjab outbox)
expect "NCERT could not take everything ($held of $sent)" test "$held" -lt "$sent"
# every message punjab no longer waits for was committed at NCERT
expect "NCERT acknowledged nothing it did not commit ($held held, $((sent - waiting)) acked)" \
    test "$held" -ge $((sent - waiting))
expect "NCERT still answers status, with the alarm" has ncert '"store_full":true' status
expect "NCERT still answers queries" has ncert '"id":"punjab-1"' incident list
cli ncert incident report --title "While-full" --severity low
expect_rc 1 "NCERT refuses new local work while full"
expect_err "store is full" "and says why"
full_s=$(since "$t0")

# space given back: a larger map, and a restart
node_stop ncert || bad "NCERT stops"
sed -i 's/^store_mib = 1$/store_mib = 256/' "$FED/nodes/ncert/node.conf"
t1=$(now)
node_start ncert || bad "NCERT starts with room"
converged() { [ "$(field punjab outbox)" = 0 ] && [ "$(count ncert punjab)" -ge "$sent" ]; }
eventually 120 "NCERT catches up fully and punjab's outbox drains" converged
converge_s=$(since "$t1")
received=$(count ncert punjab)
duplicated=$(($(ids ncert punjab | wc -l) - received))
lost=$((sent - received))
echo "FAULT disk-full: NCERT's 1 MiB store filled after $held of $sent incidents" \
    "($waiting waiting at punjab, ${full_s} s); after it was given room: received" \
    "$received, lost $lost, duplicated $duplicated; converged ${converge_s} s after the restart"
expect "nothing lost ($lost)" test "$lost" -eq 0
expect "no duplicated effects ($duplicated)" test "$duplicated" -eq 0
cli ncert audit verify
expect_rc 0 "NCERT's log is intact"
cli ncert incident report --title "After-room" --severity low
expect_rc 0 "NCERT takes local work again"
finish
