# test_interchange.sh - `certfed incident import|export` on real nodes: the
# STIX 2.1 and MISP samples (tests/data/interchange/) are imported into a
# child CERT and arrive at its parent like any report (TLP:RED sealed to the
# parent, which reads it; the Council, no recipient, cannot export it); the
# parent exports all of them in both formats; the child re-imports both
# exports and every mapped field of every incident comes back the same
# (cf_ixcompare); an unmappable document, malformed JSON and an oversized file
# are refused naming the problem, with no incident made; an import of many
# incidents prints progress lines. Real nats-server, three real certfedd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
: "${CERTFED_IXCOMPARE:?run through ctest}"
trap 'fed_stop; cleanup' EXIT
DATA="$CERTFED_SOURCE/tests/data/interchange"

# the smallest federation with a child, its parent and the apex
cat >"$WORK/topology.ini" <<'EOF'
[federation]
name = ix

[node council]
role = council

[node ncert]
role = ncert
parent = council

[node banking]
role = sectoral
parent = ncert
EOF
fed_bootstrap "$WORK/topology.ini" || { bad "bootstrap"; finish; exit 1; }
fed_run || { bad "the federation did not start"; finish; exit 1; }
ok

count() { q "$1" incident list | grep -o '"id":"' | wc -l; }
# id_at OUTPUT WHERE: the id an import gave the incident at WHERE in its file
id_at() { printf '%s\n' "$1" | awk -v w="$2" '$2 == w { print $1 }'; }
lacks() { ! q "$1" "${@:3}" | grep -q -- "$2"; }
has_count() { [ "$(count "$1")" -eq "$2" ]; }
list_json() { "$CERTFED_BIN" incident list --json --config "$FED/nodes/$1/node.conf" >"$2"; }

# ---- the samples into the child ------------------------------------------------
cli banking incident import "$DATA/stix-bundle.json"
expect_rc 0 "banking imports the STIX sample"
expect_out "imported 4 incidents from .*stix-bundle.json \(STIX 2.1\)" "it says how many"
expect_out "banking-[0-9]+ +objects\[15\] +TLP:red +Ransomware on hospital file servers" \
    "it lists each incident with where it was in the file"
expect_err "objects\[19\]: a malware object: no place in a certfed incident; not imported" \
    "it names what it left out"
phishing=$(id_at "$out" "objects[5]")
ransomware=$(id_at "$out" "objects[15]")
scanning=$(id_at "$out" "objects[24]")
defacement=$(id_at "$out" "objects[29]")
# the sealed ones are sent first (a node that cannot seal refuses before
# anything else is sent, see below)
expect "the TLP:RED and AMBER+STRICT incidents got the first numbers" \
    [ "$ransomware $defacement $phishing $scanning" = "banking-1 banking-2 banking-3 banking-4" ]
cli banking incident import "$DATA/misp-events.json"
expect_rc 0 "banking imports the MISP sample"
expect_out "imported 2 incidents from .*misp-events.json \(MISP\)" "it says how many"
exfiltration=$(id_at "$out" "response[1].Event")

# ---- they arrive at the parent, signed and stored like any report ------------------
eventually 15 "NCERT has the 6 imported incidents" has_count ncert 6
cli ncert incident show "$phishing"
expect_out 'source +stix incident--0b1d4c5e-7a2f-4e3b-8c6d-9f1a2b3c4d5e in bundle--5d0092c5-5f74-4287-9642-33f4c354e56d from "Gulf Regional CSIRT"' \
    "incident show at NCERT names the source"
expect_out "severity +high +TLP:amber" "the severity and TLP are mapped"
expect_out "observable +url https://secure-login-bank.example/auth/otp.php\?s=1 \(to block\)" \
    "an indicator is an observable to block"
expect "NCERT reads the TLP:RED incident, sealed to it" \
    has ncert '"tlp":"red"' incident show "$ransomware"
expect "its source is the MISP event" \
    has ncert 'mispeventd0b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5dfrom\\"SindhProvincialCERT\\"' \
    incident show "$exfiltration"
cli council incident export "$ransomware"
expect_rc 1 "the Council, no recipient of the sealed incident, cannot export it"
expect_err "incident $ransomware: not found on this node" "it says so"

# the owner sets what both formats carry as tags: PAP, the determination,
# the constituent and the links (checked after the round trip, below)
cli banking incident update "$phishing" --pap amber --determination confirmed \
    --constituent state-bank --related "$scanning" --related "$defacement" \
    --duplicate-of "$exfiltration" --supersedes banking-0
expect_rc 0 "banking sets PAP, the determination, the constituent and links on $phishing"
eventually 15 "NCERT has them" has ncert '"determination":"confirmed","pap":"amber"' incident show "$phishing"

# ---- export from the parent, in both formats -----------------------------------------
cli ncert incident export --out "$WORK/export.stix.json"
expect_rc 0 "NCERT exports a STIX bundle"
expect_out "exported 6 incidents to .*export.stix.json \(a STIX 2.1 bundle\)" "it says how many"
expect "the bundle holds TLP:RED in clear, so only its owner may read the file" \
    [ "$(stat -c %a "$WORK/export.stix.json")" = 600 ]
expect "the bundle references the TLP:RED marking by its fixed id" \
    grep -q '"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"' "$WORK/export.stix.json"
cli ncert incident export --format misp --out "$WORK/export.misp.json"
expect_rc 0 "NCERT exports MISP event JSON"
expect "the MISP export tags TLP:AMBER+STRICT" grep -q '"tlp:amber+strict"' "$WORK/export.misp.json"
expect "the MISP export tags PAP:AMBER" grep -q '"PAP:AMBER"' "$WORK/export.misp.json"
expect "the STIX export labels the determination" \
    grep -q '"certfed:determination=\\"confirmed\\""' "$WORK/export.stix.json"
cli ncert incident export "$scanning" --format misp
expect_rc 0 "one incident exports to standard output"
expect_out '"info":[[:space:]]*"SSH scanning from a compromised university host"' "as one MISP event"
list_json ncert "$WORK/before.json"

# ---- re-import both exports; every mapped field comes back ------------------------------
cli banking incident import "$WORK/export.stix.json"
expect_rc 0 "banking re-imports the STIX export"
expect_out "imported 6 incidents" "all of them"
cli banking incident import "$WORK/export.misp.json"
expect_rc 0 "banking re-imports the MISP export"
eventually 15 "NCERT has the 12 re-imported incidents as well" has_count ncert 18
list_json ncert "$WORK/after.json"
run "$CERTFED_IXCOMPARE" stix "$WORK/before.json" "$WORK/after.json"
printf '%s\n' "$out"
expect_rc 0 "through STIX every mapped field is the same"
run "$CERTFED_IXCOMPARE" misp "$WORK/before.json" "$WORK/after.json"
printf '%s\n' "$out"
expect_rc 0 "through MISP every mapped field is the same"

# ---- refused whole, naming the problem --------------------------------------------------
made=$(count banking)
originated=$(field banking originated)
cli banking incident import "$DATA/stix-unmappable.json"
expect_rc 1 "an unmappable STIX bundle is refused"
expect_err "objects\[3\]\.pattern: 'network-traffic:dst_ref.value' has no certfed observable type" \
    "the refusal names the field"
expect_err "nothing was imported" "and says nothing was imported"
cli banking incident import "$DATA/misp-unmappable.json"
expect_rc 1 "an unmappable MISP event is refused"
expect_err "Event\.Attribute\[2\]\.type: 'regkey\|value' is not a MISP type certfed maps" \
    "the refusal names the field"
printf '{"type": "bundle",\n "objects": [\n  {"type": "incident",}\n ]}\n' >"$WORK/bad.json"
cli banking incident import "$WORK/bad.json"
expect_rc 1 "malformed JSON is refused"
expect_err "not JSON \(malformed near line 3" "with where it breaks"
truncate -s 17M "$WORK/big.json"
cli banking incident import "$WORK/big.json"
expect_rc 1 "a file over 16 MiB is refused"
expect_err "larger than 16 MiB" "saying why"
cli banking incident import "$DATA/stix-bundle.json" --dry-run
expect_rc 0 "a dry run checks a document"
expect_out "would import 4 incidents; nothing was sent" "and sends nothing"
cli banking incident import "$DATA/stix-bundle.json" --format misp
expect_rc 1 "a STIX bundle read as MISP is refused"
expect "the refused imports made no incident" [ "$(count banking)" -eq "$made" ]
expect "and banking signed nothing" [ "$(field banking originated)" = "$originated" ]
# the Council has no parent to seal a TLP:RED incident to: the node refuses
# the first sealed one, sent before the others, so nothing is imported
cli council incident import "$DATA/stix-bundle.json"
expect_rc 1 "the Council cannot import a TLP:RED incident (no recipient)"
expect_err "the node refused the incident at objects\[15\]: .*recipient.*; nothing was imported" \
    "it says which and that nothing was imported"
expect "the Council made no incident of its own" lacks council '"owner":"council"' incident list

# ---- many incidents: progress on standard error (not a terminal: plain lines) -----------
{
    printf '{"response": [\n'
    for i in $(seq 1 12); do
        [ "$i" = 1 ] || printf ',\n'
        printf '{"Event": {"info": "Card skimmer on ATM %d", "date": "2026-03-1%d", "threat_level_id": "3", "analysis": "0", "uuid": "0f0e0d0c-0b0a-4909-8807-0605040302%02d", "Orgc": {"name": "Banking ISAC"}, "Tag": [{"name": "tlp:green"}, {"name": "rsit:fraud=\\"unauthorised-use-of-resources\\""}], "Attribute": [{"type": "ip-dst", "category": "Network activity", "to_ids": true, "value": "198.51.100.%d"}]}}' \
            "$i" "$((i % 10))" "$i" "$i"
    done
    printf '\n]}\n'
} >"$WORK/many.json"
cli banking incident import "$WORK/many.json"
expect_rc 0 "banking imports 12 MISP events"
expect_err "^importing: 2/12 incidents \(16%\)" "a progress line at the first tenth"
expect_err "importing: 12/12 incidents \(100%\)" "and at the end"
expect "one line per tenth reached, none redrawn" \
    [ "$(printf '%s\n' "$err" | grep -c '^importing: ')" -eq 10 ]
expect "no carriage return off a terminal" [ "$(printf '%s' "$err" | tr -cd '\r' | wc -c)" -eq 0 ]
eventually 15 "NCERT has them too" has_count ncert 30
finish
