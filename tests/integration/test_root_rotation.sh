# test_root_rotation.sh - the Council's root of trust rotated on a running
# federation (real nats-server, real certfedd processes): a rotation not
# signed by the old root is refused; scripts/rotate-root makes a new root,
# has the old one sign it, certifies the Council and NCERT again under it
# and publishes that at the Council; every node trusts the new root without
# a restart, and keeps it across one (its root.cert file unchanged); NCERT,
# given a key certified only under the new root, is heard everywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
trap 'fed_stop; cleanup' EXIT

NODES="council ncert banking telecom energy punjab sindh kp balochistan state-bank lahore-it"
N="$FED/nodes"
roots_are() { [ "$(field "$1" roots)" -eq "$2" ]; }
docs_at_least() { [ "$(field "$1" trust_documents)" -ge "$2" ]; }

fed_start || { bad "the federation did not start"; finish; exit 1; }
ok
for node in $NODES; do
    expect "$node trusts one root" roots_are "$node" 1
done
root_sum=$(sha256sum <"$N/sindh/root.cert")

# --- a rotation not signed by the old root is refused -------------------------------------
mkdir -m 700 "$WORK/rogue"
run "$CERTFED_BIN" keys root --federation pk --node council --key "$WORK/rogue/root.key" \
    --out "$WORK/rogue/root.cert"
expect_rc 0 "a rogue root (same federation, same node name)"
run "$CERTFED_BIN" keys root --federation pk --node council --key "$WORK/rogue/new.key" \
    --out "$WORK/rogue/new.cert"
run "$CERTFED_BIN" keys certify --issuer-key "$WORK/rogue/root.key" \
    --issuer-cert "$WORK/rogue/root.cert" --request "$WORK/rogue/new.cert" --node council \
    --role root --out "$WORK/rogue/rotation.cert"
expect_rc 0 "a rotation signed by the rogue root"
# the same on the bus, as the Council's node would broadcast it
cli council trust publish "$WORK/rogue/rotation.cert"
expect_rc 1 "the Council's node refuses a rotation the old root did not sign"
expect_err "refused by this node's trust store \(first: unknown-signer\)" "and says why"
cli council trust publish "$WORK/rogue/new.cert"
expect_rc 1 "and a self-signed new root"
sed -n '/BEGIN/,/END/p' "$WORK/rogue/rotation.cert" | sed '1d;$d' | base64 -d \
    >"$WORK/rogue/rotation.env"
"$CERTFED_INJECT" publish "$(nats_url)" "$N/council/keys/transport.nk" \
    certfed.council.down.cert "$WORK/rogue/rotation.env" >/dev/null 2>&1
eventually 15 "a node that receives it on the bus refuses it" \
    has ncert '"unknown-signer":[1-9]' status
for node in $NODES; do
    expect "$node still trusts one root" roots_are "$node" 1
done

# --- the rotation, by the operator's script ---------------------------------------------
t_publish=$(now)
run "$CERTFED_SOURCE/scripts/rotate-root" --old-key "$FED/root/root.key" \
    --old-cert "$FED/root/root.cert" --council "$N/council/chain.certs" \
    --ncert "$N/ncert/chain.certs" --out "$WORK/newroot" --publish "$N/council/node.conf"
expect_rc 0 "scripts/rotate-root rotates and publishes at the Council"
expect_out "3 accepted, 0 held already; the node now knows 0 revoked key\(s\) and 2 root\(s\)" \
    "the Council's node takes the rotation and both new certificates"
expect "the new root key is private" test "$(stat -c %a "$WORK/newroot/root.key")" = 600
run "$CERTFED_SOURCE/scripts/rotate-root" --old-key "$FED/root/root.key" \
    --old-cert "$FED/root/root.cert" --council "$N/council/chain.certs" \
    --ncert "$N/ncert/chain.certs" --out "$WORK/newroot"
expect_rc 1 "a second rotation into the same folder is refused"
for node in $NODES; do
    eventually 60 "$node trusts the new root" roots_are "$node" 2
    eventually 60 "$node holds the new certificates of the Council and NCERT" docs_at_least "$node" 3
done
spread=$(since "$t_publish")

# --- messages under the new chain, no restart -------------------------------------------
cli council directive issue --number 2026-090 --title "After-the-root-rotation"
expect_rc 0 "the Council issues a directive after the rotation"
eventually 20 "every receipt is back at the Council" \
    has council '"in_scope":10,"received":10' directive status 2026-090

# NCERT gets a new key, certified by the new root only: what it signs chains
# to the new root and nowhere else
run "$CERTFED_BIN" keys gen "$WORK/ncert-new" --transport "$N/ncert/keys/transport.nk"
expect_rc 0 "a new identity key for NCERT"
run "$CERTFED_BIN" keys certify --issuer-key "$WORK/newroot/root.key" \
    --issuer-cert "$WORK/newroot/rotation.cert" --request "$WORK/ncert-new/node.pub" \
    --node ncert --role ncert --parent council --out "$WORK/ncert-new.cert"
expect_rc 0 "the new root certifies it"
cli council trust publish "$WORK/ncert-new.cert"
expect_rc 0 "published at the Council"
for node in $NODES; do
    eventually 60 "$node holds NCERT's new certificate" docs_at_least "$node" 4
done
expect "NCERT stops" node_stop ncert
cp "$WORK/ncert-new/identity.key" "$N/ncert/keys/identity.key"
cat "$WORK/ncert-new.cert" "$WORK/newroot/rotation.cert" >"$N/ncert/chain.certs"
expect "NCERT starts with the key the new root certified" node_start ncert
cli ncert task assign --to banking,sindh --kind investigate --instructions "check the new chain"
expect_rc 0 "NCERT tasks banking and sindh with its new key"
eventually 20 "banking accepts it, without a restart" has banking '"id":"ncert-t1"' task list
eventually 20 "NCERT gets banking's receipt" has ncert '"assignee":"banking","state":"received"' task list
cli banking incident report --title "Card-fraud-under-the-new-root" --severity high
eventually 20 "the Council gets banking's incident through NCERT's new key" \
    has council '"title":"Card-fraud-under-the-new-root"' incident list

# --- a restart keeps the rotation: the store remembers it -----------------------------------
expect "sindh stops" node_stop sindh
expect "sindh starts" node_start sindh
expect "sindh still trusts both roots after a restart" roots_are sindh 2
expect "sindh's configured root.cert is the original" test "$(sha256sum <"$N/sindh/root.cert")" = "$root_sum"
eventually 20 "sindh has NCERT's tasking, signed under the new root" has sindh '"id":"ncert-t1"' task list
expect "sindh logged the stored rotation at start" \
    grep -q "trust: .* stored certificate(s) and revocation(s) taken; 0 key(s) revoked, 2 root(s)" \
    "$FED/logs/sindh.log"

echo "ROTATE: the rotation and the Council's and NCERT's new certificates reached all" \
    "$(echo $NODES | wc -w) nodes in ${spread} s, without a restart; a rotation signed by" \
    "another root was refused"
finish
