# control.sh SOURCE BUILD - the control run of the kill -9 fault test: build
# a certfedd with CERTFED_UNSAFE_NO_DURABILITY in BUILD and run the test
# against it, expecting it to see messages lost.
set -eu
src=$1
build=$2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCERTFED_UNSAFE_NO_DURABILITY=ON >"$build.log" 2>&1 ||
    { tail -n 20 "$build.log"; exit 1; }
cmake --build "$build" --target certfedd -j2 >>"$build.log" 2>&1 ||
    { tail -n 20 "$build.log"; exit 1; }
CERTFEDD_BIN="$build/node/certfedd" CERTFED_FAULT_EXPECT_LOSS=1 CERTFED_FAULT_INCIDENTS=3000 CERTFED_FAULT_KILLS=6 \
    exec bash "$(dirname "$0")/test_fault_kill.sh"
