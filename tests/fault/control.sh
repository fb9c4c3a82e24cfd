# control.sh CERTFEDD - the control run of the kill -9 fault test: the test
# against CERTFEDD, a certfedd built with CF_UNSAFE_NO_DURABILITY (the build's
# certfedd_unsafe_test), expecting it to see messages lost.
set -eu
CERTFEDD_BIN=$1 CERTFED_FAULT_EXPECT_LOSS=1 CERTFED_FAULT_INCIDENTS=3000 CERTFED_FAULT_KILLS=6 \
    exec bash "$(dirname "$0")/test_fault_kill.sh"
