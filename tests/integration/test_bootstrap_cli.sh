# test_bootstrap_cli.sh - `certfed bootstrap` and `certfedd` as an operator
# uses them: the sample topology bootstraps, every node's setup validates,
# bad topologies are refused naming the line, a re-run never replaces a key,
# and certfedd refuses bad configs and key files with a clear message.
. "$(dirname "$0")/lib.sh"

SAMPLE="$CERTFED_SOURCE/federation/topologies/national.ini"
FED="$WORK/fed"

run "$CERTFED_BIN" bootstrap "$SAMPLE" "$FED"
expect_rc 0 "bootstrap of the sample topology"
expect_out "federation pk: 11 nodes" "bootstrap summary"

for node in council ncert banking telecom energy punjab sindh kp balochistan state-bank lahore-it; do
    run "$CERTFEDD_BIN" --config "$FED/nodes/$node/node.conf"
    expect_rc 0 "certfedd validates $node"
    expect_err "node $node .* valid" "certfedd reports $node valid"
    expect "$node keys are 0600" test "$(stat -c %a "$FED/nodes/$node/keys/identity.key")" = 600
    expect "$node keys dir is 0700" test "$(stat -c %a "$FED/nodes/$node/keys")" = 700
done
expect "root key is 0600" test "$(stat -c %a "$FED/root/root.key")" = 600

# a re-run keeps every key byte for byte, and the new certificates validate
before=$(cd "$FED" && sha256sum root/root.key nodes/*/keys/identity.key nodes/*/keys/transport.nk)
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$FED"
expect_rc 0 "bootstrap re-run"
expect_out "11 with existing keys kept" "re-run reports kept keys"
after=$(cd "$FED" && sha256sum root/root.key nodes/*/keys/identity.key nodes/*/keys/transport.nk)
expect "re-run leaves every key unchanged" test "$before" = "$after"
run "$CERTFEDD_BIN" --config "$FED/nodes/punjab/node.conf"
expect_rc 0 "punjab still validates after the re-run"

# adding a node to the topology keeps the others' keys
cp "$SAMPLE" "$WORK/grown.ini"
printf '\n[node multan-it]\nrole = constituent\nparent = punjab\n' >>"$WORK/grown.ini"
run "$CERTFED_BIN" bootstrap "$WORK/grown.ini" "$FED"
expect_rc 0 "bootstrap with an added node"
expect_out "multan-it +constituent .* new keys" "the added node gets new keys"
after2=$(cd "$FED" && sha256sum root/root.key nodes/*/keys/identity.key nodes/*/keys/transport.nk | grep -v multan-it)
expect "adding a node leaves every other key unchanged" test "$before" = "$after2"
run "$CERTFEDD_BIN" --config "$FED/nodes/multan-it/node.conf"
expect_rc 0 "the added node validates"

# a half-written key folder is refused, not silently completed
rm "$FED/nodes/sindh/keys/transport.nk"
run "$CERTFED_BIN" bootstrap "$SAMPLE" "$FED"
expect_rc 1 "bootstrap refuses a key folder missing transport.nk"
expect_err "^certfed: node sindh: .*refusing to overwrite keys" "names the node and refuses"

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

run "$CERTFEDD_BIN" --config "$N/node.conf"
expect_rc 0 "banking validates again once repaired"

finish
