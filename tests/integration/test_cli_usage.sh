# test_cli_usage.sh - the node commands of certfed refuse bad usage with
# exit 2 and the usage text, and a node that is not running with exit 1 and
# one "certfed: ..." line (DESIGN.md section 7). No node runs here.
. "$(dirname "$0")/lib.sh"

S="--socket $WORK/no-such.sock"
usage_case() { # DESCRIPTION PATTERN ARGS...
    local desc=$1 pat=$2
    shift 2
    run "$CERTFED_BIN" "$@"
    expect_rc 2 "$desc"
    expect_err "$pat" "$desc: says why"
}
usage_case "incident without a subcommand" "unknown or missing subcommand of incident" incident
usage_case "an unknown task subcommand" "unknown or missing subcommand of task" task frobnicate $S
usage_case "task update without an id" "task update takes one argument \\(id\\)" task update $S
usage_case "incident list with an argument" "incident list takes no arguments" incident list x $S
usage_case "task assign without --to" "task assign needs its assignees" task assign $S
usage_case "directive issue without --title" "directive issue needs its title" directive issue $S
usage_case "a bad time" "bad value 'soon' for --due" task assign --to banking --due soon $S
usage_case "a bad observable" "bad value 'evil' for --observable" incident report --title x --observable evil $S
usage_case "an unknown option" "unknown option '--colour'" incident list --colour $S
usage_case "an unknown import format" "unknown format 'csv' \\(stix or misp\\)" incident import --format csv f.json $S
usage_case "an unknown export format" "unknown format 'csv' \\(stix or misp\\)" incident export --format csv $S
usage_case "status with an argument" "status takes no arguments" status now $S
usage_case "ack without a number" "ack takes one directive number" ack $S
run "$CERTFED_BIN" incident --help
expect_rc 0 "incident --help"
expect_out "certfed incident report --title TEXT" "prints the usage"

run "$CERTFED_BIN" status $S
expect_rc 1 "no node behind the socket"
expect_err "^certfed: cannot reach the node at .*no-such.sock: .*is certfedd running\\?" "one clear line"
expect "exactly one line" test "$(printf '%s\n' "$err" | wc -l)" -eq 1
run env -u CERTFED_CONFIG -u CERTFED_SOCKET "$CERTFED_BIN" status
expect_rc 1 "no node named at all"
expect_err "^certfed: which node\\? give --config NODE.CONF or --socket PATH" "says how to name one"
finish
