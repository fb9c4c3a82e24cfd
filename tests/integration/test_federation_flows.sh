# test_federation_flows.sh - every flow of the mission across the eleven
# nodes of the sample federation, on a real nats-server with real certfedd
# processes, asserted at the receiving nodes through `certfed --json`:
# incidents up (and to the Council only when severe), taskings down with
# status back, directives to every node in scope with signed receipts and
# operator acks, refusals where a command starts, forged and unauthorized
# envelopes forced onto the bus, and a node restart without double effects.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
trap 'fed_stop; cleanup' EXIT

fed_start || { bad "the federation did not start"; finish; exit 1; }
ok
URL=$(nats_url)

# capture what punjab sends NCERT, to replay it after NCERT restarts
"$CERTFED_INJECT" capture "$URL" "$FED/nodes/ncert/keys/transport.nk" \
    'certfed.council.ncert.in.incident' "$WORK/punjab-1.env" 20 >"$WORK/capture.out" 2>&1 &
capture=$!
eventually 10 "the capture client is subscribed" grep -q ready "$WORK/capture.out"

# --- incidents go up; the Council gets only severe ones ---------------------------
cli punjab incident report --title "Phishing wave against bank customers" --severity high \
    --observable domain:evil.example:block
expect_rc 0 "punjab reports a high-severity incident"
expect_out "punjab-1 revision 1" "the report names its id"
cli lahore-it incident report --title "Defaced municipal site" --severity low
expect_rc 0 "lahore-it reports a low-severity incident"
eventually 15 "NCERT holds punjab-1" has ncert '"id":"punjab-1"' incident list
eventually 15 "the Council holds punjab-1" has council '"id":"punjab-1"' incident list
eventually 15 "punjab (parent) holds lahore-it-1" has punjab '"id":"lahore-it-1"' incident list
eventually 15 "NCERT holds lahore-it-1 via punjab" has ncert '"id":"lahore-it-1"' incident list
eventually 15 "the reporter knows the Council holds punjab-1" \
    has punjab '"node":"council"' incident show punjab-1
expect "the reporter knows NCERT holds punjab-1" has punjab '"node":"ncert"' incident show punjab-1
eventually 15 "lahore-it knows NCERT holds its incident" \
    has lahore-it '"node":"ncert"' incident show lahore-it-1
sleep 1 # NCERT forwards in the same loop turn it stores; give the Council time
expect "the Council does not get a low-severity incident" \
    sh -c "! '$CERTFED_BIN' incident list --json --config '$FED/nodes/council/node.conf' | grep -q lahore-it-1"
expect "a sibling province never sees punjab-1" \
    sh -c "! '$CERTFED_BIN' incident list --json --config '$FED/nodes/sindh/node.conf' | grep -q punjab-1"
expect "the reporter keeps its copy" has punjab '"id":"punjab-1"' incident list
expect "NCERT lists itself among punjab-1's holders" \
    has ncert '"holders":\[[^]]*"node":"ncert"' incident show punjab-1
# the origin signed the incident: it holds it, though no receipt of it says so
expect "NCERT lists the origin among punjab-1's holders" \
    has ncert '"holders":\[[^]]*"node":"punjab"' incident show punjab-1
expect "the Council lists the origin among punjab-1's holders" \
    has council '"holders":\[[^]]*"node":"punjab"' incident show punjab-1
expect "the origin lists itself once among its incident's holders" \
    [ "$(q punjab incident show punjab-1 | grep -o '"node":"punjab"' | wc -l)" -eq 1 ]

# updates by the owner travel the same way; by anyone else they are refused
cli punjab incident update punjab-1 --status contained --note "domain taken down"
expect_rc 0 "the owner updates its incident"
eventually 15 "the Council sees revision 2" has council '"revision":2' incident show punjab-1
cli punjab incident update punjab-1 --severity low --status resolved --note "false alarm"
expect_rc 0 "the owner downgrades its incident"
eventually 15 "the Council sees the downgrade of an incident it was escalated" \
    has council '"revision":3.*"severity":"low","tlp":"amber","status":"resolved"' incident show punjab-1
cli ncert incident update punjab-1 --status closed
expect_rc 1 "NCERT may not update punjab's incident"
expect_err "^certfed: refused: .*only its owner node may update it" "the refusal says why"

# ... but another holder adds notes: signed acks of the latest revision,
# sent to the owner; both list them with the incident, in time order
cli ncert incident note punjab-1 --text "same-sender-hit-banking" --analyst "A. Khan"
expect_rc 0 "NCERT notes punjab's incident"
expect_out "^note on incident punjab-1 revision 3 signed and stored; it goes to punjab$" \
    "the note names the revision and the owner it goes to"
expect "NCERT lists its own note" \
    has ncert '"notes":\[{"by":"ncert","analyst":"A.Khan",.*"state":"acknowledged","text":"same-sender-hit-banking","revision":3' \
    incident show punjab-1
eventually 15 "the owner lists NCERT's note" \
    has punjab '"notes":\[{"by":"ncert","analyst":"A.Khan",.*"text":"same-sender-hit-banking","revision":3' \
    incident show punjab-1
cli council incident note punjab-1 --text "ask-CERT-EU"
expect_rc 0 "the Council, which holds punjab-1 too, notes it"
eventually 15 "the owner lists both notes, in time order" \
    has punjab '"notes":\[{"by":"ncert".*"text":"same-sender-hit-banking".*},{"by":"council".*"text":"ask-CERT-EU"' \
    incident show punjab-1
expect "a note changes no revision" has punjab '"id":"punjab-1","revision":3,' incident show punjab-1
cli punjab incident show punjab-1
expect_out "by ncert / A. Khan on revision 3: same-sender-hit-banking" "incident show prints the note"
cli punjab incident note punjab-1 --text "mine"
expect_rc 1 "the owner does not note its own incident"
expect_err "its note goes in an update" "the refusal says where the owner's note goes"
cli sindh incident note punjab-1 --text "not mine"
expect_rc 1 "a node that does not hold the incident cannot note it"
expect_err "no incident punjab-1 on this node" "the refusal says why"
cli ncert incident note punjab-1
expect_rc 2 "a note without text is bad usage"
# a note written while the owner is down reaches it when it is back: the
# Council's, which only the Council's resends bring (punjab catches up
# from NCERT and its children, which do not hold it)
kill -TERM "$(cat "$FED/run/punjab.pid")"
eventually 15 "punjab stops" sh -c "! kill -0 $(cat "$FED/run/punjab.pid") 2>/dev/null"
cli council incident note punjab-1 --text "written-while-punjab-was-down"
expect_rc 0 "the Council notes punjab-1 while punjab is down"
expect "the Council keeps the note in its outbox" has council '"outbox":1,' status
"$CERTFEDD_BIN" --config "$FED/nodes/punjab/node.conf" --nats-url "$URL" \
    </dev/null >>"$FED/logs/punjab.log" 2>&1 &
echo $! >"$FED/run/punjab.pid"
eventually 60 "punjab gets the note once it is back" \
    has punjab '"text":"written-while-punjab-was-down"' incident show punjab-1
eventually 15 "punjab's receipt clears the Council's outbox" has council '"outbox":0,' status

# an escalation survives the Council being down: NCERT keeps the forward
# until the Council's receipt comes back to it
kill -TERM "$(cat "$FED/run/council.pid")"
eventually 15 "the Council stops" sh -c "! kill -0 $(cat "$FED/run/council.pid") 2>/dev/null"
cli punjab incident report --title "Ransomware at the provincial treasury" --severity severe
expect_rc 0 "punjab reports a severe incident while the Council is down"
eventually 15 "NCERT holds punjab-2" has ncert '"id":"punjab-2"' incident list
expect "NCERT keeps the forward in its outbox" has ncert '"outbox":1,' status
"$CERTFEDD_BIN" --config "$FED/nodes/council/node.conf" --nats-url "$URL" \
    </dev/null >>"$FED/logs/council.log" 2>&1 &
echo $! >"$FED/run/council.pid"
eventually 60 "the Council gets punjab-2 once it is back" has council '"id":"punjab-2"' incident list
eventually 15 "the Council's receipt clears NCERT's forward" has ncert '"outbox":0,' status
eventually 15 "punjab learns the Council holds punjab-2" \
    has punjab '"node":"council"' incident show punjab-2

# PAP, the determination, the constituent and the links are the owner's to
# set, and travel with the revision
cli punjab incident update punjab-2 --determination confirmed --pap amber \
    --constituent lahore-water --related punjab-1 --related lahore-it-1 --supersedes punjab-0
expect_rc 0 "the owner sets the determination, PAP, constituent and links"
eventually 15 "the Council sees them in revision 2" has council \
    '"id":"punjab-2","revision":2,.*"determination":"confirmed","pap":"amber",.*"constituent":"lahore-water","related":\["punjab-1","lahore-it-1"\],"duplicate_of":"","supersedes":"punjab-0"' \
    incident show punjab-2
cli punjab incident update punjab-2 --determination false-positive --duplicate-of punjab-1
expect_rc 0 "the owner marks it a false positive, a duplicate of punjab-1"
eventually 15 "NCERT sees revision 3 keep what it did not change" has ncert \
    '"revision":3,.*"determination":"false-positive","pap":"amber",.*"related":\["punjab-1","lahore-it-1"\],"duplicate_of":"punjab-1","supersedes":"punjab-0"' \
    incident show punjab-2
cli punjab incident show punjab-2
expect_out "^determination false-positive   PAP:amber$" "incident show prints the determination and PAP"
expect_out "^duplicate of punjab-1$" "incident show prints the link"
fp_listed() { q ncert incident list --determination false-positive | grep -o '"id":"[^"]*"' | tr '\n' ' '; }
expect "NCERT lists punjab-2 alone as a false positive" [ "$(fp_listed)" = '"id":"punjab-2" ' ]
cli ncert incident list --determination maybe
expect_rc 1 "an unknown determination filter is refused"
cli punjab incident update punjab-2 --pap purple
expect_rc 1 "an unknown PAP is refused"
expect_err "unknown status, severity, TLP, PAP or determination name" "the refusal says what"

# --- taskings go down; statuses come back ------------------------------------------
cli ncert task assign --to banking,state-bank --kind block --instructions "block evil.example" \
    --incident punjab-1 --due +2h
expect_rc 0 "NCERT tasks banking and state-bank (a descendant)"
eventually 15 "banking has the tasking" has banking '"id":"ncert-t1"' task list
eventually 15 "state-bank has the tasking" has state-bank '"id":"ncert-t1"' task list
# an assignee's own receipt is its first answer, in its own task list too
expect "banking's task list has banking's own receipt" \
    has banking '"assignee":"banking","state":"received"' task list
eventually 15 "NCERT sees banking's receipt" has ncert '"assignee":"banking","state":"received"' task list
cli banking task update ncert-t1 --state accepted
expect_rc 0 "banking accepts"
cli banking task update ncert-t1 --state done --result "blocked at 14 banks"
expect_rc 0 "banking is done"
cli state-bank task update ncert-t1 --state declined
expect_rc 1 "declining without a reason is refused"
cli state-bank task update ncert-t1 --state declined --reason "no such domain in our DNS"
expect_rc 0 "state-bank declines with a reason"
eventually 15 "NCERT sees banking done" has ncert '"assignee":"banking","state":"done"' task list
eventually 15 "NCERT sees state-bank's decline" has ncert '"state":"declined","at"' task list
expect "NCERT sees the decline's reason" has ncert '"reason":"nosuchdomaininourDNS"' task list
cli banking task assign --to ncert
expect_rc 1 "banking may not task its parent"
expect_err "^certfed: refused: a node may task only its descendants" "the refusal says why"
cli punjab task assign --to banking
expect_rc 1 "punjab may not task a node outside its subtree"
cli telecom task update ncert-t1 --state accepted
expect_rc 1 "a node that is not an assignee cannot answer"

# --- directives reach every node in scope; receipts and acks come back -----------------
cli punjab directive issue --title "Shut down the Internet"
expect_rc 1 "a provincial CERT may not issue a directive"
expect_err "^certfed: refused: only the Council issues national directives" "the refusal says why"
cli council directive issue --number 2026-007 --title "Patch the mail gateways" --sector banking
expect_rc 0 "the Council issues a directive to the banking sector"
cli council directive issue --number 2026-007 --title "Something else"
expect_rc 1 "the same number and version cannot be issued twice"
expect_err "directive 2026-007 version 1 exists; issue version 2" "says which version to issue"
eventually 15 "banking receives the sector directive" has banking '"number":"2026-007"' directive list
eventually 15 "state-bank (in banking's sector) receives it" has state-bank '"number":"2026-007"' directive list
# a recipient's directive status has its own receipt (not state-bank's: that goes to the Council)
expect "banking's directive status has banking's own receipt" \
    has banking '"node":"banking","role":"sectoral","received":"[0-9T:.-]*Z","state":"received"' \
    directive status 2026-007
eventually 15 "both sector receipts are back" has council '"in_scope":2,"received":2' directive status 2026-007
expect "telecom, out of scope, does not keep it" \
    sh -c "! '$CERTFED_BIN' directive list --json --config '$FED/nodes/telecom/node.conf' | grep -q 2026-007"

# kp is down when the directive goes out; the Council resends until kp has it
kill -TERM "$(cat "$FED/run/kp.pid")"
eventually 15 "kp stops" sh -c "! kill -0 $(cat "$FED/run/kp.pid") 2>/dev/null"
# the rows of the Council's id index: a receipt gets none (nothing names it)
id_rows() { q council status | grep -o '"entries":{[^}]*}' | grep -o '"ids":[0-9]*' | cut -d: -f2; }
ids_before=$(id_rows)
resent_before=$(field banking receipts_resent)
cli council directive issue --number 2026-008 --kind mandatory --title "Rotate VPN credentials" \
    --action "rotate all VPN credentials" --comply-by +1d
expect_rc 0 "the Council issues a national directive"
for node in ncert banking telecom energy punjab sindh balochistan state-bank lahore-it; do
    eventually 15 "$node receives 2026-008" has "$node" '"number":"2026-008"' directive list
done
eventually 15 "nine receipts are back, kp's missing" \
    has council '"in_scope":10,"received":9,"acknowledged":0' directive status 2026-008
# an operator who waits for it to reach every CERT is told it has not
cli council directive wait 2026-008 --timeout 1
expect_rc 1 "a wait for 2026-008 ends at its timeout while kp is down"
expect_out "in scope 10, received 9, acknowledged 0" "and says how far it got"
expect_err "not every node in scope has received it yet" "and why it failed"
# waits are held at most 32 at once (half the control socket's connections):
# past that one is refused at once, and other requests still get in
waiters=()
for i in $(seq 1 36); do
    "$CERTFED_BIN" directive wait 2026-008 --timeout 4 --config "$FED/nodes/council/node.conf" \
        >"$WORK/wait-$i.out" 2>&1 &
    waiters+=($!)
done
sleep 1
cli council status
expect_rc 0 "the Council answers its status while 32 waits are held"
wait "${waiters[@]}"
expect "a wait past the 32 held is refused" grep -lq "too many requests are waiting" "$WORK"/wait-*.out
expect "the held ones ended at their timeout, with how far they got" \
    test "$(grep -l "in scope 10, received 9" "$WORK"/wait-*.out | wc -l)" -ge 30
cli council directive wait 2099-001
expect_rc 1 "a wait for a directive the Council never issued fails at once"
expect_err "not found" "and says so"
cli council directive wait 2026-008 --until later
expect_rc 1 "a wait until something unknown is refused"
cli council directive wait 2026-008 --timeout 0
expect_rc 2 "a timeout under a second is a usage error"
# one that waits long enough ends when kp's receipt comes, not at its timeout
wait_t0=$(now)
"$CERTFED_BIN" directive wait 2026-008 --timeout 300 --json --config "$FED/nodes/council/node.conf" \
    >"$WORK/wait.out" 2>&1 &
wait_pid=$!
# the Council resends it while kp is down: once on its down subject, then
# into kp's inbox alone
published=$(field council published)
published_since() { [ "$(field council published)" -ge $((published + $1)) ]; }
eventually 20 "the Council resends 2026-008, into kp's inbox too" published_since 2
# banking has it: its receipt, noted in the directive's ids row, goes again
resent_since() { [ "$(field banking receipts_resent)" -gt "$resent_before" ]; }
eventually 15 "banking sends its stored receipt for 2026-008 again" resent_since
"$CERTFEDD_BIN" --config "$FED/nodes/kp/node.conf" --nats-url "$URL" \
    </dev/null >>"$FED/logs/kp.log" 2>&1 &
echo $! >"$FED/run/kp.pid"
eventually 60 "kp gets the directive it missed, by a resend" has kp '"number":"2026-008"' directive list
eventually 15 "every receipt is back at the Council" \
    has council '"in_scope":10,"received":10,"acknowledged":0' directive status 2026-008
ids_after=$(id_rows)
wait "$wait_pid"
wait_rc=$?
expect "the waiting operator's command ends with success" test "$wait_rc" -eq 0
expect "it says every node received it" grep -q '"received":[[:space:]]*10' "$WORK/wait.out"
expect "and that it is complete" grep -q '"complete":[[:space:]]*true' "$WORK/wait.out"
waited=$(since "$wait_t0")
expect "it ended when the last receipt came ($waited s), long before its 300 s timeout" \
    awk -v w="$waited" 'BEGIN { exit !(w < 150) }'
# what a poller asks: the counts, without a row per node
expect "--counts-only gives the counts" \
    has council '"in_scope":10,"received":10,"acknowledged":0' directive status 2026-008 --counts-only
expect "--counts-only leaves out the rows" \
    test -z "$(q council directive status 2026-008 --counts-only | grep -o '"nodes"')"
expect "the Council indexed the directive by id, not the 10 receipts ($ids_before -> $ids_after rows)" \
    test -n "$ids_before" -a $((ids_after - ids_before)) -eq 1
cli council directive wait 2026-008 --until acknowledged --timeout 1
expect_rc 1 "a wait until every node acknowledged waits for their operators' word"
for node in ncert banking telecom energy punjab sindh kp balochistan state-bank lahore-it; do
    cli "$node" ack 2026-008 --analyst "duty officer"
    expect_rc 0 "$node acknowledges 2026-008"
done
cli council directive wait 2026-008 --until acknowledged --timeout 30
expect_rc 0 "a wait until every node acknowledged ends when their words are in"
expect_out "in scope 10, received 10, acknowledged 10" "and says so"
eventually 15 "every acknowledgement is back at the Council" \
    has council '"in_scope":10,"received":10,"acknowledged":10' directive status 2026-008
cli council directive status 2026-008
expect_out "in scope 10, received 10, acknowledged 10" "the table sums it up"
expect_out "lahore-it +constituent +[0-9T:.-]+Z +[0-9T:.-]+Z +acknowledged" "and lists when"

# --- forged and unauthorized envelopes forced onto the bus --------------------------------
"$CERTFED_INJECT" forge directive pk council random "$WORK/forged.env" || bad "forge a directive"
"$CERTFED_INJECT" forge directive pk punjab "$FED/nodes/punjab/keys/identity.key" \
    "$WORK/provincial.env" || bad "forge a provincial directive"
# with the Council's transport key, as a compromised server or machine could;
# and to the Council with NCERT's, on the subject of a type NCERT may send it
# (an ack): the server checks subjects only, and a receiver takes the type
# from the signed envelope, never from the subject, so it is the signature
# that is refused
for env in forged provincial; do
    "$CERTFED_INJECT" publish "$URL" "$FED/nodes/council/keys/transport.nk" \
        certfed.council.down.directive "$WORK/$env.env" || bad "publish $env"
    "$CERTFED_INJECT" publish "$URL" "$FED/nodes/ncert/keys/transport.nk" \
        certfed.council.in.ack "$WORK/$env.env" || bad "publish $env to the Council"
done
for node in council ncert banking telecom energy punjab sindh kp balochistan state-bank lahore-it; do
    eventually 15 "$node rejects the forged directive (unknown signer)" \
        has "$node" '"unknown-signer":[1-9]' status
    eventually 15 "$node rejects the provincial directive (unauthorized)" \
        has "$node" '"unauthorized":[1-9]' status
    expect "$node did not store FORGED-1" \
        sh -c "! '$CERTFED_BIN' directive list --json --config '$FED/nodes/$node/node.conf' | grep -q FORGED"
done

# a sectoral CERT tasking its parent, and NCERT "updating" punjab's incident,
# forced onto the bus with their own transport keys and real signatures.
# The server refuses a tasking's subject from banking to its parent (the
# table forbids it there), so the tasking goes on the subject of a type
# banking may send NCERT (an incident); NCERT refuses it from the signature.
"$CERTFED_INJECT" forge tasking pk banking "$FED/nodes/banking/keys/identity.key" \
    "$WORK/up-tasking.env" ncert || bad "forge a tasking of the parent"
"$CERTFED_INJECT" publish "$URL" "$FED/nodes/banking/keys/transport.nk" \
    certfed.council.ncert.in.tasking "$WORK/up-tasking.env" 2>/dev/null
eventually 10 "the server refuses banking's publish on NCERT's tasking subject" \
    grep -q 'Publish Violation.*Subject "certfed.council.ncert.in.tasking"' \
    "$FED/logs/nats-server.log"
"$CERTFED_INJECT" publish "$URL" "$FED/nodes/banking/keys/transport.nk" \
    certfed.council.ncert.in.incident "$WORK/up-tasking.env" || bad "publish the tasking"
"$CERTFED_INJECT" forge incident pk ncert "$FED/nodes/ncert/keys/identity.key" \
    "$WORK/not-owner.env" punjab || bad "forge an update by a non-owner"
"$CERTFED_INJECT" publish "$URL" "$FED/nodes/ncert/keys/transport.nk" \
    certfed.council.in.incident "$WORK/not-owner.env" || bad "publish the update"
eventually 15 "NCERT rejects the tasking from its child (2nd unauthorized)" \
    has ncert '"unauthorized":2' status
eventually 15 "the Council rejects the non-owner update (2nd unauthorized)" \
    has council '"unauthorized":2' status
expect "NCERT stored no forged tasking" sh -c "! '$CERTFED_BIN' task list --json --config '$FED/nodes/ncert/node.conf' | grep -q forged-t1"
expect "the Council keeps punjab-1 resolved at revision 3, not closed by NCERT" \
    has council '"revision":3,"title":"Phishingwaveagainstbankcustomers".*"status":"resolved"' incident show punjab-1

# a constituent sending a low-severity incident straight to the Council skips
# NCERT's filter: refused. Its key may not use the Council's incident subject
# (incidents go to its parent only), so the report goes on one it may use (an
# ack's), and the Council refuses it from the signature.
"$CERTFED_INJECT" forge incident pk lahore-it "$FED/nodes/lahore-it/keys/identity.key" \
    "$WORK/direct.env" lahore-it || bad "forge a direct report"
"$CERTFED_INJECT" publish "$URL" "$FED/nodes/lahore-it/keys/transport.nk" \
    certfed.council.in.ack "$WORK/direct.env" || bad "publish the direct report"
eventually 15 "the Council refuses a low incident that did not come by NCERT" \
    has council '"unauthorized":3' status
expect "NCERT got only the tasking the server let through (still 2 unauthorized)" \
    has ncert '"unauthorized":2[,}]' status

# --- a node restarts with everything it had, and applies nothing twice -------------------
wait "$capture" || bad "the capture client saw punjab-1 on NCERT's inbox"
before=$(q ncert incident show punjab-1)
seq_before=$(field ncert seq)
kill -TERM "$(cat "$FED/run/ncert.pid")"
eventually 15 "NCERT stops on SIGTERM" sh -c "! kill -0 $(cat "$FED/run/ncert.pid") 2>/dev/null"
expect "NCERT logged a clean stop" grep -q "stopped cleanly" "$FED/logs/ncert.log"
"$CERTFEDD_BIN" --config "$FED/nodes/ncert/node.conf" --nats-url "$URL" \
    </dev/null >>"$FED/logs/ncert.log" 2>&1 &
echo $! >"$FED/run/ncert.pid"
eventually 15 "NCERT answers after the restart" has ncert '"connected":true' status
# its own mark says where its stream stands; it goes on after the block of
# numbers reserved beside the store, which is ahead of it
expect "NCERT read its sequence back from its store ($seq_before)" \
    grep -q "own sequence continues after [0-9]*, the last number reserved before this start (the store's last is $seq_before)" \
    "$FED/logs/ncert.log"
after=$(q ncert incident show punjab-1)
expect "NCERT has punjab-1 as before the restart" test "$before" = "$after"
expect "NCERT still has lahore-it-1" has ncert '"id":"lahore-it-1"' incident list
expect "NCERT still has its tasking and its states" has ncert '"assignee":"banking","state":"done"' task list
"$CERTFED_INJECT" publish "$URL" "$FED/nodes/punjab/keys/transport.nk" \
    certfed.council.ncert.in.incident "$WORK/punjab-1.env" || bad "replay punjab-1"
eventually 15 "the replayed envelope is counted as a duplicate" has ncert '"duplicate":1' status
# a resend means the origin lacks our receipt: the same receipt goes again
eventually 15 "NCERT sends its stored receipt again for the duplicate" \
    has ncert '"receipts_resent":1' status
expect "NCERT's own sequence did not move for it (no new message)" has ncert "\"seq\":$(q ncert status | grep -o '"seq":[0-9]*' | cut -d: -f2)" status
expect "the replay changed nothing" test "$(q ncert incident show punjab-1)" = "$before"
cli ncert incident list
expect_out "punjab-1 +3 " "NCERT lists punjab-1 once, at revision 3"
expect "punjab-1 appears once" test "$(printf '%s\n' "$out" | grep -c 'punjab-1 ')" = 1

# the server refused the forged publishes above, and nothing a node sent of its own
expect "the server refused no publish of a node's own" \
    sh -c "! grep 'Publish Violation' '$FED/logs/nats-server.log' | grep -q ':C:[a-z0-9-][a-z0-9-]*\" - Publish'"

# a wait held when the Council stops: the Council stops cleanly and at
# once, and the waiting command fails at once rather than hanging
cli council directive issue --number 2026-099 --title "Held at the stop"
expect_rc 0 "the Council issues a directive nobody will acknowledge"
"$CERTFED_BIN" directive wait 2026-099 --until acknowledged --timeout 300 \
    --config "$FED/nodes/council/node.conf" >"$WORK/wait-stop.out" 2>&1 &
wait_pid=$!
sleep 1
expect "the wait is held" kill -0 "$wait_pid"
clean_before=$(grep -c "stopped cleanly" "$FED/logs/council.log")
stop_t0=$(now)
expect "the Council stops on SIGTERM with a wait held" node_stop council
wait "$wait_pid"
wait_rc=$?
waited=$(since "$stop_t0")
expect "the waiting command fails (exit $wait_rc)" test "$wait_rc" -eq 1
expect "at once when the Council stopped ($waited s), not at its timeout" \
    awk -v w="$waited" 'BEGIN { exit !(w < 20) }'
expect "the Council logged a clean stop" \
    test "$(grep -c "stopped cleanly" "$FED/logs/council.log")" -gt "$clean_before"

fed_stop
expect "no certfedd of this test is left" sh -c "! pgrep -f '[c]ertfedd --config $FED/' >/dev/null"
finish
