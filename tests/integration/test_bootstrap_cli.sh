# test_bootstrap_cli.sh - `certfed bootstrap` and `certfedd` as an operator
# uses them: the sample topology bootstraps, every node's setup validates
# (certfedd --check), bad topologies are refused naming the line, a re-run
# never replaces a key, and certfedd refuses bad configs and key files with a
# clear message. Also the operator scripts' own option handling.
. "$(dirname "$0")/lib.sh"

# json_str NAME: the value of the first "NAME": "value" in $out
json_str() { printf '%s\n' "$out" | sed -n "s/.*\"$1\":[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1; }
# nkey_prefix B64KEY: the first 48 characters of the "U..." nkey of an
# Ed25519 public key: base32 of the prefix byte 0xa0 and its first 29 bytes
nkey_prefix() { { printf '\240'; printf '%s' "$1" | base64 -d | head -c 29; } | base32 | head -c 48; }
# expect_one_line DESCRIPTION: stderr of the last run is one "certfed: " line
expect_one_line() {
    if [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && printf '%s' "$err" | grep -q '^certfed: '; then
        ok
    else
        bad "$1: stderr is not one 'certfed:' line: $err"
    fi
}

SAMPLE="$CERTFED_SOURCE/federation/topologies/national.ini"
FED="$WORK/fed"

run "$CERTFED_BIN" bootstrap "$SAMPLE" "$FED"
expect_rc 0 "bootstrap of the sample topology"
expect_out "federation pk: 11 nodes" "bootstrap summary"

for node in council ncert banking telecom energy punjab sindh kp balochistan state-bank lahore-it; do
    run "$CERTFEDD_BIN" --check --config "$FED/nodes/$node/node.conf"
    expect_rc 0 "certfedd validates $node"
    expect_err "node $node .* valid" "certfedd reports $node valid"
    expect "$node keys are 0600" test "$(stat -c %a "$FED/nodes/$node/keys/identity.key")" = 600
    expect "$node keys dir is 0700" test "$(stat -c %a "$FED/nodes/$node/keys")" = 700
done
expect "root key is 0600" test "$(stat -c %a "$FED/root/root.key")" = 600

# the root never logs in to NATS, and its certificate does not pretend its
# identity key is a transport key (DESIGN.md section 2)
run "$CERTFED_BIN" keys show "$FED/root/root.cert" --json
root_id=$(json_str identity_key)
root_nkey=$(json_str transport_nkey)
expect "the root certificate has both keys" test -n "$root_id" -a -n "$root_nkey"
expect "the root's transport key is not its identity key" \
    test "$(nkey_prefix "$root_id")" != "${root_nkey:0:48}"

# a re-run keeps every key byte for byte, and the new certificates validate
before=$(cd "$FED" && sha256sum root/root.key nodes/*/keys/identity.key nodes/*/keys/transport.nk)
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$FED"
expect_rc 0 "bootstrap re-run"
expect_out "11 with existing keys kept" "re-run reports kept keys"
after=$(cd "$FED" && sha256sum root/root.key nodes/*/keys/identity.key nodes/*/keys/transport.nk)
expect "re-run leaves every key unchanged" test "$before" = "$after"
run "$CERTFEDD_BIN" --check --config "$FED/nodes/punjab/node.conf"
expect_rc 0 "punjab still validates after the re-run"

# adding a node to the topology keeps the others' keys
cp "$SAMPLE" "$WORK/grown.ini"
printf '\n[node multan-it]\nrole = constituent\nparent = punjab\n' >>"$WORK/grown.ini"
run "$CERTFED_BIN" bootstrap "$WORK/grown.ini" "$FED"
expect_rc 0 "bootstrap with an added node"
expect_out "multan-it +constituent .* new keys" "the added node gets new keys"
after2=$(cd "$FED" && sha256sum root/root.key nodes/*/keys/identity.key nodes/*/keys/transport.nk | grep -v multan-it)
expect "adding a node leaves every other key unchanged" test "$before" = "$after2"
run "$CERTFEDD_BIN" --check --config "$FED/nodes/multan-it/node.conf"
expect_rc 0 "the added node validates"

# a half-written key folder is refused, not silently completed
rm "$FED/nodes/sindh/keys/transport.nk"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$FED"
expect_rc 1 "bootstrap refuses a key folder missing transport.nk"
expect_err "^certfed: node sindh: .*refusing to overwrite keys" "names the node and refuses"

# --json: what was made, for scripts
J="$WORK/jfed"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$J" --json
expect_rc 0 "bootstrap --json"
expect_out '^\{' "bootstrap --json prints one object"
expect_out '"federation":[[:space:]]*"pk"' "bootstrap --json names the federation"
expect_out "\"outdir\":[[:space:]]*\"$J\"" "bootstrap --json names the output folder"
expect_out '"nodes":[[:space:]]*\[' "bootstrap --json lists the nodes"
expect_out '"id":[[:space:]]*"lahore-it"' "bootstrap --json names a node"
expect_out '"path":[[:space:]]*"council.ncert.punjab.lahore-it"' "bootstrap --json has the path"
expect_out '"role":[[:space:]]*"constituent"' "bootstrap --json has the role"
expect "bootstrap --json: 11 nodes with new keys" \
    test "$(printf '%s\n' "$out" | grep -Ec '"keys":[[:space:]]*"new"')" = 11
case "$out" in *"federation pk: 11 nodes"*) bad "bootstrap --json printed text" ;; *) ok ;; esac
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$J" --json
expect_rc 0 "bootstrap --json re-run"
expect "bootstrap --json re-run: 11 nodes with kept keys" \
    test "$(printf '%s\n' "$out" | grep -Ec '"keys":[[:space:]]*"kept"')" = 11

# a new root certificate for a kept root key gets a new random transport key
rm "$J/root/root.cert"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$J"
expect_rc 0 "bootstrap issues a new root certificate"
run "$CERTFED_BIN" keys show "$J/root/root.cert" --json
expect "the new root certificate has another transport key" \
    test -n "$(json_str transport_nkey)" -a "$(json_str transport_nkey)" != "$root_nkey"
expect "and still not its identity key" \
    test "$(nkey_prefix "$(json_str identity_key)")" != "$(json_str transport_nkey | head -c 48)"

# a node's key folder that others may enter is refused, naming the fix
chmod 0750 "$J/nodes/telecom/keys"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$J"
expect_rc 1 "bootstrap refuses a key folder group may access"
expect_err "^certfed: node telecom: key directory $J/nodes/telecom/keys: group or others may access it .*run chmod 700 on it" \
    "names the node, the folder and the fix"
expect_one_line "bootstrap with an open key folder"
chmod 0700 "$J/nodes/telecom/keys"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$J"
expect_rc 0 "bootstrap accepts the folder once it is private"

# a failure is one certfed: line that names what failed
mv "$J/nats" "$J/nats.away"
: >"$J/nats"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$J"
expect_rc 1 "bootstrap where nats/ is a file"
expect_err "^certfed: cannot create $J/nats: Not a directory$" "names the folder it cannot make"
expect_one_line "bootstrap where nats/ is a file"
rm "$J/nats"
mv "$J/nats.away" "$J/nats"
mv "$J/nodes/kp/node.conf" "$J/kp.conf.away"
mkdir "$J/nodes/kp/node.conf"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$J" --json
expect_rc 1 "bootstrap where a node.conf is a folder"
expect_err "^certfed: cannot write $J/nodes/kp/node.conf: Is a directory$" "names the file"
expect_one_line "bootstrap where a node.conf is a folder"
expect "bootstrap --json prints nothing on failure" test -z "$out"
rmdir "$J/nodes/kp/node.conf"
mv "$J/kp.conf.away" "$J/nodes/kp/node.conf"

# --nats-url goes into every node.conf: short, one line, nothing hidden
url150="nats://$(printf 'h%.0s' $(seq 138)):4222"
expect "the test URL is 150 characters" test "${#url150}" = 150
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/url150" --nats-url "$url150"
expect_rc 0 "a 150-character --nats-url is accepted"
run "$CERTFEDD_BIN" --check --config "$WORK/url150/nodes/punjab/node.conf"
expect_rc 0 "and its node.conf loads"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/url151" --nats-url "${url150}0"
expect_rc 2 "a 151-character --nats-url is bad usage"
expect_err "^certfed: --nats-url must be at most 150 characters" "says how long it may be"
expect "a refused --nats-url writes nothing" test ! -e "$WORK/url151"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/url-nl" \
    --nats-url "$(printf 'nats://127.0.0.1:4222\n[node]\npassphrase_file = /tmp/x')"
expect_rc 2 "a --nats-url with a newline is bad usage"
expect_err "without spaces or control characters" "says what is wrong with it"
expect "a --nats-url with a newline writes nothing" test ! -e "$WORK/url-nl"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/url-sp" --nats-url "nats://127.0.0.1:4222 x"
expect_rc 2 "a --nats-url with a space is bad usage"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/url-tab" --nats-url "$(printf 'nats://a\tb')"
expect_rc 2 "a --nats-url with a tab is bad usage"
run "$CERTFED_BIN" bootstrap "$SAMPLE" ""
expect_rc 2 "an empty OUTDIR is bad usage"

# bad topologies: exit 1, one line naming the line number and the problem
bad_topology() { # NAME EXPECTED-PATTERN CONTENT
    printf '%b' "$3" >"$WORK/$1.ini"
    run "$CERTFED_BIN" bootstrap "$WORK/$1.ini" "$WORK/out-$1"
    expect_rc 1 "topology $1 is refused"
    expect_err "$2" "topology $1 error names the problem"
    expect "topology $1 leaves no output" test ! -e "$WORK/out-$1/nodes"
}
HEAD='[federation]\nname = pk\n[node council]\nrole = council\n'
bad_topology unknown-role "line 6: unknown role 'cert'" "$HEAD[node ncert]\nrole = cert\nparent = council\n"
bad_topology missing-parent "line 5: node 'ncert' \\(ncert\\) has no parent" "$HEAD[node ncert]\nrole = ncert\n"
bad_topology unknown-parent "line 5: node 'ncert' names an unknown parent 'counsel'" \
    "$HEAD[node ncert]\nrole = ncert\nparent = counsel\n"
bad_topology duplicate "line 8: duplicate node id 'ncert' \\(first at line 5\\)" \
    "$HEAD[node ncert]\nrole = ncert\nparent = council\n[node ncert]\nrole = ncert\nparent = council\n"
bad_topology invalid-id "line 5: invalid node id 'Banking'" "$HEAD[node Banking]\nrole = sectoral\nparent = council\n"
bad_topology cycle "line (5|8): .*cycle" \
    "$HEAD[node a]\nrole = sectoral\nparent = b\n[node b]\nrole = sectoral\nparent = a\n"

run "$CERTFED_BIN" bootstrap "$WORK/none.ini" "$WORK/out-none"
expect_rc 1 "a missing topology file"
expect_err "none.ini: no such file" "names the missing file"
run "$CERTFED_BIN" bootstrap "$SAMPLE"
expect_rc 2 "bootstrap without OUTDIR is bad usage"

# certfedd: clear, non-zero exits for bad setups
N="$FED/nodes/banking"
run "$CERTFEDD_BIN" --config "$WORK/missing.conf"
expect_rc 1 "certfedd with a missing config"
expect_err "missing.conf: cannot read: no such file" "names the missing config"
run "$CERTFEDD_BIN"
expect_rc 2 "certfedd without --config is bad usage"

sed 's/^store = store/stroe = store/' "$N/node.conf" >"$N/typo.conf"
run "$CERTFEDD_BIN" --config "$N/typo.conf"
expect_rc 1 "certfedd with an unknown key"
expect_err "unknown key 'stroe' in \\[node\\]" "names the unknown key"

# libinih parses what does not fit its 200-byte line buffer as a line of
# its own: the tail of a long comment would set a key
pad=$(printf 'x%.0s' $(seq 198))
{ cat "$N/node.conf"; printf '#%s\n' "${pad:1}"; } >"$N/long-ok.conf"
run "$CERTFEDD_BIN" --check --config "$N/long-ok.conf"
expect_rc 0 "a 198-character line is fine"
{ cat "$N/node.conf"; printf '#%smax_envelope = 2048\n' "$pad"; } >"$N/long.conf"
lines=$(wc -l <"$N/long.conf")
run "$CERTFEDD_BIN" --check --config "$N/long.conf"
expect_rc 1 "certfedd refuses a line longer than 198 characters"
expect_err "long.conf: line $lines: line too long" "names the long line"

# an empty passphrase file is refused, not taken as "no passphrase"
: >"$N/empty.pass"
chmod 600 "$N/empty.pass"
sed 's/^keys = keys$/keys = keys\npassphrase_file = empty.pass/' "$N/node.conf" >"$N/pass.conf"
expect "the test config names the passphrase file" grep -q '^passphrase_file = empty.pass$' "$N/pass.conf"
run "$CERTFEDD_BIN" --check --config "$N/pass.conf"
expect_rc 1 "certfedd refuses an empty passphrase file"
expect_err "passphrase file $N/empty.pass: it is empty" "says the passphrase file is empty"

sed 's|^url = .*|url = http://x|' "$N/node.conf" >"$N/url.conf"
run "$CERTFEDD_BIN" --config "$N/url.conf"
expect_rc 1 "certfedd with a bad NATS url"
expect_err "must start with nats://" "explains the url rule"

chmod 0644 "$N/keys/identity.key"
run "$CERTFEDD_BIN" --config "$N/node.conf"
expect_rc 1 "certfedd with a world-readable identity key"
expect_err "identity.key: .*chmod 600" "tells the operator to chmod 600"
chmod 0600 "$N/keys/identity.key"

chmod 0640 "$N/keys/transport.nk"
run "$CERTFEDD_BIN" --config "$N/node.conf"
expect_rc 1 "certfedd with a group-readable transport key"
expect_err "transport.nk: .*chmod 600" "names the transport key"
chmod 0600 "$N/keys/transport.nk"

mv "$N/keys/identity.key" "$N/keys/identity.key.away"
run "$CERTFEDD_BIN" --config "$N/node.conf"
expect_rc 1 "certfedd with a missing identity key"
expect_err "identity.key: no such file" "names the missing key file"
mv "$N/keys/identity.key.away" "$N/keys/identity.key"

cp "$N/chain.certs" "$N/chain.keep"
cp "$FED/nodes/telecom/chain.certs" "$N/chain.certs"
run "$CERTFEDD_BIN" --config "$N/node.conf"
expect_rc 1 "certfedd with another node's chain"
expect_err "does not match node 'banking'" "explains the mismatch"
cp "$N/chain.keep" "$N/chain.certs"

# a root from another bootstrap is not ours
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$WORK/other"
cp "$N/root.cert" "$N/root.keep"
cp "$WORK/other/root/root.cert" "$N/root.cert"
run "$CERTFEDD_BIN" --config "$N/node.conf"
expect_rc 1 "certfedd whose chain does not reach its configured root"
expect_err "chain.certs: bad-chain" "says the chain is bad"
cp "$N/root.keep" "$N/root.cert"

run "$CERTFEDD_BIN" --check --config "$N/node.conf"
expect_rc 0 "banking validates again once repaired"

# scripts/lib.sh: cf_bin rebuilds the repo's build/ every time it is asked
# (stale programs are never run), and uses CERTFED_BIN / CERTFEDD_BIN as
# given. Tried on a stand-in repo with cf_build recorded, not run.
out=$(
    # shellcheck source=../../scripts/lib.sh
    . "$CERTFED_SOURCE/scripts/lib.sh"
    CF_ROOT="$WORK/fake-root"
    mkdir -p "$CF_ROOT/build/node"
    printf '#!/bin/sh\n' >"$CF_ROOT/build/node/certfed"
    chmod +x "$CF_ROOT/build/node/certfed"
    cf_install_deps() { echo "install" >>"$WORK/cf_bin.log"; }
    cf_build() { echo "build $1" >>"$WORK/cf_bin.log"; }
    unset CERTFED_BIN CERTFEDD_BIN
    cf_bin certfed
    cf_bin certfed
    CERTFEDD_BIN=/elsewhere/certfedd cf_bin certfedd
)
expect "cf_bin names the programs" \
    test "$out" = "$(printf '%s\n' "$WORK/fake-root/build/node/certfed" \
        "$WORK/fake-root/build/node/certfed" /elsewhere/certfedd)"
expect "cf_bin builds each time it uses build/, and never for an override" \
    test "$(grep -c "^build $WORK/fake-root/build\$" "$WORK/cf_bin.log" 2>/dev/null)" = 2

# scripts/test: a bad option is bad usage (2) before anything is built; a
# trailing unknown option keeps even an old version from starting the suite
run bash "$CERTFED_SOURCE/scripts/test" --fuzz-seconds
expect_rc 2 "scripts/test --fuzz-seconds without a value"
expect_err "fuzz-seconds needs a number of seconds" "says what --fuzz-seconds needs"
expect_err "usage|scripts/test \[" "prints the usage"
run bash "$CERTFED_SOURCE/scripts/test" --fuzz-seconds ten --no-such-option
expect_rc 2 "scripts/test --fuzz-seconds with a word"
expect_err "not 'ten'" "names the bad value"
run bash "$CERTFED_SOURCE/scripts/test" --fuzz-seconds 0 --no-such-option
expect_rc 2 "scripts/test --fuzz-seconds 0 (libFuzzer's 'forever')"
run bash "$CERTFED_SOURCE/scripts/test" --no-such-option
expect_rc 2 "scripts/test with an unknown option"

# a large topology says how far its bootstrap is (not a terminal here: a
# line per tenth); a small one says nothing
{
    printf '[federation]\nname = big\n\n[node council]\nrole = council\n\n'
    printf '[node ncert]\nrole = ncert\nparent = council\n'
    for i in $(seq 1 58); do printf '\n[node s%02d]\nrole = sectoral\nparent = ncert\n' "$i"; done
} >"$WORK/big.ini"
run "$CERTFED_BIN" bootstrap "$WORK/big.ini" "$WORK/big"
expect_rc 0 "bootstrap of 60 nodes"
expect "it printed ten progress lines, the last 60/60: $err" \
    test "$(grep -c '^bootstrap: [0-9]*/60 nodes' <<<"$err")" = 10 -a "$(tail -n 1 <<<"$err")" = \
    "bootstrap: 60/60 nodes (100%)"
run "$CERTFED_BIN" bootstrap "$CERTFED_SOURCE/federation/topologies/national.ini" "$WORK/small"
expect_rc 0 "bootstrap of the sample"
expect "the sample's bootstrap printed no progress: $err" test -z "$err"

finish
