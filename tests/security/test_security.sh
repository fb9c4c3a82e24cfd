# test_security.sh - attacks on a real federation that must fail (issue 5,
# point 7): nats-server and five certfedd processes of tests/security/
# topology.ini, bootstrapped by `certfed bootstrap` and started by
# scripts/federation. punjab is compromised: its identity key is in the
# attacker's hands, and the server lets its transport key publish anywhere,
# so only the receivers' own checks stand. Each attack is checked by its
# effect: the receivers count a rejection for the expected reason, sign and
# store nothing for it, stay alive and answering `certfed status`, and
# honest traffic still flows and is acknowledged afterwards.
# Prints one "ATTACK name: ..." line per attack and
# "SECURITY attacks=N stopped=M"; fails if an attack was not stopped.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../integration/lib.sh"
. "$HERE/../integration/fedlib.sh"
. "$HERE/seclib.sh"
set -euo pipefail # lib.sh sets -u alone
# on exit: the attacker's tools still running (captures, the flood), by
# their pids, then the federation
stop_tools() {
    local pid
    for pid in $(jobs -p); do kill "$pid" 2>/dev/null || true; done
}
trap 'stop_tools; fed_stop; cleanup' EXIT
started=$SECONDS

ALL=(council ncert banking punjab sindh)
# inj ARGS...: the attacker's tool (no leak check at its exit: see ctl)
inj() { ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0" "$CERTFED_INJECT" "$@"; }
idkey() { echo "$FED/nodes/$1/keys/identity.key"; }
nkey() { echo "$FED/nodes/$1/keys/transport.nk"; }

# send AS SUBJECT FILE: publish FILE's bytes with AS's transport key
send() {
    inj publish "$URL" "$(nkey "$1")" "$2" "$3" >/dev/null 2>"$WORK/send.err" ||
        bad "publish $3 on $2 as $1: $(cat "$WORK/send.err")"
}
# broadcast FILE: a directive for every node, where the Council would send one
broadcast() { send punjab certfed.council.down.directive,certfed.council.in.directive "$1"; }
# craft WHAT COMMAND...: an attacker's tool makes a file, or the test fails
craft() {
    local what=$1
    shift
    "$@" >/dev/null 2>"$WORK/craft.err" || bad "craft $what: $(cat "$WORK/craft.err")"
}
# same_claim A B: two envelopes claim the same message (decoded, not verified)
same_claim() {
    local a b
    a=$(inj inspect "$1") && b=$(inj inspect "$2") && [ -n "$a" ] && [ "$a" = "$b" ]
}
# capture_receipt OUT: catch the next receipt for punjab (in the background;
# $capture is its pid)
capture_receipt() {
    inj capture "$URL" "$(nkey punjab)" certfed.council.ncert.punjab.in.ack "$1" 20 \
        >"$1.out" 2>&1 &
    capture=$!
    within 15 grep -q ready "$1.out" || bad "the receipt capture is not subscribed"
}
# same_receipt OUT: the captured receipt is byte for byte the first one
same_receipt() { wait "$capture" && cmp -s "$WORK/receipt.env" "$1"; }
# settled NODE: connected and done with its start
settled() {
    local now
    now=$(status_json "$1")
    grep -q '"connected":true' <<<"$now" && grep -q '"starting":false' <<<"$now"
}
# incident_json NODE ID: what NODE holds of incident ID
incident_json() { json "$1" incident show "$2" || true; }
# signed_ms NODE ID: when incident ID's origin signed the revision NODE holds
# (Unix ms), empty if NODE has none
signed_ms() {
    local at
    at=$(incident_json "$1" "$2" | sed -n 's/.*"updated":"\([^"]*\)".*/\1/p')
    [ -n "$at" ] && date -d "$at" +%s%3N
}
# quiet NODE: NODE received nothing new for half a second
quiet() {
    local a b
    a=$(num "$(status_json "$1")" received)
    sleep 0.5
    b=$(num "$(status_json "$1")" received)
    [ "$a" = "$b" ]
}

# ---- the federation, and a second one with keys of its own ----------------------
fed_bootstrap "$HERE/topology.ini" || { bad "bootstrap"; finish; exit 1; }
# punjab's transport key publishes anywhere: a server that does not enforce
# the generated permissions, or a second server config that grants them
nats_open_publish punjab || { bad "open punjab's publish permissions"; finish; exit 1; }
# and whoever runs the server reads every subject
sed -i 's/^  users: \[$/  users: [\n    { user: "sniffer", password: "sniffer-pw" }/' \
    "$FED/nats/nats-server.conf"
grep -q '"sniffer"' "$FED/nats/nats-server.conf" || { bad "add the sniffer"; finish; exit 1; }
# NCERT takes at most 500 messages a second from each origin (1000 at once)
# NCERT checks signatures on the thread pool even on a one-core machine,
# so that every forged signature below goes through that path, with one
# verifier thread (verify_threads): it checks while the loop commits
printf 'sender_rate = 500\nsender_burst = 1000\nverify_pool = 1\nverify_threads = 1\n' >>"$(conf ncert)"
sed 's/^name = pk$/name = pk-test/' "$HERE/topology.ini" >"$WORK/other.ini"
ctl bootstrap "$WORK/other.ini" "$WORK/other" >/dev/null ||
    { bad "bootstrap the other federation"; finish; exit 1; }
fed_run || { bad "the federation did not start"; finish; exit 1; }
URL=$(nats_url)
for n in "${ALL[@]}"; do within 20 settled "$n" || bad "$n is not connected and started"; done
grep -q '"verify_pool":true,"verify_threads":1' <<<"$(status_json ncert)" ||
    bad "NCERT checks signatures on the thread pool, one thread: $(status_json ncert | grep -o '"verify_[a-z]*":[a-z0-9]*')"

# an honest incident and NCERT's signed receipt for it, as they went on the bus
inj capture "$URL" "$(nkey ncert)" certfed.council.ncert.in.incident "$WORK/incident.env" 20 \
    >"$WORK/incident.out" 2>&1 &
capture_incident=$!
within 15 grep -q ready "$WORK/incident.out" || bad "the incident capture is not subscribed"
capture_receipt "$WORK/receipt.env"
report=$(ctl incident report --title "Replay-target" --severity medium \
    --config "$(conf punjab)" 2>/dev/null) || bad "punjab reports an incident"
read -r _ target _ <<<"$report" # "incident ID revision 1 ..."
wait "$capture_incident" || bad "capture punjab's incident"
wait "$capture" || bad "capture NCERT's receipt"
within 20 outbox_empty punjab || bad "NCERT's receipt reaches punjab"
grep -q "type=ack .*origin=ncert " <<<"$(inj inspect "$WORK/receipt.env")" ||
    bad "the captured receipt is NCERT's ack"
target_json=$(incident_json ncert "$target")
grep -q '"revision":1' <<<"$target_json" || bad "NCERT holds $target"

# ---- forged directives ----------------------------------------------------------
attack forged-directive-unknown-key
craft "a directive signed by a fresh key" inj forge directive pk council random "$WORK/unknown.env"
snap "${ALL[@]}"
broadcast "$WORK/unknown.env"
refused unknown-signer "${ALL[@]}"
honest_after council
verdict "unknown-signer at all 5 nodes: no certificate of the federation holds the key"

attack forged-directive-provincial-key
craft "a directive signed by punjab" \
    inj forge directive pk punjab "$(idkey punjab)" "$WORK/provincial.env"
snap "${ALL[@]}"
broadcast "$WORK/provincial.env"
refused unauthorized "${ALL[@]}"
honest_after council
verdict "unauthorized at all 5 nodes: punjab's certificate is provincial; only the Council issues directives"

attack expired-directive
CERTFED_INJECT_EXPIRES_MS=-60000 craft "an expired directive signed by the Council's key" \
    inj forge directive pk council "$(idkey council)" "$WORK/expired.env"
snap "${ALL[@]}"
broadcast "$WORK/expired.env"
refused expired "${ALL[@]}"
honest_after council
verdict "expired at all 5 nodes, though signed by the Council's real key"

# ---- the signed bytes are the message ----------------------------------------------
attack type-confusion
craft "NCERT's receipt relabelled as a directive" \
    inj rewrite type "$WORK/receipt.env" "$WORK/relabelled.env" 4
snap punjab
send punjab certfed.council.ncert.punjab.in.directive "$WORK/relabelled.env"
refused bad-signature punjab
honest_after punjab
verdict "bad-signature at punjab: the type is part of the signed bytes"

for how in reorder varint; do
    attack "re-encoded-body-$how"
    craft "punjab's incident re-encoded ($how)" \
        inj rewrite "$how" "$WORK/incident.env" "$WORK/$how.env"
    check "the re-encoded copy claims the same message" \
        same_claim "$WORK/incident.env" "$WORK/$how.env"
    snap ncert
    send punjab certfed.council.ncert.in.incident "$WORK/$how.env"
    refused bad-signature ncert
    check "NCERT's $target changed" test "$(incident_json ncert "$target")" = "$target_json"
    honest_after punjab
    if [ $how = reorder ]; then
        verdict "bad-signature at NCERT: the body's fields in another order are other bytes"
    else
        verdict "bad-signature at NCERT: non-minimal varints are other bytes"
    fi
done

attack re-encoded-frame
craft "punjab's incident in a re-encoded envelope" \
    inj rewrite frame "$WORK/incident.env" "$WORK/frame.env"
check "the re-encoded copy claims the same message" same_claim "$WORK/incident.env" "$WORK/frame.env"
snap ncert
send punjab certfed.council.ncert.in.incident "$WORK/frame.env"
refused duplicate ncert
check "NCERT did not answer with its receipt" counter_up ncert receipts_resent
check "NCERT's $target changed" test "$(incident_json ncert "$target")" = "$target_json"
honest_after punjab
verdict "duplicate at NCERT: the id is the hash of the signed bytes, not of the frame"

# ---- punjab impersonates NCERT ------------------------------------------------------
attack impersonate-ncert-origin
craft "a tasking of sindh claiming NCERT, signed by punjab" \
    inj forge tasking pk ncert "$(idkey punjab)" "$WORK/impersonate.env" sindh
snap sindh
send punjab certfed.council.ncert.sindh.in.tasking "$WORK/impersonate.env"
refused unauthorized sindh
honest_after sindh
verdict "unauthorized at sindh: the signer's certificate is punjab's, not NCERT's"

attack impersonate-ncert-subject
craft "a tasking of sindh signed by punjab" \
    inj forge tasking pk punjab "$(idkey punjab)" "$WORK/sibling.env" sindh
snap sindh banking punjab
send punjab certfed.council.ncert.sindh.in.tasking "$WORK/sibling.env"
send punjab certfed.council.ncert.down.tasking "$WORK/sibling.env"
refused unauthorized 2 sindh
refused unauthorized banking punjab
honest_after sindh banking
verdict "unauthorized at sindh and banking: on NCERT's subjects, punjab's certificate still may not task a sibling"

attack forged-receipt
# a directive for the banking sector only: sindh never receives it
ctl directive issue --number SEC-SECTOR --title "Banking-only" --sector banking \
    --config "$(conf council)" >/dev/null 2>&1 || bad "the Council issues a sector directive"
within 20 directive_received SEC-SECTOR 1 || bad "banking's receipt for SEC-SECTOR"
re='"number":"SEC-SECTOR"[^}]*"message_id":"([0-9a-f]{64})"'
[[ $(json council directive list) =~ $re ]] || bad "the Council lists SEC-SECTOR's message id"
craft "a receipt in sindh's name, signed by punjab" \
    inj forge ack pk punjab "$(idkey punjab)" "$WORK/receipt-forged.env" "sindh:${BASH_REMATCH[1]}"
snap council
send punjab certfed.council.in.ack "$WORK/receipt-forged.env"
refused unauthorized council
check "the Council counts sindh's receipt for SEC-SECTOR" directive_received SEC-SECTOR 1
honest_after council
verdict "unauthorized at the Council: a node acknowledges only for itself, so no node's receipt can be forged"

# ---- replays ------------------------------------------------------------------------
attack replay
snap ncert
capture_receipt "$WORK/receipt-again.env"
send punjab certfed.council.ncert.in.incident "$WORK/incident.env"
refused duplicate ncert
check "NCERT did not send its receipt again" counter_up ncert receipts_resent
check "the receipt sent again is not the first one, byte for byte" \
    same_receipt "$WORK/receipt-again.env"
check "NCERT's $target changed" test "$(incident_json ncert "$target")" = "$target_json"
honest_after punjab
verdict "duplicate at NCERT: no second effect, the same receipt again"

attack replay-after-restart
node_stop ncert || bad "NCERT stops"
node_start ncert || bad "NCERT starts again"
within 20 settled ncert || bad "NCERT is connected and started again"
snap ncert
capture_receipt "$WORK/receipt-restart.env"
send punjab certfed.council.ncert.in.incident "$WORK/incident.env"
refused duplicate ncert
check "NCERT did not send its receipt again" counter_up ncert receipts_resent
check "the receipt sent again is not the first one, byte for byte" \
    same_receipt "$WORK/receipt-restart.env"
check "NCERT's $target changed" test "$(incident_json ncert "$target")" = "$target_json"
honest_after punjab
verdict "duplicate at the restarted NCERT: what it stored says it had it, the same receipt again"

attack replay-other-federation
CERTFED_INJECT_SEQ=1 craft "a directive of another federation's Council" \
    inj forge directive pk-test council "$WORK/other/nodes/council/keys/identity.key" \
    "$WORK/other.env"
snap "${ALL[@]}"
broadcast "$WORK/other.env"
refused unknown-signer "${ALL[@]}"
honest_after council
verdict "unknown-signer at all 5 nodes: the other federation's keys have no certificate here"

attack replay-other-federation-id
craft "a directive of federation pk-test signed by this Council's key" \
    inj forge directive pk-test council "$(idkey council)" "$WORK/test-federation.env"
snap "${ALL[@]}"
broadcast "$WORK/test-federation.env"
refused wrong-federation "${ALL[@]}"
honest_after council
verdict "wrong-federation at all 5 nodes: a test federation that reused the keys cannot reach this one"

# ---- bytes that are no message --------------------------------------------------------
# junk_attack NAME REASON FILE WHY: FILE to NCERT's inbox is refused for REASON
junk_attack() {
    attack "$1"
    snap ncert
    send punjab certfed.council.ncert.in.incident "$3"
    refused "$2" ncert
    honest_after punjab
    verdict "$4"
}
craft "an oversize envelope" inj rewrite pad "$WORK/incident.env" "$WORK/oversize.env" 1200000
junk_attack oversize oversize "$WORK/oversize.env" \
    "oversize at NCERT: over max_envelope (1 MiB), refused before it is decoded"
craft "random bytes" inj junk random "$WORK/random.env" 4096 20260705
junk_attack malformed-random malformed "$WORK/random.env" "malformed at NCERT: 4 KiB of random bytes"
craft "a truncated envelope" inj rewrite truncate "$WORK/incident.env" "$WORK/truncated.env"
junk_attack malformed-truncated malformed "$WORK/truncated.env" \
    "malformed at NCERT: half an envelope does not decode"
craft "a varint that never ends" inj junk badvarint "$WORK/badvarint.env"
junk_attack malformed-varint malformed "$WORK/badvarint.env" "malformed at NCERT: a varint of 12 bytes"
CERTFED_INJECT_ACTIONS=1100 craft "a Council directive with 1100 required actions" \
    inj forge directive pk council "$(idkey council)" "$WORK/over-limit.env"
attack over-limit
snap ncert
send punjab certfed.council.ncert.in.directive "$WORK/over-limit.env"
refused over-limit ncert
honest_after punjab
verdict "over-limit at NCERT: more repeated entries than max_repeated (1024), though the Council's key signed them"
craft "an envelope without signer and signature" \
    inj rewrite unsign "$WORK/incident.env" "$WORK/unsigned.env"
junk_attack unsigned unsigned "$WORK/unsigned.env" "unsigned at NCERT"
craft "an envelope of an unknown type" inj rewrite type "$WORK/incident.env" "$WORK/type99.env" 99
junk_attack unknown-type wrong-type "$WORK/type99.env" "wrong-type at NCERT: no such message type"

# ---- a flood from one sender -------------------------------------------------------------
# sindh's keys, stolen, sign 3000 different incidents and send them to NCERT
# within 1.5 s; punjab reports in the middle of it
attack flood
FLOOD=3000
snap ncert
inj flood "$URL" "$(nkey sindh)" certfed.council.ncert.in.incident "$(idkey sindh)" pk sindh \
    "$FLOOD" 1.5 >"$WORK/flood.out" 2>&1 &
flooder=$!
within 20 grep -q "^published 1000$" "$WORK/flood.out" || bad "the flood does not start"
t_honest=$(now)
check "punjab's incident does not get through the flood to NCERT, acknowledged" honest punjab
honest_s=$(since "$t_honest")
honest_id=$probe_id
wait "$flooder" || bad "the flood: $(cat "$WORK/flood.out")"
check "NCERT is not done with the flood within 60 s" within 60 quiet ncert
check "NCERT does not answer certfed status after the flood" alive ncert
# punjab reported amid the flood: it signed its incident before the flood's
# last envelope left (one machine, one clock)
flood_to=$(sed -n 's/^flood: .* to \([0-9]*\)$/\1/p' "$WORK/flood.out")
honest_ms=$(signed_ms ncert "$honest_id") || honest_ms=""
if [ -n "$honest_ms" ] && [ "$honest_ms" -lt "${flood_to:-0}" ]; then
    amid="amid the flood ($((flood_to - honest_ms)) ms before its last envelope left)"
else
    amid="not amid the flood (at ${honest_ms:-?} ms; the flood's last envelope left at ${flood_to:-?} ms)"
    bad "the flood: punjab reported $amid: the test did not test what it says"
fi
now_json=$(status_json ncert) || true
flood_log=$(($(num "$now_json" log) - $(num "${BEFORE[ncert]}" log)))
# per-sender throttling: asserted where the node counts it
limiter=$(grep -oE '"(rate[_-]?limited|throttled)[a-z_-]*":[0-9]+' <<<"$now_json" | head -n 1 |
    cut -d'"' -f2 || true)
honest_after punjab council
figure "FLOOD sindh's stolen keys sent NCERT $FLOOD signed incidents in 1.5 s; punjab reported" \
    "$amid and NCERT's receipt was back in $honest_s s; NCERT stored $flood_log log entries" \
    "(the flood and its receipts) and dropped $(num "$now_json" dropped) messages"
if [ -n "$limiter" ]; then
    check "NCERT did not count sindh's flood as $limiter" counter_up ncert "$limiter"
    verdict "throttled: $limiter=$(num "$now_json" "$limiter")"
else
    survived "throttling not checked: no counter"
fi

# ---- TLP:RED under the eyes of the server's operator ----------------------------------------
attack tlp-red-sniffing
"$CERTFED_SNIFF" capture "$URL" sniffer sniffer-pw "$WORK/capture" >"$WORK/sniff.out" 2>&1 &
sniffer=$!
within 15 grep -q ready "$WORK/sniff.out" || bad "the sniffer is not subscribed"
secret="Minister-mailbox-password-$RANDOM$RANDOM"
red=$(ctl incident report --title "$secret" --tlp red --to ncert --severity high \
    --config "$(conf punjab)" 2>/dev/null) || bad "punjab reports a TLP:RED incident"
read -r _ red_id _ <<<"$red"
# (a function: within runs it again each time, and so reads NCERT again)
ncert_reads_red() { incident_json ncert "$red_id" | grep -q "$secret"; }
within 20 ncert_reads_red || bad "NCERT, a recipient, does not read the TLP:RED incident"
check "punjab's TLP:RED incident did not reach NCERT's outbox receipts" within 20 outbox_empty punjab
kill "$sniffer" 2>/dev/null
wait "$sniffer" 2>/dev/null || true
check "the sniffer saw the TLP:RED text in clear" \
    grep -q "messages=[1-9][0-9]* found=0" <<<"$("$CERTFED_SNIFF" count "$WORK/capture" "$secret")"
opened=$("$CERTFED_SNIFF" open "$WORK/capture" "$(idkey sindh)" sindh "$secret")
check "sindh's key opened the captured TLP:RED incident" grep -q "sealed=[1-9][0-9]* opened=0 " <<<"$opened"
check "the Council, not a recipient, holds the TLP:RED incident" \
    sh -c "! '$CERTFED_BIN' incident list --json --config '$(conf council)' | grep -q '$secret'"
verdict "ciphertext only on the bus ($opened with sindh's key); the Council, not named, holds nothing"

# ---- a stolen key, revoked --------------------------------------------------------------
# NCERT revokes banking's key after the last message banking signed, and the
# revocation goes round; the thief's later messages are refused everywhere
attack revoked-key
banking_seq=$(num "$(status_json banking)" seq)
craft "NCERT's revocation of banking's key" ctl keys revoke --issuer-key "$(idkey ncert)" \
    --issuer-cert "$FED/nodes/ncert/chain.certs" --cert "$FED/nodes/banking/chain.certs" \
    --last-good-seq "$banking_seq" --reason "key stolen" --out "$WORK/banking.rev"
ctl trust publish "$WORK/banking.rev" --config "$(conf ncert)" >/dev/null 2>&1 ||
    bad "NCERT publishes the revocation"
has_revocation() { status_json "$1" | grep -q '"revoked_keys":[1-9]'; }
for n in council ncert punjab sindh; do
    within 30 has_revocation "$n" ||
        bad "$n does not have the revocation within 30 s"
done
CERTFED_INJECT_SEQ=$((banking_seq + 5)) craft "an incident signed with banking's revoked key" \
    inj forge incident pk banking "$(idkey banking)" "$WORK/revoked.env" banking
# banking's own node is stopped (its operator's first move), so that what
# NCERT refuses as revoked is the thief's message alone
node_stop banking || bad "banking stops"
snap ncert
send punjab certfed.council.ncert.in.incident "$WORK/revoked.env"
refused revoked ncert
honest_after punjab
verdict "revoked at NCERT: banking's key signed it after its last good sequence number ($banking_seq)"
node_start banking || bad "banking starts again"

# ---- the federation after it all --------------------------------------------------------
for n in "${ALL[@]}"; do
    expect "$n is alive" alive "$n"
    now_json=$(status_json "$n") || true
    printf '%s\n' "$now_json" >"$WORK/status-$n.out"
    expect "$n saw no fork" test "$(num "$now_json" forks)" = 0
    expect "$n quarantines no one" grep -q '"quarantined":\[\]' <<<"$now_json"
    expect "$n's store passes the audit" \
        sh -c "'$CERTFED_BIN' audit verify --config '$(conf "$n")' >/dev/null"
done
fed_stop
expect "no certfedd of this test is left" sh -c "! pgrep -f '[c]ertfedd --config $FED/' >/dev/null"
expect "no sanitizer report in the nodes' logs" \
    sh -c "! grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' '$FED'/logs/*.log"
# secret keys are never logged or printed: no node's identity seed, X25519
# secret or transport seed appears in any log or in any status answer
secrets=0
leaked=""
for n in "${ALL[@]}"; do
    for field in ed25519-seed x25519-secret; do
        v=$(sed -n "s/^$field = //p" "$(idkey "$n")")
        [ -n "$v" ] || continue
        secrets=$((secrets + 1))
        if grep -rqF -- "$v" "$FED/logs" "$WORK"/*.out 2>/dev/null; then leaked="$leaked $n:$field"; fi
    done
    v=$(head -c 58 "$(nkey "$n")")
    secrets=$((secrets + 1))
    if grep -rqF -- "$v" "$FED/logs" "$WORK"/*.out 2>/dev/null; then leaked="$leaked $n:transport"; fi
done
expect "the nodes' $secrets secrets are in their key files" test "$secrets" -eq $((3 * ${#ALL[@]}))
expect "no secret key appears in a log or an output ($leaked)" test -z "$leaked"

security_summary
echo "security suite: $((SECONDS - started)) s"
finish
