# faultlib.sh - the fault tests' federation and its faults. Source after
# lib.sh and fedlib.sh. The federation is tests/data/fault.ini; every test
# prints one "FAULT <name>: ..." line of figures (messages sent, received,
# lost, duplicated effects, seconds to converge) for the log and CI.
: "${CERTFED_LOAD:?run through ctest}"
SAMPLE="$CERTFED_SOURCE/tests/data/fault.ini"

# ids NODE OWNER: the ids of OWNER's incidents NODE holds, one a line (sorted)
ids() { q "$1" incident list | grep -o "\"id\":\"$2-[0-9]*\"" | sort; }
# count NODE OWNER: how many distinct incidents of OWNER NODE holds
count() { ids "$1" "$2" | uniq | wc -l; }
# audit_row NODE ORIGIN: NODE's audit figures for ORIGIN's stream
audit_row() { q "$1" audit verify | grep -o "{\"origin\":\"$2\"[^}]*}"; }
# audit_num ROW NAME: one number of an audit row
audit_num() { echo "$1" | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }
# numbers NODE: the directive numbers NODE holds, one a line (sorted)
numbers() { q "$1" directive list | grep -o '"number":"[^"]*"' | sort; }
# tasks NODE: the tasking ids NODE holds, one a line (sorted)
tasks() { q "$1" task list | grep -o '"id":"[^"]*"' | sort; }
