# test_fault_hub.sh - the national hub's nats-server restarts in the middle
# of traffic (hub-and-leaf layout): a provincial CERT streams incidents to
# NCERT across it. The leaves and nodes stay up; what the hub dropped while
# it was down is sent again from the outbox. Nothing lost, nothing applied
# twice, punjab's chain whole at NCERT, the outbox drained.
#
# CERTFED_FAULT_INCIDENTS (3000) sets the size.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/fedlib.sh"
. "$(dirname "$0")/faultlib.sh"
trap 'fed_stop; cleanup' EXIT

N=${CERTFED_FAULT_INCIDENTS:-3000}

fed_start_hub_leaf || { bad "the hub-and-leaf federation did not start"; finish; exit 1; }
ok

t0=$(now)
"$CERTFED_LOAD" "$FED/nodes/punjab/control.sock" "$N" incident medium 400 >"$WORK/load.out" 2>&1 &
loader=$!
# once the stream is well under way, the hub goes down for 2 s
under_way() { [ "$(count ncert punjab)" -ge $((N / 5)) ]; }
eventually 120 "the stream reaches NCERT" under_way
"$FEDERATION" hub-stop "$FED" >/dev/null
expect "the hub is down" sh -c "! '$FEDERATION' status '$FED' | grep -q '^hub *running'"
at_stop=$(count ncert punjab)
sleep 2
"$FEDERATION" hub-start "$FED" >/dev/null
t1=$(now)
wait $loader
expect "punjab took every report, hub or no hub: $(cat "$WORK/load.out")" test $? -eq 0
stream_s=$(since "$t0")

sent=$(count punjab punjab)
converged() { [ "$(field punjab outbox)" = 0 ] && [ "$(count ncert punjab)" -ge "$sent" ]; }
eventually 120 "NCERT holds everything punjab sent and punjab's outbox drains" converged
converge_s=$(since "$t1")
received=$(count ncert punjab)
duplicated=$(($(ids ncert punjab | wc -l) - received))
lost=$((sent - received))
row=$(audit_row ncert punjab)
echo "FAULT hub-restart: $N incidents streamed in ${stream_s} s; the hub was down 2 s" \
    "after $at_stop had arrived; sent $sent, received $received, lost $lost," \
    "duplicated $duplicated; converged ${converge_s} s after the hub came back;" \
    "punjab's stream at NCERT: $(audit_num "$row" messages) messages," \
    "$(audit_num "$row" gaps) gaps, $(audit_num "$row" broken_links) broken links"
expect "nothing lost ($lost)" test "$lost" -eq 0
expect "no duplicated effects ($duplicated)" test "$duplicated" -eq 0
expect "NCERT holds punjab's whole stream" test "$(audit_num "$row" messages)" -eq "$(field punjab seq)"
expect "no gap in punjab's stream at NCERT" test "$(audit_num "$row" gaps)" -eq 0
cli ncert audit verify
expect_rc 0 "NCERT's log is intact"
finish
