# test_hub_leaf.sh - the sample federation in the hub-and-leaf layout
# (DESIGN.md section 9): a national hub, a leaf nats-server per CERT, each
# node on its own leaf. Incidents go up and a directive reaches every node
# and is acknowledged across the hub; a CERT whose uplink is cut keeps
# working locally and its incident arrives once the uplink heals; the hub
# restarts; and a node's transport key cannot publish outside its
# permissions, neither at its leaf nor, with its leaf's own credentials and
# a leaf server that ignores them, through the hub.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
trap 'exec 3>&- 2>/dev/null; fed_stop; cleanup' EXIT

# --- bootstrap's layout options ----------------------------------------------------------
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/single"
expect_rc 0 "a default bootstrap"
expect "it records the single layout" test "$(cat "$WORK/single/nats/layout")" = single
expect "it writes no hub configuration" test ! -e "$WORK/single/nats/hub.conf"
run "$FEDERATION" leaf-stop "$WORK/single" punjab
expect_rc 1 "leaf-stop needs the hub-leaf layout"
expect_err "needs the hub-leaf layout" "and says so"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/bad" --layout star
expect_rc 2 "an unknown layout is bad usage"
expect_err "--layout must be single or hub-leaf" "and says which exist"
for hub in nohost :7422 'hub:0' 'hub:99999' 'hub:12x' 'a@b:1' 'hub name:1'; do
    run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/bad" --layout hub-leaf --hub "$hub"
    expect_rc 2 "--hub '$hub' is refused"
done
H="$WORK/hub-example"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$H" --layout hub-leaf --hub hub.cert.example:7500 --json
expect_rc 0 "a hub-leaf bootstrap for a real hub address"
expect_out '"layout":[[:space:]]*"hub-leaf"' "--json names the layout"
expect "leaf servers find the hub where --hub says" \
    grep -q '^      url: "nats-leaf://leaf-sindh:[0-9a-f]\{48\}@hub.cert.example:7500"$' "$H/nats/leaf-sindh.conf"
expect "the hub listens on that port" grep -q '^  listen: "0.0.0.0:7500"$' "$H/nats/hub.conf"
before=$(cd "$H/nats" && sha256sum hub.conf leaf-*.conf)
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$H" --layout hub-leaf --hub hub.cert.example:7500
expect_rc 0 "a re-run"
expect "a re-run keeps every leaf password (the configs are the same)" \
    test "$before" = "$(cd "$H/nats" && sha256sum hub.conf leaf-*.conf)"
expect "no password is in a node's folder or the single server's config" \
    sh -c "! grep -rqF '$(sed -n 's/.*leaf-sindh:\([^@]*\)@.*/\1/p' "$H/nats/leaf-sindh.conf")' '$H/nodes' '$H/nats/nats-server.conf'"

fed_start_hub_leaf || { bad "the hub-leaf federation did not start"; finish; exit 1; }
ok
NODES="council ncert banking telecom energy punjab sindh kp balochistan state-bank lahore-it"

# --- what bootstrap wrote --------------------------------------------------------------
expect "the layout is recorded" test "$(cat "$FED/nats/layout")" = hub-leaf
run nats-server -c "$FED/nats/hub.conf" -t
expect_rc 0 "nats-server accepts the hub's configuration"
for node in $NODES; do
    run nats-server -c "$FED/nats/leaf-$node.conf" -t
    expect_rc 0 "nats-server accepts the leaf configuration of $node"
done
expect "the hub's configuration (with passwords) is 0600" \
    test "$(stat -c %a "$FED/nats/hub.conf")" = 600
expect "a leaf's configuration (with its password) is 0600" \
    test "$(stat -c %a "$FED/nats/leaf-punjab.conf")" = 600
run "$FEDERATION" status "$FED"
expect_out "^hub +running +nats://127\.0\.0\.1:[0-9]+, leaf nodes at 127\.0\.0\.1:[0-9]+" \
    "status shows the hub"
expect_out "leaf-punjab +running +nats://127\.0\.0\.1:[0-9]+ +uplink up" "status shows a leaf"
expect "punjab's node uses its own leaf" has punjab "\"nats_url\":\"$(leaf_url punjab)\"" status

# --- incidents up, a directive down and its acks back, across the hub -----------------------
cli punjab incident report --title "Phishing wave against bank customers" --severity high
expect_rc 0 "punjab reports a high-severity incident"
eventually 15 "NCERT holds punjab-1" has ncert '"id":"punjab-1"' incident list
eventually 15 "the Council holds punjab-1" has council '"id":"punjab-1"' incident list
cli council directive issue --number 2026-001 --kind mandatory --title "Rotate VPN credentials"
expect_rc 0 "the Council issues a national directive"
for node in ncert banking telecom energy punjab sindh kp balochistan state-bank lahore-it; do
    eventually 15 "$node receives 2026-001" has "$node" '"number":"2026-001"' directive list
    cli "$node" ack 2026-001 --analyst "duty officer"
    expect_rc 0 "$node acknowledges 2026-001"
done
eventually 15 "every receipt and acknowledgement is back at the Council" \
    has council '"in_scope":10,"received":10,"acknowledged":10' directive status 2026-001

# --- a cut uplink delays, and loses nothing ------------------------------------------------
run "$FEDERATION" leaf-stop "$FED" punjab
expect_rc 0 "leaf-stop cuts punjab's uplink"
run "$FEDERATION" status "$FED"
expect_out "leaf-punjab +stopped" "status shows punjab's leaf stopped"
cli punjab incident report --title "Ransomware at the provincial treasury" --severity severe
expect_rc 0 "punjab still reports while cut off"
expect "punjab stores punjab-2 locally" has punjab '"id":"punjab-2"' incident list
sleep 1 # a negative check: give a leak the time a delivery takes here
expect "NCERT does not have punjab-2 while punjab is cut off" \
    sh -c "! '$CERTFED_BIN' incident list --json --config '$FED/nodes/ncert/node.conf' | grep -q punjab-2"
run "$FEDERATION" leaf-start "$FED" punjab
expect_rc 0 "leaf-start heals punjab's uplink"
expect_out "uplink up" "the healed leaf is connected to the hub"
eventually 60 "NCERT gets punjab-2 after the uplink heals" has ncert '"id":"punjab-2"' incident list
eventually 15 "the Council gets punjab-2 too" has council '"id":"punjab-2"' incident list

# --- the hub restarts on its ports; the leaves reconnect -------------------------------------
run "$FEDERATION" hub-stop "$FED"
expect_rc 0 "hub-stop"
cli sindh incident report --title "Outage while the hub is down" --severity high
expect_rc 0 "sindh reports while the hub is down"
run "$FEDERATION" hub-start "$FED"
expect_rc 0 "hub-start"
eventually 60 "NCERT gets sindh-1 once the hub is back" has ncert '"id":"sindh-1"' incident list

# --- permissions: the leaf is a wall, and so is the hub ----------------------------------------
# a directive no one signed: every node that receives it counts it as unknown-signer
"$CERTFED_INJECT" forge directive pk council random "$WORK/forged.env" || bad "forge a directive"
# 1. at its leaf, punjab's transport key may not publish to a sibling's inbox
"$CERTFED_INJECT" publish "$(leaf_url punjab)" "$FED/nodes/punjab/keys/transport.nk" \
    certfed.council.ncert.sindh.in.directive "$WORK/forged.env"
eventually 10 "punjab's leaf refuses its node's publish to sindh's inbox" \
    grep -q 'Publish Violation.*Subject "certfed.council.ncert.sindh.in.directive"' \
    "$FED/logs/leaf-punjab.log"
"$CERTFED_INJECT" publish "$(leaf_url punjab)" "$FED/nodes/punjab/keys/transport.nk" \
    certfed.council.down.directive "$WORK/forged.env"
eventually 10 "punjab's leaf refuses its node's directive broadcast" \
    grep -q 'Publish Violation.*Subject "certfed.council.down.directive"' \
    "$FED/logs/leaf-punjab.log"
# ... nor a type the table forbids it in an inbox it may use for others: a
# directive to its parent (it may send NCERT incidents and acks, not that)
"$CERTFED_INJECT" publish "$(leaf_url punjab)" "$FED/nodes/punjab/keys/transport.nk" \
    certfed.council.ncert.in.directive "$WORK/forged.env"
eventually 10 "punjab's leaf refuses its node's directive to NCERT's inbox" \
    grep -q 'Publish Violation.*Subject "certfed.council.ncert.in.directive"' \
    "$FED/logs/leaf-punjab.log"

# 2. at the hub, a hostile leaf server logged in with punjab's own uplink
# credentials sends messages itself (the leaf-node protocol, spoken by bash)
hub_addr=$(cat "$FED/run/hub.leafnodes")
password=$(sed -n 's/.*nats-leaf:\/\/leaf-punjab:\([^@]*\)@.*/\1/p' "$FED/nats/leaf-punjab.conf")
# rogue_wait WORD: read the hub's lines until one starts with WORD (5 s)
rogue_wait() {
    local line
    while IFS= read -r -t 5 -u 3 line; do
        line=${line%$'\r'}
        case $line in "$1"*) return 0 ;; -ERR*) echo "hub: $line" >&2; return 1 ;; esac
    done
    return 1
}
# rogue_lmsg SUBJECT FILE: send FILE on SUBJECT as a leaf message
rogue_lmsg() {
    printf 'LMSG %s %d\r\n' "$1" "$(stat -c %s "$2")" >&3
    cat "$2" >&3
    printf '\r\nPING\r\n' >&3
    rogue_wait PONG
}
if exec 3<>"/dev/tcp/${hub_addr%:*}/${hub_addr##*:}"; then
    rogue_wait INFO || bad "the hub greets a leaf connection"
    printf 'CONNECT {"user":"leaf-punjab","pass":"%s","name":"rogue-punjab","headers":true}\r\nPING\r\n' \
        "$password" >&3
    if rogue_wait PONG; then
        ok
        # forbidden: a sibling's inbox, and a national directive
        rogue_lmsg certfed.council.ncert.sindh.in.directive "$WORK/forged.env" ||
            bad "the hub answers after a forbidden leaf message"
        rogue_lmsg certfed.council.down.directive "$WORK/forged.env" ||
            bad "the hub answers after a forbidden broadcast"
        # ... and a directive to its parent's inbox: punjab's account exports
        # NCERT only the types punjab may send it
        rogue_lmsg certfed.council.ncert.in.directive "$WORK/forged.env" ||
            bad "the hub answers after a forbidden type in an allowed inbox"
        # allowed for punjab: its parent's inbox, on the subject of a type it
        # may send there (the control: the rogue gets through there, and
        # NCERT refuses the envelope from its signature)
        rogue_lmsg certfed.council.ncert.in.ack "$WORK/forged.env" ||
            bad "the hub answers after an allowed leaf message"
    else
        bad "the hub accepts punjab's uplink credentials"
    fi
else
    bad "connect to the hub's leaf-node port $hub_addr"
fi
eventually 15 "NCERT gets the hostile leaf's allowed message (the probe works)" \
    has ncert '"unknown-signer":1[,}]' status
# the control on sindh's inbox: the same envelope from NCERT, which may send
# there (on the subject of a type it may send its child: an ack)
"$CERTFED_INJECT" publish "$(leaf_url ncert)" "$FED/nodes/ncert/keys/transport.nk" \
    certfed.council.ncert.sindh.in.ack "$WORK/forged.env" || bad "publish as NCERT"
eventually 15 "sindh gets NCERT's copy" has sindh '"unknown-signer":[1-9]' status
sleep 1 # the forbidden copies went first; give a leaked one time to be counted
expect "sindh got nothing from punjab's leaf or the hostile leaf: exactly one copy" \
    has sindh '"unknown-signer":1[,}]' status
expect "NCERT got only the hostile leaf's allowed message: exactly one copy" \
    has ncert '"unknown-signer":1[,}]' status
for node in council banking kp lahore-it; do
    expect "$node got no directive broadcast from punjab" \
        sh -c "! '$CERTFED_BIN' status --json --config '$FED/nodes/$node/node.conf' | grep -q unknown-signer"
done
exec 3>&-

fed_stop
expect "no nats-server of this test is left" sh -c "! pgrep -f '[n]ats-server -c $FED/' >/dev/null"
expect "no certfedd of this test is left" sh -c "! pgrep -f '[c]ertfedd --config $FED/' >/dev/null"
finish
