# seclib.sh - attacks on a running federation and their verdicts. Source
# after lib.sh and fedlib.sh. An attack is a name, what the attacker does,
# then checks of its effect; `verdict REASON` says "stopped (REASON)" when
# every check held and "NOT STOPPED (what got through)" otherwise.
# `security_summary` prints one line per attack and
#   SECURITY attacks=N stopped=M
# An attack that is not built yet is SKIPPED: counted as an attack, never as
# stopped, and no failure.

verdicts=()
figures=()
attacks=0
stopped=0
not_stopped=0
skipped=0
attack_name=""
attack_fails=""

# attack NAME: an attack begins; its checks follow, then verdict
attack() {
    attack_name=$1
    attack_fails=""
    attacks=$((attacks + 1))
    echo "# attack $attack_name" >&2
}

# got_through DESCRIPTION: an effect the attack must not have had, it had
got_through() { attack_fails="${attack_fails:+$attack_fails; }$1"; }

# check DESCRIPTION COMMAND...: COMMAND succeeds, or the attack got through
check() {
    local what=$1
    shift
    "$@" >/dev/null 2>&1 || got_through "$what"
}

# within SECONDS COMMAND...: COMMAND succeeds before the deadline
within() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.05
    done
}

# verdict REASON: the attack's line, from its checks
verdict() {
    local line
    if [ -z "$attack_fails" ]; then
        stopped=$((stopped + 1))
        line="ATTACK $attack_name: stopped ($*)"
        ok
    else
        not_stopped=$((not_stopped + 1))
        line="ATTACK $attack_name: NOT STOPPED ($attack_fails)"
        bad "$line"
    fi
    verdicts+=("$line")
}

# survived WHY: an attack the node lived through that nothing stops yet (no
# failure, not counted as stopped); a verdict as any other if a check failed
survived() {
    if [ -z "$attack_fails" ]; then
        verdicts+=("ATTACK $attack_name: survived ($*)")
        ok
    else
        verdict "$*"
    fi
}

# skip_attack NAME WHY: an attack on something not built yet
skip_attack() {
    attacks=$((attacks + 1))
    skipped=$((skipped + 1))
    verdicts+=("ATTACK $1: SKIPPED ($2)")
}

# figure LINE...: a measured fact, printed with the summary
figure() { figures+=("$*"); }

security_summary() {
    local line
    for line in "${figures[@]}" "${verdicts[@]}"; do echo "$line"; done
    echo "SECURITY attacks=$attacks stopped=$stopped"
    echo "SECURITY not_stopped=$not_stopped skipped=$skipped" \
        "survived=$((attacks - stopped - not_stopped - skipped))"
}

# ---- the nodes, read through `certfed status --json` -----------------------------

# ctl ARGS...: certfed, without a leak check at its exit in a sanitizer build
# (the CLI's leaks are the other integration tests' business: here it is
# asked hundreds of times, and each check would cost a tenth of a second;
# the nodes under attack keep theirs)
ctl() { ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0" "$CERTFED_BIN" "$@"; }

# conf NODE: its config file
conf() { echo "$FED/nodes/$1/node.conf"; }

# status_json NODE: its status, compact (no whitespace); empty if it does not answer
status_json() { ctl status --json --config "$(conf "$1")" 2>/dev/null | tr -d ' \n\t'; }

# json NODE ARGS...: the compact --json answer of any command
json() {
    local node=$1
    shift
    ctl "$@" --json --config "$(conf "$node")" 2>/dev/null | tr -d ' \n\t'
}

# num JSON KEY: the first number named KEY in JSON (0 if none)
num() {
    local re="\"$2\":([0-9]+)"
    if [[ $1 =~ $re ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

# rejections JSON REASON: the node's rejection count for REASON (0 if none)
rejections() {
    local re="\"rejected\":\\{[^}]*\"$2\":([0-9]+)"
    if [[ $1 =~ $re ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

declare -A BEFORE

# snap NODE...: remember their status, to compare with after an attack
snap() {
    local n
    for n in "$@"; do BEFORE[$n]=$(status_json "$n") || BEFORE[$n]=""; done
}

# counter_up NODE KEY [N]: a status number rose by at least N (1) since snap
counter_up() {
    local now
    now=$(status_json "$1")
    [ -n "$now" ] && [ "$(num "$now" "$2")" -ge $(($(num "${BEFORE[$1]}" "$2") + ${3:-1})) ]
}

# alive NODE: its process runs and it answers `certfed status`
alive() {
    kill -0 "$(cat "$FED/run/$1.pid")" 2>/dev/null &&
        ctl status --config "$(conf "$1")" >/dev/null 2>&1
}

# stored JSON: the node's sequence and its store's entry counts, but for the
# meta table (bookkeeping that moves on its own)
stored() {
    local re='"entries":\{([^}]*)\}' seq
    seq=$(num "$1" seq)
    [[ $1 =~ $re ]] || return 1
    echo "seq:$seq ${BASH_REMATCH[1]}" | sed -E 's/"meta":[0-9]+,?//'
}

# untouched_in NODE JSON: NODE runs, and its status JSON says it signed
# nothing (its sequence did not move: no receipt, no forward) and stored
# nothing (no table of its store grew: log, ids, revisions, tasks,
# directives, acks, outbox, evidence, quarantine...) since snap
untouched_in() {
    if ! kill -0 "$(cat "$FED/run/$1.pid")" 2>/dev/null || [ -z "$2" ]; then
        got_through "$1 is dead or does not answer certfed status"
    elif [ "$(stored "$2")" != "$(stored "${BEFORE[$1]}")" ]; then
        got_through "$1 signed or stored something ($(moved "$(stored "${BEFORE[$1]}")" \
            "$(stored "$2")"))"
    fi
}

# moved BEFORE AFTER: the counts of stored that differ, as "name a->b"
moved() {
    local -A was
    local kv k out=()
    for kv in $(tr ',' ' ' <<<"$1"); do
        kv=${kv//\"/}
        was[${kv%%:*}]=${kv#*:}
    done
    for kv in $(tr ',' ' ' <<<"$2"); do
        kv=${kv//\"/}
        k=${kv%%:*}
        [ "${was[$k]:-}" = "${kv#*:}" ] || out+=("$k ${was[$k]:-?}->${kv#*:}")
    done
    local IFS=,
    echo "${out[*]}"
}

# untouched NODE...: the same, asked now
untouched() {
    local n now
    for n in "$@"; do
        now=$(status_json "$n") || now=""
        untouched_in "$n" "$now"
    done
}

# refused REASON [N] NODE...: each node counts N (1) more rejections for
# REASON than at snap (within 20 s), and is untouched by what it refused
refused() {
    local reason=$1 count=1 n now want deadline
    shift
    if [[ $1 =~ ^[0-9]+$ ]]; then
        count=$1
        shift
    fi
    for n in "$@"; do
        want=$(($(rejections "${BEFORE[$n]}" "$reason") + count))
        deadline=$((SECONDS + 20))
        while now=$(status_json "$n") || now=""; [ "$(rejections "$now" "$reason")" -lt "$want" ]; do
            if [ $SECONDS -ge $deadline ]; then
                got_through "$n did not count $count more '$reason' rejection(s) within 20 s"
                break
            fi
            sleep 0.05
        done
        untouched_in "$n" "$now"
    done
}

# ---- honest traffic ------------------------------------------------------------------

probe=0
probe_id="" # the id of the last incident honest reported

# honest NODE [RECEIVERS]: NODE's own traffic still flows and is acknowledged:
# the Council's directive reaches RECEIVERS nodes (all four by default) and
# all their receipts come back; any other node's incident reaches its parent,
# whose signed receipt (sent only once the parent committed it) empties the
# reporter's outbox
honest() {
    local node=$1 out id
    probe=$((probe + 1))
    if [ "$node" = council ]; then
        ctl directive issue --number "SEC-$probe" --title "Honest-probe-$probe" \
            --config "$(conf council)" >/dev/null 2>&1 || return 1
        within 20 directive_received "SEC-$probe" "${2:-4}"
    else
        out=$(ctl incident report --title "Honest-probe-$probe" --severity medium \
            --config "$(conf "$node")" 2>/dev/null) || return 1
        # "incident ID revision 1 signed and stored"
        read -r _ id _ <<<"$out"
        probe_id=$id
        within 20 outbox_empty "$node"
    fi
}

# directive_received NUMBER N: N nodes are in scope and all sent their receipts
directive_received() {
    local answer
    answer=$(json council directive status "$1")
    grep -q "\"in_scope\":$2,\"received\":$2," <<<"$answer"
}
outbox_empty() {
    local now
    now=$(status_json "$1")
    grep -q '"outbox":0,' <<<"$now"
}

# honest_after NODE...: the check that each node's honest traffic flows
honest_after() {
    local n
    for n in "$@"; do check "honest traffic of $n no longer flows" honest "$n"; done
}
