# test_fault_partition.sh - a provincial CERT cut off from the federation
# (its leaf nats-server stopped, hub-and-leaf layout) while the Council
# issues directives and NCERT sends it taskings. The cut-off node keeps
# working locally; after healing every message arrives once, and every
# receipt is back at its origin within 30 s.
#
# CERTFED_FAULT_DIRECTIVES and CERTFED_FAULT_TASKS (500 each) set the size,
# CERTFED_FAULT_CUT_S (45) how long the cut lasts at least.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/fedlib.sh"
. "$(dirname "$0")/faultlib.sh"
trap 'fed_stop; cleanup' EXIT

D=${CERTFED_FAULT_DIRECTIVES:-500}
T=${CERTFED_FAULT_TASKS:-500}
CUT_S=${CERTFED_FAULT_CUT_S:-45}

fed_start_hub_leaf || { bad "the hub-and-leaf federation did not start"; finish; exit 1; }
ok
before_d=$(numbers punjab | wc -l)

# --- the cut ---------------------------------------------------------------------------
"$FEDERATION" leaf-stop "$FED" punjab >/dev/null
expect "punjab's leaf is down" sh -c "! '$FEDERATION' status '$FED' | grep -q 'leaf-punjab *running'"
t0=$(now)
"$CERTFED_LOAD" "$FED/nodes/council/control.sock" "$D" directive "" 300 >"$WORK/d.out" 2>&1 &
dl=$!
"$CERTFED_LOAD" "$FED/nodes/ncert/control.sock" "$T" task punjab 300 >"$WORK/t.out" 2>&1 &
tl=$!

# local work goes on at the cut-off node
cli punjab incident report --title "Reported-while-cut-off" --severity high
expect_rc 0 "punjab reports while cut off"
expect "punjab holds its own report" has punjab '"title":"Reported-while-cut-off"' incident list
expect "punjab says it is disconnected" has punjab '"connected":false' status

wait $dl
expect "the Council issued every directive: $(cat "$WORK/d.out")" test $? -eq 0
wait $tl
expect "NCERT assigned every tasking: $(cat "$WORK/t.out")" test $? -eq 0
sindh_has_all() { [ "$(numbers sindh | uniq | wc -l)" -ge $((before_d + D)) ]; }
eventually 60 "sindh, still connected, has every directive" sindh_has_all
expect "punjab has none of them yet" test "$(numbers punjab | wc -l)" -eq "$before_d"
# long enough for the senders' backoff to grow past the 30 s the heal may take
while [ "$(since "$t0" | cut -d. -f1)" -lt "$CUT_S" ]; do sleep 1; done
cut_s=$(since "$t0")

# --- the heal --------------------------------------------------------------------------
"$FEDERATION" leaf-start "$FED" punjab >/dev/null
t1=$(now)
healed() {
    [ "$(numbers punjab | uniq | wc -l)" -ge $((before_d + D)) ] &&
        [ "$(tasks punjab | uniq | wc -l)" -ge "$T" ] &&
        [ "$(field council outbox)" = 0 ] && [ "$(field ncert outbox)" = 0 ] &&
        [ "$(field punjab outbox)" = 0 ] && has ncert '"title":"Reported-while-cut-off"' incident list
}
eventually 30 "within 30 s of healing: punjab has everything and every receipt is home" healed
heal_s=$(since "$t1")

got_d=$(numbers punjab | uniq | wc -l)
got_t=$(tasks punjab | uniq | wc -l)
dup=$(($(numbers punjab | wc -l) - got_d + $(tasks punjab | wc -l) - got_t))
sent=$((D + T))
received=$((got_d - before_d + got_t))
lost=$((sent - received))
echo "FAULT partition: punjab cut off for ${cut_s} s while $D directives and $T taskings" \
    "were sent; sent $sent, received $received, lost $lost, duplicated $dup;" \
    "converged ${heal_s} s after healing (outboxes: council $(field council outbox)," \
    "ncert $(field ncert outbox), punjab $(field punjab outbox));" \
    "punjab took $(field punjab caught_up) by catch-up"
expect "nothing lost ($lost)" test "$lost" -eq 0
expect "nothing applied twice ($dup)" test "$dup" -eq 0
cli punjab audit verify
expect_rc 0 "punjab's log is intact"
finish
