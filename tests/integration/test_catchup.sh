# test_catchup.sh - what a node missed reaches it from its neighbours, even
# while the origin is offline; a node whose store was restored from an old
# backup learns its own latest messages before it signs anything, so it
# never reuses a sequence number; and an origin caught signing two
# histories is quarantined with both envelopes kept. Real nats-server, real
# certfedd processes of the sample federation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
trap 'fed_stop; cleanup' EXIT

# lacks NODE PATTERN ARGS...: the node's --json answer does not match
lacks() { ! q "$1" "${@:3}" | grep -q -- "$2"; }
seq_at_least() { [ "$(field "$1" seq)" -ge "$2" ]; }

fed_start || { bad "the federation did not start"; finish; exit 1; }
ok

# --- the origin offline: sindh catches up a directive from NCERT alone ---------------
expect "sindh stops" node_stop sindh
cli council directive issue --number 2026-050 --title "Rotate VPN credentials"
expect_rc 0 "the Council issues a directive while sindh is down"
eventually 15 "NCERT holds the directive" has ncert '"number":"2026-050"' directive list
expect "the Council stops" node_stop council
t_sindh=$(now)
expect "sindh starts again" node_start sindh
eventually 20 "sindh gets the directive from NCERT while the Council is offline" \
    has sindh '"number":"2026-050"' directive list
caught=$(field sindh caught_up)
expect "sindh counts what it caught up ($caught)" test "${caught:-0}" -ge 1
expect "sindh's log says it caught up with NCERT" \
    grep -Eq "caught up with ncert: [0-9]+ envelope\(s\), [1-9][0-9]* new" "$FED/logs/sindh.log"
expect "status shows catch-up with NCERT" has sindh '"node":"ncert","relation":"parent"' status
echo "FAULT origin-offline: the Council issued a directive while sindh was down and went" \
    "down itself; sindh received it from NCERT alone after $(since "$t_sindh") s" \
    "($caught envelope(s) by catch-up)"
expect "the Council starts again" node_start council
eventually 30 "the Council gets sindh's receipt once it is back" \
    has council '"node":"sindh","role":"provincial","received":"2' directive status 2026-050

# --- a backlog leaves the outbox in windows ([delivery] resend_window) -------------------
windows_at_least() { [ "$(field "$1" resend_windows)" -ge "$2" ]; }
printf '[delivery]\nresend_window = 10\n' >>"$FED/nodes/sindh/node.conf"
expect "sindh stops" node_stop sindh
expect "sindh starts again with a resend window of 10" node_start sindh
expect "NCERT stops" node_stop ncert
reported=0
for i in $(seq 1 40); do
    "$CERTFED_BIN" incident report --title "Backlog-$i" --severity low \
        --config "$FED/nodes/sindh/node.conf" >/dev/null 2>&1 && reported=$((reported + 1))
done
expect "sindh reports 40 incidents while NCERT is down" test "$reported" -eq 40
eventually 20 "sindh resends them in passes that stop at the window of 10" windows_at_least sindh 3
expect "NCERT starts again" node_start ncert
eventually 30 "NCERT gets the whole backlog" has ncert '"title":"Backlog-40"' incident list
expect "from its first" has ncert '"title":"Backlog-1"' incident list

# --- a store restored from an old backup does not reuse a sequence number -----------
expect "banking stops" node_stop banking
cp -a "$FED/nodes/banking/store" "$WORK/banking-backup"
expect "banking starts" node_start banking
for i in 1 2 3; do
    cli banking incident report --title "Card skimming wave $i" --severity medium
    expect_rc 0 "banking reports incident $i after the backup"
done
eventually 15 "NCERT holds banking's third incident" has ncert '"id":"banking-3"' incident list
# banking's last message before the restore is a receipt only the Council
# sees: no neighbour of banking can give it back
cli council directive issue --number 2026-051 --title "Only-the-Council-sees-the-receipt"
expect_rc 0 "the Council issues a directive after the backup"
eventually 15 "the Council holds banking's receipt" \
    has council '"node":"banking","role":"sectoral","received":"2' directive status 2026-051
seq_before=$(field banking seq)
expect "banking stops again" node_stop banking
rm -rf "$FED/nodes/banking/store"
cp -a "$WORK/banking-backup" "$FED/nodes/banking/store"
expect "banking starts from the old backup" node_start banking
eventually 15 "banking learns its own latest messages from NCERT" seq_at_least banking "$seq_before"
cli banking incident report --title "Card-skimming-wave-4" --severity medium
expect_rc 0 "banking reports after the restore"
expect_out "banking-4 revision 1" "a restored node does not reuse an incident id"
eventually 15 "NCERT accepts banking's next incident" has ncert '"title":"Card-skimming-wave-4"' incident list
expect "NCERT saw no fork" test "$(field ncert forks)" -eq 0
cli council directive issue --number 2026-052 --title "After-the-restore"
expect_rc 0 "the Council issues another directive"
eventually 15 "the Council holds banking's new receipt" \
    has council '"node":"banking","role":"sectoral","received":"2' directive status 2026-052
expect "the Council saw no fork: banking did not reuse the number of its receipt" \
    test "$(field council forks)" -eq 0
expect "banking skipped what was left of its reserved sequence block" \
    grep -q "own sequence continues after" "$FED/logs/banking.log"
expect "banking is not quarantined at NCERT" lacks ncert '"quarantined":\[{' status
expect "banking took back its incidents" has banking '"id":"banking-3"' incident list

# --- a second history: quarantine, evidence, alarm -------------------------------------
cli punjab incident report --title "Botnet-C2-in-provincial-network" --severity medium
expect_rc 0 "punjab reports an incident"
eventually 15 "NCERT holds punjab's incident" has ncert '"title":"Botnet-C2-in-provincial-network"' incident list
pseq=$(field punjab seq)
CERTFED_INJECT_SEQ=$pseq "$CERTFED_INJECT" forge incident pk punjab \
    "$FED/nodes/punjab/keys/identity.key" "$WORK/fork.env" punjab >/dev/null 2>&1
expect "a second envelope for punjab's latest sequence is made with its key" test -s "$WORK/fork.env"
"$CERTFED_INJECT" publish "$(nats_url)" "$FED/nodes/punjab/keys/transport.nk" \
    certfed.council.ncert.in.incident "$WORK/fork.env" >/dev/null 2>&1
eventually 15 "NCERT quarantines punjab" has ncert '"quarantined":\[{"node":"punjab"' status
expect "NCERT counts the fork" test "$(field ncert forks)" -ge 1
expect "NCERT keeps the evidence" test "$(field ncert evidence)" -ge 1
expect "NCERT raised an alarm in its log" grep -q "ALARM fork: punjab" "$FED/logs/ncert.log"
cli punjab incident report --title "After-the-fork" --severity medium
expect_rc 0 "punjab itself still works locally"
eventually 15 "NCERT refuses punjab's next message" \
    grep -q "rejected incident from punjab .*quarantined" "$FED/logs/ncert.log"
expect "NCERT does not hold it" lacks ncert '"title":"After-the-fork"' incident list
expect "punjab holds it" has punjab '"title":"After-the-fork"' incident list
cli ncert audit verify
expect_rc 0 "NCERT's log is intact: the fork was kept apart"
expect_out "1 fork evidence envelope\(s\), 1 origin\(s\) quarantined" "the audit counts the evidence"
cli banking audit verify
expect_rc 0 "the restored banking's log is intact"
expect "the human status shows the alarm" \
    sh -c "'$CERTFED_BIN' status --config '$FED/nodes/ncert/node.conf' | grep -q 'ALARM: punjab QUARANTINED'"

# a neighbour flooding catch-up requests is answered once and refused after
"$CERTFED_INJECT" forge catchup pk sindh "$FED/nodes/sindh/keys/identity.key" \
    "$WORK/flood.env" ncert >/dev/null 2>&1
"$CERTFED_INJECT" publish "$(nats_url)" "$FED/nodes/sindh/keys/transport.nk" \
    certfed.council.ncert.in.catchup "$WORK/flood.env" 50 >/dev/null 2>&1
eventually 15 "NCERT refuses most of 50 catch-up requests sent at once" \
    sh -c "[ \$(grep -c 'rejected catchup from sindh .*asked again too soon' '$FED/logs/ncert.log') -ge 40 ]"
expect "NCERT still answers" has ncert '"node":"ncert"' status

# the operator looked at the evidence and releases punjab: it is heard again
cli ncert quarantine release punjab
expect_rc 0 "the operator releases punjab"
expect "the release is logged" grep -q "operator released punjab from quarantine" "$FED/logs/ncert.log"
cli ncert quarantine release punjab
expect_rc 1 "releasing twice says it is not quarantined"
expect_err "punjab is not quarantined" "and says so"
cli punjab incident report --title "After-the-release" --severity medium
expect_rc 0 "punjab reports again"
eventually 60 "NCERT accepts punjab's messages again" has ncert '"title":"After-the-release"' incident list
expect "the evidence stays" test "$(field ncert evidence)" -ge 1

finish
