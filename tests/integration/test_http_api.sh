# test_http_api.sh - the node's HTTP API (issue 7) on a real two-node
# federation (the Council and NCERT, real nats-server, real certfedd): no
# token is 401; an incident reported by POST on NCERT is read by GET on the
# Council, and filtered; a directive is issued and acknowledged through the
# API on the right nodes and the ack table shows it; tasks and updates go
# through; every bad request gets its 4xx with a JSON error and changes
# nothing in the store; /metrics is Prometheus text with the families
# promised and counts the report exactly once; the event stream announces
# the received incident; and a node whose token file others may read does
# not start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fedlib.sh"
sse_pid=
trap '[ -n "$sse_pid" ] && kill "$sse_pid" 2>/dev/null; fed_stop; cleanup' EXIT

fed_http_pair httpfed 'max_body = 4096\n' || { bad "the federation did not start"; finish; exit 1; }
ok

# where each node's API listens (port 0: it picked one; status says which)
expect "status names where the Council's API listens ($COUNCIL)" test -n "$COUNCIL"
expect "status names where NCERT's API listens ($NCERT)" test -n "$NCERT"
addr() { if [ "$1" = council ]; then echo "$COUNCIL"; else echo "$NCERT"; fi; }

# api NODE METHOD PATH [BODY] [CURL-ARGS...]: with the token and a JSON
# content type; the status in $code, the body in $body
api() {
    local node=$1 method=$2 path=$3 data=()
    shift 3
    if [ $# -gt 0 ]; then
        data=(--data-binary "$1")
        shift
    fi
    code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        ${data[@]+"${data[@]}"} "$@" "http://$(addr "$node")$path")
    body=$(tr -d '\n' <"$WORK/body")
}
# raw NODE METHOD PATH CURL-ARGS...: no token or content type of ours
raw() {
    local node=$1 method=$2 path=$3
    shift 3
    code=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" "$@" \
        "http://$(addr "$node")$path")
    body=$(tr -d '\n' <"$WORK/body")
}
expect_code() {
    if [ "$code" = "$1" ]; then ok; else bad "$2: HTTP $code, expected $1; body: $body"; fi
}
expect_body() {
    if printf '%s' "$body" | grep -Eq -- "$1"; then ok; else bad "$2: body lacks /$1/: $body"; fi
}
# a value of the node's metrics: metric NODE 'name{labels}'
metric() {
    curl -s -H "Authorization: Bearer $TOKEN" "http://$(addr "$1")/metrics" |
        awk -v k="$2" 'index($0, k " ") == 1 { print $2 }'
}
# what the store holds, and the node's own sequence (to show a refusal changed nothing)
snapshot() { q "$1" status | grep -o '"seq":[0-9]*\|"entries":{[^}]*}' | tr -d '\n'; }

# ---- the token ----------------------------------------------------------------------------
raw ncert GET /api/status
expect_code 401 "no token"
expect_body '"reason":"unauthenticated"' "401 says why, in JSON"
raw ncert GET /api/status -H "Authorization: Bearer wrong-$TOKEN"
expect_code 401 "a wrong token"
raw ncert GET "/api/status?token=$TOKEN"
expect_code 401 "the token in the query is for the event stream only"
api ncert GET /api/status
expect_code 200 "the token"
expect_body '"node":"ncert"' "status is NCERT's"

# ---- an incident reported on NCERT reaches the Council, and its events ------------------------
curl -s -N "http://$COUNCIL/api/events?token=$TOKEN" >"$WORK/events" 2>/dev/null &
sse_pid=$!
eventually 10 "the event stream opens" grep -q '^: certfed events' "$WORK/events"
accepted0=$(metric council 'certfed_messages_total{type="incident",result="accepted"}')
expect "the Council's metrics count accepted incidents ($accepted0)" test -n "$accepted0"
api ncert POST /api/incidents \
    '{"title":"Phishing wave","severity":"high","sector":"banking","observables":[{"type":"domain","value":"evil.example","to_block":true}]}'
expect_code 201 "NCERT reports an incident by POST"
expect_body '"id":"ncert-1"' "its id is ncert-1"
council_has() { api council GET /api/incidents/ncert-1 && [ "$code" = 200 ]; }
eventually 10 "the Council reads ncert-1 by GET" council_has
expect_body '"title":"Phishing wave"' "with its title"
expect_body 'evil.example' "and its observable"
eventually 10 "the event stream announces the received incident" \
    grep -q '"type":"incident","stored":"received","id":"ncert-1","origin":"ncert","revision":1' \
    "$WORK/events"
one_more() { [ "$(metric council 'certfed_messages_total{type="incident",result="accepted"}')" = $((accepted0 + 1)) ]; }
eventually 5 "the Council's accepted incidents grew by exactly one" one_more

# the list and its filters (the CLI's)
api council GET '/api/incidents?min_severity=high'
expect_body '"id":"ncert-1"' "min_severity=high lists it"
api council GET '/api/incidents?min_severity=emergency'
expect_body '^\[\]$' "min_severity=emergency does not"
api council GET '/api/incidents?sector=banking&tlp=amber&status=new'
expect_body '"id":"ncert-1"' "sector, tlp and status filters list it"
api council GET '/api/incidents?sector=telecom'
expect_body '^\[\]$' "another sector does not"
api council GET '/api/incidents?min_severity=3'
expect_body '"id":"ncert-1"' "a severity may be given by number"

# only the owner updates it
api council POST /api/incidents/ncert-1 '{"status":"contained"}'
expect_code 403 "the Council may not update NCERT's incident"
expect_body '"reason":"unauthorized"' "403 says why"
api ncert POST /api/incidents/ncert-1 '{"status":"contained","note":"domain taken down"}'
expect_code 200 "NCERT updates its incident"
expect_body '"revision":2' "to revision 2"
rev2() { api council GET /api/incidents/ncert-1 && printf '%s' "$body" | grep -q '"status":"contained"'; }
eventually 10 "the Council sees revision 2" rev2
api ncert POST /api/incidents/ncert-1 '{"pap":"green","determination":"confirmed","related":["ncert-0"],"duplicate_of":"ncert-9"}'
expect_code 200 "NCERT sets PAP, the determination and links by POST"
rev3() {
    api council GET /api/incidents/ncert-1 &&
        printf '%s' "$body" | grep -q '"revision":3,.*"determination":"confirmed","pap":"green",.*"related":\["ncert-0"\],"duplicate_of":"ncert-9"'
}
eventually 10 "the Council reads them in revision 3" rev3
api ncert POST /api/incidents/ncert-1 '{"determination":"likely"}'
expect_code 400 "an unknown determination is refused"
api ncert POST /api/incidents '{"title":"x","pap":"purple"}'
expect_code 400 "a report with an unknown PAP is refused"
expect_body 'unknown PAP' "and says which field"

# another holder adds a note, which goes to the owner
api council POST /api/incidents/ncert-1/notes '{"text":"seen at the Council too","analyst":"duty officer"}'
expect_code 201 "the Council notes NCERT's incident by POST"
expect_body '"revision":3,"owner":"ncert"' "on the latest revision, for the owner"
noted() {
    api ncert GET /api/incidents/ncert-1 &&
        printf '%s' "$body" | grep -q '"notes":\[{"by":"council","analyst":"duty officer",.*"text":"seen at the Council too","revision":3'
}
eventually 10 "NCERT reads the Council's note" noted
api ncert POST /api/incidents/ncert-1/notes '{"text":"mine"}'
expect_code 400 "the owner's note is refused: it goes in an update"
api council POST /api/incidents/ncert-1/notes '{"analyst":"duty officer"}'
expect_code 400 "a note without text is refused"
api council POST /api/incidents/ncert-9/notes '{"text":"x"}'
expect_code 404 "a note on an incident the node does not hold"

# ---- a directive, acknowledged through the API ------------------------------------------------
api ncert POST /api/directives '{"title":"Patch now","number":"2026-001"}'
expect_code 403 "NCERT may not issue a directive"
api council POST /api/directives \
    '{"title":"Patch now","number":"2026-001","kind":"mandatory","actions":["patch the VPN"]}'
expect_code 201 "the Council issues directive 2026-001"
ncert_has() { api ncert GET /api/directives/2026-001 && [ "$code" = 200 ]; }
eventually 10 "NCERT holds the directive" ncert_has
api ncert POST /api/directives/2026-001/ack '{"state":"acknowledged","analyst":"duty officer"}'
expect_code 200 "NCERT acknowledges it by POST"
acked() {
    api council GET /api/directives/2026-001 &&
        printf '%s' "$body" | grep -q '"node":"ncert","role":"ncert","received":"[^"]*","state":"acknowledged"'
}
eventually 10 "the Council's ack table shows NCERT's acknowledgement" acked
expect_body '"acknowledged":1' "one of one acknowledged"
api council GET /api/directives
expect_body '"number":"2026-001"' "the directive list has it"

# ---- a tasking and its status ----------------------------------------------------------------
api council POST /api/tasks '{"assignees":["ncert"],"kind":"block","instructions":"block evil.example"}'
expect_code 201 "the Council tasks NCERT"
expect_body '"id":"council-t1"' "its id is council-t1"
task_here() { api ncert GET /api/tasks && printf '%s' "$body" | grep -q '"council-t1"'; }
eventually 10 "NCERT lists the tasking" task_here
api ncert POST /api/tasks/council-t1/status '{"state":"done","result":"blocked"}'
expect_code 200 "NCERT reports it done"
done_there() { api council GET /api/tasks && printf '%s' "$body" | grep -q '"done"'; }
eventually 10 "the Council sees it done" done_there
api ncert GET /api/peers
expect_body '"node":"council"' "peers names the Council"

# ---- bad requests: a 4xx each, a JSON error, nothing changed ------------------------------------
settled() { has ncert '"outbox":0' status && has council '"outbox":0' status; }
eventually 10 "both outboxes drain" settled
before=$(snapshot ncert)
rejected0=$(metric ncert certfed_http_rejected_total)
api ncert POST /api/incidents '{"title": "broken'
expect_code 400 "malformed JSON"
expect_body '"error":".*","reason":"malformed"' "says malformed"
api ncert POST /api/incidents '{"title":"x","colour":"red"}'
expect_code 400 "an unknown field"
expect_body "unknown field 'colour'" "names the field"
api ncert POST /api/incidents '{"title":"x","observables":[{"type":"ip","value":"192.0.2.1","port":80}]}'
expect_code 400 "an unknown field inside an observable"
expect_body "observables\\[0\\]\\.port" "names it"
api ncert POST /api/incidents '{"title":42}'
expect_code 400 "a field of the wrong type"
expect_body "field 'title' must be a string" "names the field and the type"
api ncert POST /api/incidents '["title"]'
expect_code 400 "a body that is not an object"
big=$(head -c 5000 /dev/zero | tr '\0' 'a')
api ncert POST /api/incidents "{\"title\":\"$big\"}"
expect_code 413 "a body over max_body"
expect_body '"reason":"oversize"' "says oversize"
raw ncert POST /api/incidents -H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/plain' \
    --data-binary '{"title":"x"}'
expect_code 415 "a body that is not JSON by its type"
api ncert GET /api/nothing-here
expect_code 404 "an unknown path"
expect_body '"reason":"not-found"' "404 in JSON"
api ncert DELETE /api/incidents
expect_code 405 "a wrong method"
expect_body '"reason":"method-not-allowed"' "405 in JSON"
api ncert GET '/api/incidents?colour=red'
expect_code 400 "an unknown query parameter"
expect_body "colour" "names it"
api ncert POST /api/directives/2026-001/ack '{"state":"maybe"}'
expect_code 400 "an ack state the command does not know"
raw ncert POST /api/incidents -H 'Content-Type: application/json' --data-binary '{"title":"x"}'
expect_code 401 "a write without the token"
after=$(snapshot ncert)
expect "the store and the sequence are unchanged by all of them" test "$before" = "$after"
expect "the snapshot is not empty" test -n "$after"
rejected1=$(metric ncert certfed_http_rejected_total)
expect "the 12 refusals were counted ($rejected0 -> $rejected1)" test "$rejected1" = $((rejected0 + 12))
expect "status counts them too" has ncert "\"rejected\":$rejected1" status
expect "NCERT logged the refusals" grep -q "http: refused POST /api/incidents" "$FED/logs/ncert.log"

# ---- /metrics: the text format, the families, plausible values ----------------------------------
curl -s -H "Authorization: Bearer $TOKEN" "http://$NCERT/metrics" >"$WORK/metrics"
sample='^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)$'
badlines=$(grep -v '^#' "$WORK/metrics" | grep -Ev "$sample" | head -n 3)
expect "every sample line is name{labels} value (not: $badlines)" test -z "$badlines"
expect "the metrics are not empty" test "$(grep -vc '^#' "$WORK/metrics")" -gt 50
for fam in certfed_messages_total certfed_messages_rejected_total certfed_outbox_messages \
    certfed_peer_last_contact_timestamp_seconds certfed_peer_catchup_lag_seconds \
    certfed_ack_latency_seconds certfed_store_used_bytes certfed_store_map_size_bytes \
    certfed_store_map_usage_ratio certfed_nats_connected certfed_http_requests_total \
    certfed_receipt_rtt_seconds certfed_resend_wait_seconds; do
    expect "family $fam has a TYPE line" grep -q "^# TYPE $fam " "$WORK/metrics"
done
m() { awk -v k="$1" 'index($0, k " ") == 1 { print $2 }' "$WORK/metrics"; }
expect "NATS is connected" test "$(m certfed_nats_connected)" = 1
expect "the outbox is empty" test "$(m certfed_outbox_messages)" = 0
expect "a resend waits resend_first_ms / 2 at the least (the default: 0.5 s)" \
    test "$(m certfed_resend_wait_seconds)" = 0.5
expect "the store uses some bytes of its map" \
    awk -v u="$(m certfed_store_used_bytes)" -v s="$(m certfed_store_map_size_bytes)" \
    'BEGIN { exit !(u > 0 && u <= s) }'
expect "the Council's receipts were timed" test "$(m certfed_ack_latency_seconds_count)" -ge 3
expect "the +Inf bucket holds every receipt" \
    test "$(m 'certfed_ack_latency_seconds_bucket{le="+Inf"}')" = "$(m certfed_ack_latency_seconds_count)"
expect "the buckets never decrease" awk '/^certfed_ack_latency_seconds_bucket/ {
        if ($2 < last) bad = 1; last = $2 } END { exit bad }' "$WORK/metrics"
expect "the Council is a peer, heard from" \
    awk '/^certfed_peer_last_contact_timestamp_seconds\{peer="council",relation="parent"\}/ { ok = $2 > 1e9 } END { exit !ok }' \
    "$WORK/metrics"
expect "NCERT signed one incident and two updates" \
    test "$(m 'certfed_messages_originated_total{type="incident"}')" = 3
raw ncert GET /metrics
expect_code 401 "/metrics needs the token unless metrics_public"

# ---- the token file must be private ------------------------------------------------------------
kill "$sse_pid" 2>/dev/null
sse_pid=
expect "NCERT stops" node_stop ncert
expect "NCERT stopped cleanly" grep -q "stopped cleanly" "$FED/logs/ncert.log"
chmod 644 "$WORK/token"
run timeout 20 "$CERTFEDD_BIN" --config "$FED/nodes/ncert/node.conf" --nats-url "$(nats_url)"
expect_rc 1 "a node whose token file is 0644 does not start"
expect_err "token_file .*token: group or others may access it.*chmod 600" "and says why"
run "$CERTFEDD_BIN" --config "$FED/nodes/ncert/node.conf" --check
expect_rc 1 "--check refuses it too"
chmod 600 "$WORK/token"
expect "NCERT starts again with a private token file" node_start ncert
# a node stops cleanly with an event stream open: the stream ends, the
# server's threads are joined before the loop closes
curl -s -N "http://$COUNCIL/api/events?token=$TOKEN" >"$WORK/events2" 2>/dev/null &
sse_pid=$!
eventually 10 "a second event stream opens" grep -q '^: certfed events' "$WORK/events2"
expect "the Council stops with it open" node_stop council
eventually 5 "the stream ended with the node" sh -c "! kill -0 $sse_pid 2>/dev/null"
sse_pid=
fed_stop
expect "the Council stopped cleanly" grep -q "stopped cleanly" "$FED/logs/council.log"
expect "no sanitizer report in the logs" \
    sh -c "! grep -q 'Sanitizer' '$FED/logs/council.log' '$FED/logs/ncert.log'"
finish
