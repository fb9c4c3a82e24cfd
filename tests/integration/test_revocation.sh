# test_revocation.sh - a stolen key, end to end, on the sample federation in
# the hub-and-leaf layout (real nats-servers, real certfedd processes):
# NCERT revokes punjab's key after its last good sequence number and
# publishes the revocation at NCERT; every node has it within 60 s, the
# Council (cut off meanwhile) as soon as its uplink heals; messages signed
# with the old key after the last good number are refused as revoked by
# every node that receives them, punjab's messages up to it stay valid; a
# second envelope for a number punjab used is kept as fork evidence; and
# punjab, certified again with a new key and restarted, is heard everywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
trap 'fed_stop; cleanup' EXIT

CONNECTED="ncert banking telecom energy punjab sindh kp balochistan state-bank lahore-it"
N="$FED/nodes"
revoked_keys_at_least() { [ "$(field "$1" revoked_keys)" -ge "$2" ]; }
docs_at_least() { [ "$(field "$1" trust_documents)" -ge "$2" ]; }
logged() { grep -Eq -- "$2" "$FED/logs/$1.log"; }
# inject KIND SEQ OUT [ARG]: a message signed with punjab's (old) identity key
inject() {
    CERTFED_INJECT_SEQ=$2 "$CERTFED_INJECT" forge "$1" pk punjab "$WORK/punjab-old.key" "$3" \
        ${4:+"$4"} >/dev/null
}
# send FILE SUBJECT: published with punjab's transport key at punjab's leaf
send() {
    "$CERTFED_INJECT" publish "$(leaf_url punjab)" "$N/punjab/keys/transport.nk" "$2" "$1" \
        >/dev/null 2>&1
}

fed_start_hub_leaf || { bad "the hub-leaf federation did not start"; finish; exit 1; }
ok
cp "$N/punjab/keys/identity.key" "$WORK/punjab-old.key"

# --- before: punjab reports; then the Council is cut off and punjab reports again -----
cli punjab incident report --title "Ransomware-at-the-provincial-treasury" --severity high
expect_rc 0 "punjab reports a high-severity incident"
eventually 20 "the Council holds punjab-1" has council '"id":"punjab-1"' incident list
run "$FEDERATION" leaf-stop "$FED" council
expect_rc 0 "the Council's uplink is cut"
cli punjab incident report --title "Second-wave-at-the-treasury" --severity severe
expect_rc 0 "punjab reports again while the Council is cut off"
eventually 20 "NCERT holds punjab-2" has ncert '"id":"punjab-2"' incident list
last_good=$(field punjab seq)
expect "punjab has signed something ($last_good)" test "${last_good:-0}" -ge 2

# --- NCERT revokes punjab's key and publishes the revocation ----------------------------
run "$CERTFED_BIN" keys revoke --issuer-key "$N/ncert/keys/identity.key" \
    --issuer-cert "$N/ncert/chain.certs" --cert "$N/punjab/chain.certs" \
    --last-good-seq "$last_good" --reason "identity key stolen" --out "$WORK/punjab.rev"
expect_rc 0 "NCERT signs the revocation offline"
t_publish=$(now)
cli ncert trust publish "$WORK/punjab.rev"
expect_rc 0 "NCERT's node takes the revocation"
expect_out "1 accepted" "and says it is new"
cli ncert trust publish "$WORK/punjab.rev"
expect_rc 0 "publishing it again is no error"
expect_out "0 accepted, 1 held already" "it is held already"
for node in $CONNECTED; do
    eventually 60 "$node has the revocation" revoked_keys_at_least "$node" 1
done
spread=$(since "$t_publish")
expect "the cut-off Council does not have it yet" test "$(field council revoked_keys)" -eq 0
expect "NCERT logged it" logged ncert "trust: ncert revoked a key of punjab: its messages after #$last_good"
expect "punjab raised an alarm about its own key" logged punjab "ALARM this node's identity key is revoked"
expect "relaying stops: copies that come back are dropped as held" \
    logged ncert "rejected revocation from ncert .*duplicate"

# --- the stolen key after the last good number: refused as revoked ---------------------
inject incident $((last_good + 1)) "$WORK/after.env" punjab
expect "a message of the old key after the last good number is made" test -s "$WORK/after.env"
t_inject=$(now)
send "$WORK/after.env" certfed.council.ncert.in.incident
eventually 20 "NCERT refuses it as revoked" \
    logged ncert "rejected incident from punjab on certfed.council.ncert.in.incident: revoked"
reject_ncert=$(since "$t_inject")
inject tasking $((last_good + 2)) "$WORK/task.env" lahore-it
send "$WORK/task.env" certfed.council.ncert.punjab.lahore-it.in.tasking
eventually 20 "lahore-it refuses a tasking of the old key as revoked" \
    logged lahore-it "rejected tasking from punjab on .*: revoked"
expect "NCERT does not hold the stolen key's message" \
    sh -c "! '$CERTFED_BIN' incident list --json --config '$N/ncert/node.conf' | grep -q '\"revision\":2'"
expect "NCERT counts revoked messages" has ncert '"revoked":[1-9]' status

# --- the Council comes back: it gets the revocation, and punjab-2 (before the cut-off) ---
t_heal=$(now)
run "$FEDERATION" leaf-start "$FED" council
expect_rc 0 "the Council's uplink heals"
eventually 60 "the Council gets the revocation after it reconnects" revoked_keys_at_least council 1
heal=$(since "$t_heal")
eventually 30 "the Council accepts punjab-2, signed up to the last good number" \
    has council '"id":"punjab-2"' incident list
expect "the Council refused nothing of punjab's as revoked" \
    sh -c "! grep -q 'rejected incident from punjab .*revoked' '$FED/logs/council.log'"
inject incident $((last_good + 3)) "$WORK/council.env" punjab
t_inject=$(now)
# on the subject of a type punjab's key may send the Council (an ack's): the
# Council refuses the stolen key's incident from its signature, whatever the
# subject says
send "$WORK/council.env" certfed.council.in.ack
eventually 20 "the Council refuses the old key's message as revoked" \
    logged council "rejected incident from punjab on certfed.council.in.ack: revoked"
reject_council=$(since "$t_inject")

# --- a second envelope for a number punjab used: kept as proof ---------------------------
inject incident "$last_good" "$WORK/fork.env" punjab
send "$WORK/fork.env" certfed.council.ncert.in.incident
eventually 20 "NCERT keeps the thief's copy of #$last_good as fork evidence" \
    has ncert '"evidence":[1-9]' status
expect "and quarantines punjab" has ncert '"quarantined":\[{"node":"punjab"' status
expect "the honest envelope stays in NCERT's log" has ncert '"id":"punjab-2"' incident list
cli ncert audit verify
expect_rc 0 "NCERT's log is intact"

# --- punjab certified again with a new identity key ---------------------------------------
run "$CERTFED_BIN" keys gen "$WORK/punjab-new" --transport "$N/punjab/keys/transport.nk"
expect_rc 0 "punjab makes a new identity key, keeping its NATS login"
run "$CERTFED_BIN" keys certify --issuer-key "$N/ncert/keys/identity.key" \
    --issuer-cert "$N/ncert/chain.certs" --request "$WORK/punjab-new/node.pub" \
    --node punjab --role provincial --out "$WORK/punjab-new.cert"
expect_rc 0 "NCERT certifies the new key"
docs_before=$(field sindh trust_documents)
cli ncert trust publish "$WORK/punjab-new.cert"
expect_rc 0 "NCERT publishes the new certificate"
for node in council $CONNECTED; do
    eventually 60 "$node has the new certificate" docs_at_least "$node" $((docs_before + 1))
done
cli ncert quarantine release punjab
expect_rc 0 "NCERT's operator releases punjab after the re-key"
expect "punjab stops" node_stop punjab
cp "$WORK/punjab-new/identity.key" "$N/punjab/keys/identity.key"
cat "$WORK/punjab-new.cert" "$N/ncert/chain.certs" >"$N/punjab/chain.certs"
expect "punjab starts with its new key" node_start punjab
cli punjab incident report --title "Back-with-a-new-key" --severity high
expect_rc 0 "punjab reports with its new key"
seq_new=$(field punjab seq)
expect "its sequence continues after the old key's ($seq_new > $last_good)" \
    test "${seq_new:-0}" -gt "$last_good"
eventually 30 "NCERT accepts punjab's new message" has ncert '"title":"Back-with-a-new-key"' incident list
eventually 30 "the Council accepts it too" has council '"title":"Back-with-a-new-key"' incident list
cli ncert audit verify
expect_rc 0 "NCERT's chain of punjab's stream is intact across the key change"

echo "REVOKE: the revocation reached the $(echo $CONNECTED | wc -w) connected nodes in" \
    "${spread} s (limit 60); the cut-off Council had it ${heal} s after its uplink healed;" \
    "a message of the stolen key after #$last_good was refused as revoked by NCERT" \
    "${reject_ncert} s and by the Council ${reject_council} s after it was sent"
finish
