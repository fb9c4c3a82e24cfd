# test_rate_limit.sh - a node that floods its parent is throttled per
# origin: NCERT takes punjab's messages at its configured rate and refuses
# the rest unacknowledged (counted), punjab sends them again later so none
# is lost, and sindh, reporting during the flood, is served at once. Real
# nats-server, real certfedd processes of the sample federation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
: "${CERTFED_LOAD:?run through ctest}"
trap 'fed_stop; cleanup' EXIT

FLOOD=120
"$CERTFED_BIN" bootstrap "$SAMPLE" "$FED" >/dev/null || { bad "bootstrap"; finish; exit 1; }
# NCERT takes 10 messages a second from each origin, 20 at once; punjab
# sends again soon, so that the test is short
# signatures checked on the loop thread here (the other suites use the
# thread pool on a machine with two cores or more, the default)
printf 'sender_rate = 10\nsender_burst = 20\nverify_pool = 0\n' >>"$FED/nodes/ncert/node.conf"
printf '[delivery]\nresend_first_ms = 500\nresend_max_ms = 1000\n' \
    >>"$FED/nodes/punjab/node.conf"
"$FEDERATION" start "$FED" >/dev/null || { bad "the federation did not start"; finish; exit 1; }
ok
expect "NCERT checks signatures on its loop thread" has ncert '"verify_pool":false' status

t0=$(now)
"$CERTFED_LOAD" "$FED/nodes/punjab/control.sock" $FLOOD incident low 60 >"$WORK/load.out" &
load_pid=$!
throttling() { [ "$(field ncert throttled)" -gt 0 ]; }
eventually 20 "NCERT throttles punjab" throttling
# sindh reports during the flood and is served at once
t_sindh=$(now)
cli sindh incident report --title "Ransomware-at-a-hospital" --severity high
expect_rc 0 "sindh reports during punjab's flood"
eventually 5 "NCERT takes sindh's incident at once" has ncert '"id":"sindh-1"' incident list
sindh_s=$(since "$t_sindh")
# not "punjab's last incident is missing": a throttled flood still lets one
# message in every few through, and the last one sent may be among them
punjab_held() { q ncert incident list | grep -o '"id":"punjab-[0-9]*"' | sort -u | wc -l; }
held_then=$(punjab_held)
expect "punjab's backlog was still being throttled meanwhile ($held_then of $FLOOD held)" \
    test "$held_then" -lt $FLOOD
wait "$load_pid"
expect "punjab signed all $FLOOD incidents" grep -q "sent $FLOOD of $FLOOD" "$WORK/load.out"
all_held() { [ "$(punjab_held)" -eq $FLOOD ]; }
eventually 60 "NCERT holds all $FLOOD of punjab's incidents (none lost)" all_held
eventually 30 "punjab's outbox drains" has punjab '"outbox":0' status
throttled=$(field ncert throttled)
expect "status counts the throttled messages ($throttled)" test "$throttled" -gt 0
expect "the rejections name the reason" has ncert '"throttled":' status
expect "NCERT's log says so once a second, not per message" \
    test "$(grep -c 'throttled punjab' "$FED/logs/ncert.log")" -lt "$throttled"
echo "RATE flood: punjab sent $FLOOD incidents to NCERT (sender_rate 10/s);" \
    "$throttled refused as throttled and sent again, 0 lost; sindh's incident" \
    "reached NCERT in ${sindh_s} s; all in $(since "$t0") s"
finish
