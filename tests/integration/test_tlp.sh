# test_tlp.sh - TLP:RED incidents are encrypted end to end to their named
# recipients: a client subscribed to every subject on the NATS server while
# one is shared never sees its text, the relaying CERT stores and passes on
# only ciphertext, a sibling CERT's key does not open it, and the
# recipients read it, updates included. Real nats-server, real certfedd
# processes of the sample federation.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
: "${CERTFED_SNIFF:?run through ctest}"
sniff_pid=
trap '[ -n "$sniff_pid" ] && kill "$sniff_pid" 2>/dev/null; fed_stop; cleanup' EXIT

# the number after KEY= in the sniffer's last answer, or -1
num() { grep -o "$1=[0-9]*" <<<"$out" | head -n 1 | cut -d= -f2 | grep . || echo -1; }
lacks() { ! q "$1" "${@:3}" | grep -q -- "$2"; }
secret_title="Minister-mailbox-breach-$RANDOM$RANDOM"
secret_text="password-of-the-minister-is-$RANDOM$RANDOM"
secret_update="exfiltrated-to-$RANDOM$RANDOM"

"$CERTFED_BIN" bootstrap "$SAMPLE" "$FED" >/dev/null || { bad "bootstrap"; finish; exit 1; }
# the server's operator (or an intruder on it) may read every subject
sed -i 's/^  users: \[$/  users: [\n    { user: "sniffer", password: "sniffer-pw" }/' \
    "$FED/nats/nats-server.conf"
expect "the sniffer is a user of the server" grep -q '"sniffer"' "$FED/nats/nats-server.conf"
"$FEDERATION" start "$FED" >/dev/null || { bad "the federation did not start"; finish; exit 1; }
ok

"$CERTFED_SNIFF" capture "$(nats_url)" sniffer sniffer-pw "$WORK/capture" >"$WORK/sniff.out" &
sniff_pid=$!
eventually 15 "the sniffer subscribes to every subject" grep -q ready "$WORK/sniff.out"

# a constituent of punjab shares a TLP:RED incident with NCERT; punjab relays
cli lahore-it incident report --title "$secret_title" --description "$secret_text" \
    --tlp red --severity high --to ncert --observable "domain:evil-$secret_text.example:block"
expect_rc 0 "lahore-it reports a TLP:RED incident for NCERT"
eventually 20 "NCERT reads the TLP:RED incident" has ncert "$secret_title" incident show lahore-it-1
expect "NCERT reads its description" has ncert "$secret_text" incident show lahore-it-1
expect "lahore-it reads its own incident" has lahore-it "$secret_title" incident show lahore-it-1
expect "the incident says TLP:RED" has ncert '"tlp":"red"' incident show lahore-it-1
# a note is an ack, which travels in clear: none on a sealed incident
cli ncert incident note lahore-it-1 --text "$secret_text"
expect_rc 1 "NCERT's note on the TLP:RED incident is refused"
expect_err "^certfed: refused: incident lahore-it-1 is TLP:red; a note would travel unencrypted" \
    "the refusal says why"
eventually 20 "punjab relayed the sealed message (it counts one)" \
    has punjab '"sealed":1' status
expect "punjab, a relay, cannot read it" lacks punjab "$secret_title" incident list
expect "the Council, not a recipient, has nothing" lacks council "$secret_title" incident list
eventually 20 "lahore-it's outbox drains (punjab's and NCERT's receipts)" \
    has lahore-it '"outbox":0' status

# the owner updates it: still sealed to the same recipients
cli lahore-it incident update lahore-it-1 --status contained --note "$secret_update"
expect_rc 0 "lahore-it updates the incident"
eventually 20 "NCERT reads revision 2" has ncert "$secret_update" incident show lahore-it-1
cli lahore-it incident update lahore-it-1 --tlp green --to ncert
expect_rc 1 "an update naming recipients of a TLP:GREEN incident is refused"
expect_err "named only for TLP:AMBER.STRICT and TLP:RED" "the refusal says why"
expect "punjab still reads nothing" lacks punjab "$secret_update" incident list

# punjab shares one with the Council alone: NCERT only passes it on
cli punjab incident report --title "$secret_title-2" --tlp red --severity low --to council
expect_rc 0 "punjab reports a TLP:RED incident for the Council"
eventually 20 "the Council reads it" has council "$secret_title-2" incident show punjab-1
expect "NCERT, which relayed it, cannot read it" lacks ncert "$secret_title-2" incident list
# recipients must be ancestors: incidents flow up
cli punjab incident report --title "$secret_title-3" --tlp red --to sindh
expect_rc 1 "a TLP:RED incident for a sibling is refused"
expect_err "only to this node's ancestors" "the refusal says why"
cli punjab incident report --title "$secret_title-3" --tlp green --to council
expect_rc 1 "recipients are named only for sealed TLPs"

kill "$sniff_pid"
wait "$sniff_pid" 2>/dev/null
sniff_pid=
for s in "$secret_title" "$secret_text" "$secret_update"; do
    run "$CERTFED_SNIFF" count "$WORK/capture" "$s"
    expect "the sniffer captured messages, none with '$s' in clear" \
        grep -q "messages=[1-9][0-9]* found=0" <<<"$out"
done
run "$CERTFED_SNIFF" open "$WORK/capture" "$FED/nodes/sindh/keys/identity.key" sindh "$secret_title"
echo "sindh's key on the capture: $out"
expect "the capture holds the sealed messages (4 or more)" [ "$(num sealed)" -ge 4 ]
expect "sindh, a sibling, opens none of them" grep -q "opened=0 secret=0" <<<"$out"
run "$CERTFED_SNIFF" open "$WORK/capture" "$FED/nodes/punjab/keys/identity.key" punjab "$secret_text"
expect "punjab, the relay, opens its own incident's copies but none of lahore-it's" \
    grep -q "opened=[1-9][0-9]* secret=0$" <<<"$out"
run "$CERTFED_SNIFF" open "$WORK/capture" "$FED/nodes/ncert/keys/identity.key" ncert "$secret_title"
echo "NCERT's key on the capture: $out"
expect "NCERT's key opens them (the capture is real)" [ "$(num opened)" -ge 3 ]

# a store restored from a backup takes its own sealed incident back from
# punjab, which holds only ciphertext, and reads it again
expect "lahore-it stops" node_stop lahore-it
cp -a "$FED/nodes/lahore-it/store" "$WORK/lahore-backup"
expect "lahore-it starts" node_start lahore-it
cli lahore-it incident report --title "$secret_title-4" --tlp amber+strict --to ncert
expect_rc 0 "lahore-it reports a TLP:AMBER+STRICT incident after the backup"
eventually 20 "NCERT reads it" has ncert "$secret_title-4" incident show lahore-it-2
cli ncert incident note lahore-it-2 --text "$secret_text"
expect_rc 1 "NCERT's note on the TLP:AMBER+STRICT incident is refused"
expect_err "is TLP:amber\+strict; a note would travel unencrypted" "the refusal names the label"
expect "lahore-it stops again" node_stop lahore-it
rm -rf "$FED/nodes/lahore-it/store"
cp -a "$WORK/lahore-backup" "$FED/nodes/lahore-it/store"
expect "lahore-it starts from the old backup" node_start lahore-it
eventually 20 "lahore-it takes its sealed incident back and reads it" \
    has lahore-it "$secret_title-4" incident show lahore-it-2
finish
