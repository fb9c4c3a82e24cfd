# test_keys_cli.sh - `certfed keys gen|root|certify|revoke|show` end to end:
# the offline chain of trust an operator builds by hand, the refusals that
# protect it, and the --json output scripts rely on.
. "$(dirname "$0")/lib.sh"

K="$WORK/k"
mkdir -p "$K"
printf 'root passphrase\n' >"$K/root.pass"
chmod 600 "$K/root.pass"

run "$CERTFED_BIN" keys root --federation pk --node council --key "$K/root.key" \
    --out "$K/root.cert" --passphrase-file "$K/root.pass"
expect_rc 0 "keys root creates a sealed root key and certificate"
expect "the root key is sealed" grep -q "sealing = argon2id13-secretbox" "$K/root.key"
expect "the root key is 0600" test "$(stat -c %a "$K/root.key")" = 600

run "$CERTFED_BIN" keys root --federation pk --node council --key "$K/root.key" --out "$K/root.cert" \
    --passphrase-file "$K/root.pass"
expect_rc 1 "keys root never overwrites a certificate"
expect_err "root.cert exists" "says the certificate exists"

for n in ncert punjab banking; do
    run "$CERTFED_BIN" keys gen "$K/$n"
    expect_rc 0 "keys gen $n"
    expect_out "^transport U[A-Z2-7]{55}$" "keys gen prints the public transport nkey"
done
run "$CERTFED_BIN" keys gen "$K/ncert"
expect_rc 1 "keys gen refuses a folder that holds keys"
expect_err "refusing to overwrite keys" "says why"

run "$CERTFED_BIN" keys certify --issuer-key "$K/root.key" --issuer-cert "$K/root.cert" \
    --request "$K/ncert/node.pub" --node ncert --role ncert --out "$K/ncert.cert"
expect_rc 1 "certify with a sealed key and no passphrase fails"
expect_err "sealed: the passphrase is missing or wrong" "says the key is sealed"

run "$CERTFED_BIN" keys certify --issuer-key "$K/root.key" --issuer-cert "$K/root.cert" \
    --request "$K/ncert/node.pub" --node ncert --role ncert --out "$K/ncert.cert" \
    --passphrase-file "$K/root.pass"
expect_rc 0 "the root certifies NCERT"

run "$CERTFED_BIN" keys certify --issuer-key "$K/ncert/identity.key" --issuer-cert "$K/ncert.cert" \
    --request "$K/punjab/node.pub" --node punjab --role provincial --out "$K/punjab.cert"
expect_rc 0 "NCERT certifies a provincial CERT"

run "$CERTFED_BIN" keys certify --issuer-key "$K/punjab/identity.key" --issuer-cert "$K/punjab.cert" \
    --request "$K/banking/node.pub" --node banking --role sectoral --out "$K/banking.cert"
expect_rc 1 "a provincial CERT may not certify a sectoral one"
expect_err "a provincial \\('punjab'\\) may not certify 'banking' as a sectoral" "explains the rule"
expect "nothing was written" test ! -e "$K/banking.cert"

run "$CERTFED_BIN" keys certify --issuer-key "$K/ncert/identity.key" --issuer-cert "$K/punjab.cert" \
    --request "$K/banking/node.pub" --node banking --role sectoral --out "$K/banking.cert"
expect_rc 1 "an issuer key that does not match the issuer certificate"

run "$CERTFED_BIN" keys certify --issuer-key "$K/ncert/identity.key" --issuer-cert "$K/ncert.cert" \
    --request "$K/banking/node.pub" --node banking --role bank --out "$K/banking.cert"
expect_rc 2 "an unknown role is bad usage"

run "$CERTFED_BIN" keys show "$K/punjab.cert" --json
expect_rc 0 "keys show --json of a certificate"
expect_out '"node":[[:space:]]*"punjab"' "json names the node"
expect_out '"role":[[:space:]]*"provincial"' "json names the role"
expect_out '"parent":[[:space:]]*"ncert"' "json names the parent"
expect_out '"transport_nkey":[[:space:]]*"U' "json has the transport nkey"

run "$CERTFED_BIN" keys show "$K/punjab/identity.key" --json
expect_rc 0 "keys show of an identity key"
expect_out '"kind":[[:space:]]*"identity-key"' "json says identity key"
seed=$(sed -n 's/^ed25519-seed = //p' "$K/punjab/identity.key")
expect "show never prints the secret seed" test -n "$seed"
case "$out" in *"$seed"*) bad "keys show printed the secret seed" ;; *) ok ;; esac

run "$CERTFED_BIN" keys show "$K/root.key"
expect_rc 0 "keys show of a sealed key"
expect_out "sealed +yes" "says it is sealed"

run "$CERTFED_BIN" keys revoke --issuer-key "$K/ncert/identity.key" --issuer-cert "$K/ncert.cert" \
    --cert "$K/punjab.cert" --last-good-seq 41 --reason "key stolen" --out "$K/punjab.rev"
expect_rc 0 "NCERT revokes punjab"
run "$CERTFED_BIN" keys show "$K/punjab.rev" --json
expect_rc 0 "keys show of a revocation"
expect_out '"last_good_seq":[[:space:]]*41' "revocation keeps the last good sequence"
expect_out '"reason":[[:space:]]*"key stolen"' "revocation keeps the reason"

run "$CERTFED_BIN" keys revoke --issuer-key "$K/punjab/identity.key" --issuer-cert "$K/punjab.cert" \
    --cert "$K/ncert.cert" --out "$K/ncert.rev"
expect_rc 1 "a child may not revoke its parent"
expect_err "unauthorized" "says unauthorized"

chmod 0644 "$K/punjab/identity.key"
run "$CERTFED_BIN" keys show "$K/punjab/identity.key"
expect_rc 1 "a world-readable key is refused, as ssh does"
expect_err "chmod 600" "tells how to fix it"

printf 'garbage\n' >"$K/junk"
run "$CERTFED_BIN" keys show "$K/junk"
expect_rc 1 "keys show of junk"
run "$CERTFED_BIN" keys frobnicate
expect_rc 2 "an unknown keys subcommand is bad usage"
run "$CERTFED_BIN" nonsense
expect_rc 2 "an unknown command is bad usage"
expect_err "^certfed: unknown command 'nonsense'" "one certfed: line"

finish
