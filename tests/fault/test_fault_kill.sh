# test_fault_kill.sh - kill -9 of NCERT's node at random moments, several
# times, while a provincial CERT streams incidents to it: after the last
# restart nothing is lost, nothing has a second effect, punjab's chain at
# NCERT is whole and the outbox drains.
#
# CERTFED_FAULT_INCIDENTS (10000) and CERTFED_FAULT_KILLS (3) set the size.
# With CERTFED_FAULT_EXPECT_LOSS=1 (the control run, against a certfedd
# built with CERTFED_UNSAFE_NO_DURABILITY) the test passes only if it sees
# messages lost: proof that it can.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/fedlib.sh"
. "$(dirname "$0")/faultlib.sh"
trap 'fed_stop; cleanup' EXIT

N=${CERTFED_FAULT_INCIDENTS:-10000}
KILLS=${CERTFED_FAULT_KILLS:-3}
CONTROL=${CERTFED_FAULT_EXPECT_LOSS:-0}

fed_start || { bad "the federation did not start"; finish; exit 1; }
ok

t0=$(now)
"$CERTFED_LOAD" "$FED/nodes/punjab/control.sock" "$N" incident medium 400 >"$WORK/load.out" 2>&1 &
loader=$!
kills=0
while [ $kills -lt "$KILLS" ]; do
    sleep "0.$((RANDOM % 9 + 3))" # 0.3 to 1.1 s
    node_kill ncert
    kills=$((kills + 1))
    sleep "0.$((RANDOM % 5 + 1))"
    node_start ncert || bad "NCERT restarts after kill $kills"
done
wait $loader
expect "the loader reported every incident: $(cat "$WORK/load.out")" test $? -eq 0
stream_s=$(since "$t0")

# converged: punjab's outbox is empty and NCERT holds all punjab signed
t1=$(now)
sent=$(count punjab punjab)
converged() { [ "$(field punjab outbox)" = 0 ] && [ "$(count ncert punjab)" -ge "$sent" ]; }
drained() { [ "$(field punjab outbox)" = 0 ]; }
if [ "$CONTROL" = 1 ]; then
    # what is lost stays lost, and a node that forgot what it signed signs
    # again under the same numbers (a fork: punjab quarantines NCERT, so its
    # outbox may never drain); give it 20 s, then count
    deadline=$((SECONDS + 20))
    until drained || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
else
    eventually 90 "NCERT holds everything punjab sent and punjab's outbox drains" converged
fi
converge_s=$(since "$t1")
received=$(count ncert punjab)
rows=$(ids ncert punjab | wc -l)
duplicated=$((rows - received))
lost=$((sent - received))
row=$(audit_row ncert punjab)
pseq=$(field punjab seq)
echo "FAULT kill9: $N incidents streamed in ${stream_s} s with $kills kill -9 of NCERT;" \
    "sent $sent, received $received, lost $lost, duplicated $duplicated;" \
    "converged ${converge_s} s after the stream; NCERT holds $(audit_num "$row" messages)" \
    "of punjab's $pseq messages, $(audit_num "$row" gaps) gaps," \
    "$(audit_num "$row" broken_links) broken links; punjab saw $(field punjab forks) fork(s)"

expect "punjab signed every incident it was given ($sent of $N)" test "$sent" -ge "$N"
expect "no duplicated effects ($duplicated)" test "$duplicated" -eq 0
if [ "$CONTROL" = 1 ]; then
    expect "the control build loses messages and the test sees it (lost $lost)" test "$lost" -gt 0
else
    expect "nothing lost ($lost)" test "$lost" -eq 0
    expect "NCERT holds punjab's whole stream" test "$(audit_num "$row" messages)" -eq "$pseq"
    expect "no gap in punjab's stream at NCERT" test "$(audit_num "$row" gaps)" -eq 0
    cli ncert audit verify
    expect_rc 0 "NCERT's log is intact"
    expect "no fork was seen" test "$(field ncert forks)" -eq 0
fi
finish
