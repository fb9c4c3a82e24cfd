# test_fault_clock.sh - clocks minutes apart (libfaketime): sindh runs 5
# minutes ahead, punjab 5 minutes behind. Ordering and deduplication do not
# use time, so they are unaffected; expiry is absolute time judged by each
# receiver's own clock (DESIGN.md section 3): a directive that expires in 2
# minutes is already expired for the node 5 minutes ahead and only for it;
# catch-up between skewed nodes works; a clock set back across a restart
# does not make a node date new messages before old ones.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/fedlib.sh"
. "$(dirname "$0")/faultlib.sh"
trap 'fed_stop; cleanup' EXIT

# libfaketime, preloaded by env (which execs, so the pid file holds
# certfedd's own pid; the faketime wrapper would fork and leave it behind).
# It shifts the wall clock only; timers stay on the real monotonic one.
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 \
    2>/dev/null | head -n 1)
[ -n "$FAKETIME_LIB" ] || { bad "libfaketime is not installed (scripts/lib.sh installs it)"; finish; exit 1; }
# skew OFFSET: the command prefix that runs a node OFFSET off (a plain
# command, not a function: run in the background, a function would leave a
# shell between the pid file and certfedd)
skew() {
    echo env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$1" FAKETIME_DONT_FAKE_MONOTONIC=1 \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}
# offset NODE: seconds between NODE's idea of now (when it started) and ours
offset() {
    local started
    started=$(q "$1" status | grep -o '"started":"[^"]*"' | cut -d'"' -f4)
    echo $(($(date -d "$started" +%s) - $(cat "$WORK/$1.t0")))
}

fed_start || { bad "the federation did not start"; finish; exit 1; }
ok
node_stop sindh && node_stop punjab || bad "sindh and punjab stop"
date +%s >"$WORK/sindh.t0"
node_start sindh $(skew +5m) || bad "sindh starts 5 minutes ahead"
date +%s >"$WORK/punjab.t0"
node_start punjab $(skew -5m) || bad "punjab starts 5 minutes behind"
s_off=$(offset sindh)
p_off=$(offset punjab)
expect "sindh's clock is about 5 minutes ahead ($s_off s)" test "$s_off" -ge 290 -a "$s_off" -le 320
expect "punjab's clock is about 5 minutes behind ($p_off s)" test "$p_off" -ge -310 -a "$p_off" -le -290

# ordering and dedup: punjab's reports and updates, stamped 5 minutes late
t0=$(now)
"$CERTFED_LOAD" "$FED/nodes/punjab/control.sock" 50 incident medium 120 >"$WORK/load.out" 2>&1
expect "punjab reports 50 incidents: $(cat "$WORK/load.out")" test $? -eq 0
cli punjab incident update punjab-1 --status triaged
expect_rc 0 "punjab updates its first incident"
cli punjab incident update punjab-1 --status contained
expect_rc 0 "and again"
all_in() { [ "$(count ncert punjab)" -ge 50 ] && has ncert '"revision":3' incident show punjab-1; }
eventually 30 "NCERT holds all 50, the first at its latest revision" all_in
rows=$(ids ncert punjab | wc -l)
expect "no incident twice at NCERT ($rows rows)" test "$rows" -eq 50
expect "the latest revision wins, whatever the stamps" has ncert '"status":"contained"' incident show punjab-1

# expiry judged by each receiver's clock
cli council directive issue --number 2026-090 --title "Short-lived" --expires +2m
expect_rc 0 "the Council issues a directive that expires in 2 minutes"
eventually 20 "NCERT holds it" has ncert '"number":"2026-090"' directive list
eventually 20 "punjab (5 minutes behind) holds it" has punjab '"number":"2026-090"' directive list
eventually 20 "sindh (5 minutes ahead) finds it expired" \
    grep -q "rejected directive from council .*: expired" "$FED/logs/sindh.log"
expect "sindh does not hold it" sh -c "! '$CERTFED_BIN' directive list --json --config '$FED/nodes/sindh/node.conf' | grep -q 2026-090"
cli council directive issue --number 2026-091 --title "Long-lived" --expires +1h
expect_rc 0 "the Council issues a directive that expires in an hour"
eventually 20 "every node in scope received it, skewed or not" \
    has council '"in_scope":4,"received":4' directive status 2026-091

# catch-up between skewed nodes: sindh misses a directive and takes it from NCERT
node_stop sindh || bad "sindh stops"
cli council directive issue --number 2026-092 --title "While-sindh-was-down"
expect_rc 0 "the Council issues a directive while sindh is down"
eventually 20 "NCERT holds it" has ncert '"number":"2026-092"' directive list
node_stop council || bad "the Council stops, so only NCERT can give it"
node_start sindh $(skew +5m) || bad "sindh starts again, 5 minutes ahead"
eventually 20 "sindh catches it up from NCERT" has sindh '"number":"2026-092"' directive list
dups=$(($(numbers sindh | wc -l) - $(numbers sindh | uniq | wc -l)))
expect "sindh holds no directive twice" test "$dups" -eq 0
# a wall clock set back while a node was down: its "now" stands still at its
# last signature until the clock catches up, so nothing it signs is dated
# before what it signed earlier
cli banking incident report --title "Before-the-clock-went-back" --severity low
expect_rc 0 "banking signs with the right time"
node_stop banking || bad "banking stops"
node_start banking $(skew -10m) || bad "banking starts with its clock set back 10 minutes"
eventually 10 "banking says its clock is behind" \
    grep -q "wall clock is behind this node's last signature" "$FED/logs/banking.log"
cli banking incident report --title "After-the-clock-went-back" --severity low
expect_rc 0 "banking still works"
reported() { q banking incident show "$1" | grep -o '"reported":"[^"]*"' | cut -d'"' -f4; }
r1=$(date -d "$(reported banking-1)" +%s%3N)
r2=$(date -d "$(reported banking-2)" +%s%3N)
expect "the later incident is not dated before the earlier one ($r1, $r2)" test "$r2" -ge "$r1"
expect "banking counts the clock behind" test "$(field banking clock_behind)" -ge 1
echo "FAULT clock-skew: sindh ${s_off} s ahead, punjab ${p_off} s behind; 50 incidents and" \
    "2 updates from punjab arrived once each, in revision order ($(since "$t0") s);" \
    "a 2-minute directive expired only at sindh; a 1-hour one reached all 4;" \
    "sindh caught up from NCERT with the Council offline; duplicated $dups"
cli ncert audit verify
expect_rc 0 "NCERT's log is intact"
finish
