# test_keys_cli.sh - `certfed keys gen|root|certify|revoke|show` end to end:
# the offline chain of trust an operator builds by hand, the refusals that
# protect it, and the --json output scripts rely on.
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

K="$WORK/k"
mkdir -p "$K"
printf 'root passphrase\n' >"$K/root.pass"
chmod 600 "$K/root.pass"

run "$CERTFED_BIN" keys root --federation pk --node council --key "$K/root.key" \
    --out "$K/root.cert" --passphrase-file "$K/root.pass"
expect_rc 0 "keys root creates a sealed root key and certificate"
expect "the root key is sealed" grep -q "sealing = argon2id13-secretbox" "$K/root.key"
expect "the root key is 0600" test "$(stat -c %a "$K/root.key")" = 600

# a root never logs in to NATS, yet its certificate must not name its
# identity key as its transport key (DESIGN.md section 2)
run "$CERTFED_BIN" keys show "$K/root.cert" --json
expect_rc 0 "keys show of the root certificate"
root_id=$(json_str identity_key)
root_nkey=$(json_str transport_nkey)
expect "the root has keys" test -n "$root_id" -a -n "$root_nkey"
expect "the root's transport key is not its identity key" \
    test "$(nkey_prefix "$root_id")" != "${root_nkey:0:48}"
run "$CERTFED_BIN" keys root --federation pk --node council --key "$K/root.key" \
    --out "$K/root2.cert" --passphrase-file "$K/root.pass" --json
expect_rc 0 "keys root --json with an existing root key"
expect_out '"kind":[[:space:]]*"certificate"' "root --json prints the certificate"
expect_out '"role":[[:space:]]*"root"' "root --json names the role"
expect_out '"self_signed":[[:space:]]*true' "root --json says self-signed"
expect_out "\"file\":[[:space:]]*\"$K/root2.cert\"" "root --json names the file"
expect_out "\"identity_key\":[[:space:]]*\"${root_id//+/\\+}\"" "the same root key"
expect "a second root certificate gets another random transport key" \
    test "$(json_str transport_nkey)" != "$root_nkey"
case "$out" in *"root certificate of federation"*) bad "root --json printed text" ;; *) ok ;; esac

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
expect_one_line "keys gen into a folder with keys"

run "$CERTFED_BIN" keys gen "$K/json-node" --json
expect_rc 0 "keys gen --json"
expect_out '^\{' "gen --json prints an object"
expect_out '"identity_key":[[:space:]]*"[A-Za-z0-9+/]{43}="' "gen --json has the identity key"
expect_out '"transport_nkey":[[:space:]]*"U[A-Z2-7]{55}"' "gen --json has the transport nkey"
expect_out '"encryption_key":[[:space:]]*"[A-Za-z0-9+/]{43}="' "gen --json has the encryption key"
expect_out "\"dir\":[[:space:]]*\"$K/json-node\"" "gen --json names the folder"
case "$out" in *"written "*) bad "gen --json printed text" ;; *) ok ;; esac
gen_id=$(json_str identity_key)
run "$CERTFED_BIN" keys show "$K/json-node/node.pub" --json
expect_out "\"identity_key\":[[:space:]]*\"${gen_id//+/\\+}\"" "gen --json printed the key it wrote"

# a key folder that others may enter is refused, and nothing is written in it
mkdir -m 0750 "$K/open"
run "$CERTFED_BIN" keys gen "$K/open"
expect_rc 1 "keys gen refuses a key folder group may access"
expect_err "^certfed: key directory $K/open: group or others may access it .*run chmod 700 on it" \
    "tells the operator to chmod 700"
expect_one_line "keys gen into an open folder"
expect "no key is written into an open folder" test ! -e "$K/open/identity.key"
chmod 0705 "$K/open"
run "$CERTFED_BIN" keys gen "$K/open"
expect_rc 1 "keys gen refuses a key folder others may access"
chmod 0700 "$K/open"
run "$CERTFED_BIN" keys gen "$K/open"
expect_rc 0 "keys gen accepts the folder once it is private"

# an empty passphrase would silently leave the key unsealed
: >"$K/empty.pass"
chmod 600 "$K/empty.pass"
run "$CERTFED_BIN" keys gen "$K/sealed" --passphrase-file "$K/empty.pass"
expect_rc 1 "keys gen refuses an empty passphrase file"
expect_err "^certfed: passphrase file $K/empty.pass is empty$" "says the passphrase file is empty"
expect_one_line "keys gen with an empty passphrase file"
expect "no unsealed key is written" test ! -e "$K/sealed/identity.key"
printf '\nsecret on the second line\n' >"$K/blank-first.pass"
chmod 600 "$K/blank-first.pass"
run "$CERTFED_BIN" keys gen "$K/sealed" --passphrase-file "$K/blank-first.pass"
expect_rc 1 "keys gen refuses a passphrase file whose first line is empty"
expect_err "passphrase file $K/blank-first.pass is empty" "an empty first line is an empty passphrase"
expect "still no unsealed key" test ! -e "$K/sealed/identity.key"
run "$CERTFED_BIN" keys root --federation pk --node council --key "$K/root-empty.key" \
    --out "$K/root-empty.cert" --passphrase-file "$K/empty.pass"
expect_rc 1 "keys root refuses an empty passphrase file"
expect_err "^certfed: passphrase file $K/empty.pass is empty$" "keys root says it is empty"
expect "no unsealed root key is written" test ! -e "$K/root-empty.key"
run "$CERTFED_BIN" keys certify --issuer-key "$K/root.key" --issuer-cert "$K/root.cert" \
    --request "$K/ncert/node.pub" --node ncert --role ncert --out "$K/ncert-empty.cert" \
    --passphrase-file "$K/empty.pass"
expect_rc 1 "keys certify refuses an empty passphrase file"
expect_err "^certfed: passphrase file $K/empty.pass is empty$" "keys certify says it is empty"
printf 'x\n' >"$K/open.pass"
chmod 644 "$K/open.pass"
run "$CERTFED_BIN" keys gen "$K/sealed" --passphrase-file "$K/open.pass"
expect_rc 1 "keys gen refuses a readable passphrase file"
expect_err "passphrase file $K/open.pass: .*chmod 600" "says how to fix the passphrase file"

# a FIFO is refused at once, not waited on
mkfifo "$K/fifo"
run timeout 20 "$CERTFED_BIN" keys show "$K/fifo"
expect_rc 1 "keys show of a FIFO fails at once (124: it blocked)"
expect_one_line "keys show of a FIFO"

# why a request file is not accepted
mkdir "$K/a-directory"
run "$CERTFED_BIN" keys certify --issuer-key "$K/root.key" --issuer-cert "$K/root.cert" \
    --request "$K/a-directory" --node ncert --role ncert --out "$K/x.cert" \
    --passphrase-file "$K/root.pass"
expect_rc 1 "certify with a directory as request"
expect_err "^certfed: public key file $K/a-directory: Is a directory$" \
    "a directory is not reported as a bad node.pub"
run "$CERTFED_BIN" keys certify --issuer-key "$K/root.key" --issuer-cert "$K/root.cert" \
    --request "$K/no-such.pub" --node ncert --role ncert --out "$K/x.cert" \
    --passphrase-file "$K/root.pass"
expect_rc 1 "certify with a missing request"
expect_err "^certfed: public key file $K/no-such.pub: no such file$" "a missing node.pub"
printf 'format = certfed-public-v1\nidentity = nonsense\n' >"$K/bad.pub"
run "$CERTFED_BIN" keys certify --issuer-key "$K/root.key" --issuer-cert "$K/root.cert" \
    --request "$K/bad.pub" --node ncert --role ncert --out "$K/x.cert" \
    --passphrase-file "$K/root.pass"
expect_rc 1 "certify with a malformed request"
expect_err "^certfed: public key file $K/bad.pub: not a certfed node.pub$" "a malformed node.pub"
expect_one_line "certify with a malformed request"
expect "a refused request writes nothing" test ! -e "$K/x.cert"

run "$CERTFED_BIN" keys certify --issuer-key "$K/root.key" --issuer-cert "$K/root.cert" \
    --request "$K/ncert/node.pub" --node ncert --role ncert --out "$K/ncert.cert"
expect_rc 1 "certify with a sealed key and no passphrase fails"
expect_err "sealed: the passphrase is missing or wrong" "says the key is sealed"

run "$CERTFED_BIN" keys certify --issuer-key "$K/root.key" --issuer-cert "$K/root.cert" \
    --request "$K/ncert/node.pub" --node ncert --role ncert --out "$K/ncert.cert" \
    --passphrase-file "$K/root.pass"
expect_rc 0 "the root certifies NCERT"

run "$CERTFED_BIN" keys certify --issuer-key "$K/ncert/identity.key" --issuer-cert "$K/ncert.cert" \
    --request "$K/punjab/node.pub" --node punjab --role provincial --out "$K/punjab.cert" --json
expect_rc 0 "NCERT certifies a provincial CERT"
expect_out '"kind":[[:space:]]*"certificate"' "certify --json prints the certificate"
expect_out '"node":[[:space:]]*"punjab"' "certify --json names the node"
expect_out '"role":[[:space:]]*"provincial"' "certify --json names the role"
expect_out '"parent":[[:space:]]*"ncert"' "certify --json names the parent"
expect_out '"issuer":[[:space:]]*"ncert"' "certify --json names the issuer"
expect_out '"transport_nkey":[[:space:]]*"U[A-Z2-7]{55}"' "certify --json has the transport nkey"
expect_out "\"file\":[[:space:]]*\"$K/punjab.cert\"" "certify --json names the file"
case "$out" in *"certified punjab"*) bad "certify --json printed text" ;; *) ok ;; esac
certify_json=$out
run "$CERTFED_BIN" keys show "$K/punjab.cert" --json
expect "certify --json prints what keys show --json does, plus file" test \
    "$(printf '%s\n' "$certify_json" | grep -v '"file":' | tr -d ' \t\n,')" = \
    "$(printf '%s\n' "$out" | tr -d '[] \t\n,')"

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
expect_out '"last_good_seq":[[:space:]]*"41"' "revocation keeps the last good sequence"
expect_out '"reason":[[:space:]]*"key stolen"' "revocation keeps the reason"

# a sequence number is a uint64, which a JSON number (a double) cannot hold
run "$CERTFED_BIN" keys revoke --issuer-key "$K/ncert/identity.key" --issuer-cert "$K/ncert.cert" \
    --cert "$K/punjab.cert" --last-good-seq 18446744073709551615 --reason "big" \
    --out "$K/punjab-max.rev" --json
expect_rc 0 "keys revoke --json"
expect_out '^\{' "revoke --json prints one object"
expect_out '"kind":[[:space:]]*"revocation"' "revoke --json prints the revocation"
expect_out '"node":[[:space:]]*"punjab"' "revoke --json names the node"
expect_out '"last_good_seq":[[:space:]]*"18446744073709551615"' "revoke --json: exact sequence"
expect_out '"revoked_by":[[:space:]]*"ncert"' "revoke --json names who revoked"
expect_out "\"file\":[[:space:]]*\"$K/punjab-max.rev\"" "revoke --json names the file"
case "$out" in *"revoked punjab"*) bad "revoke --json printed text" ;; *) ok ;; esac
run "$CERTFED_BIN" keys show "$K/punjab-max.rev" --json
expect_out '"last_good_seq":[[:space:]]*"18446744073709551615"' "show --json: the exact uint64"
run "$CERTFED_BIN" keys show "$K/punjab-max.rev"
expect_out '^last_good_seq +18446744073709551615$' "show prints the exact uint64"
run "$CERTFED_BIN" keys revoke --issuer-key "$K/ncert/identity.key" --issuer-cert "$K/ncert.cert" \
    --cert "$K/punjab.cert" --out "$K/punjab-max.rev" --json
expect_rc 1 "revoke never overwrites a file"
expect_err "punjab-max.rev exists" "says the file exists"
expect_one_line "revoke onto an existing file"
expect "revoke --json prints nothing on failure" test -z "$out"

run "$CERTFED_BIN" keys revoke --issuer-key "$K/punjab/identity.key" --issuer-cert "$K/punjab.cert" \
    --cert "$K/ncert.cert" --out "$K/ncert.rev"
expect_rc 1 "a child may not revoke its parent"
expect_err "unauthorized" "says unauthorized"

chmod 0644 "$K/punjab/identity.key"
run "$CERTFED_BIN" keys show "$K/punjab/identity.key"
expect_rc 1 "a world-readable key is refused, as ssh does"
expect_err "chmod 600" "tells how to fix it"

# sealing an existing key in place, and changing its passphrase
run "$CERTFED_BIN" keys gen "$K/toseal"
expect_rc 0 "keys gen writes an unsealed key"
pk_before=$("$CERTFED_BIN" keys show "$K/toseal/identity.key" --json | tr -d ' \t\n' |
    grep -o '"identity_key":"[^"]*"')
expect "the unsealed key shows its public key" test -n "$pk_before"
printf 'first secret\n' >"$K/seal1.pass"
printf 'second secret\n' >"$K/seal2.pass"
chmod 600 "$K/seal1.pass" "$K/seal2.pass"
run "$CERTFED_BIN" keys seal "$K/toseal/identity.key"
expect_rc 2 "keys seal needs the new passphrase"
run "$CERTFED_BIN" keys seal "$K/toseal/identity.key" --passphrase-file "$K/seal1.pass"
expect_rc 0 "keys seal seals the key in place"
expect "the key file is sealed now" grep -q "sealing = argon2id13-secretbox" "$K/toseal/identity.key"
expect "no secret is left in clear" sh -c "! grep -q ed25519-seed '$K/toseal/identity.key'"
expect "the sealed key is still 0600" test "$(stat -c %a "$K/toseal/identity.key")" = 600
expect "nothing else is left beside it" test "$(ls "$K/toseal" | wc -l)" -eq 3
run "$CERTFED_BIN" keys seal "$K/toseal/identity.key" --passphrase-file "$K/seal2.pass"
expect_rc 1 "resealing a sealed key without its old passphrase is refused"
run "$CERTFED_BIN" keys seal "$K/toseal/identity.key" --passphrase-file "$K/seal2.pass" \
    --old-passphrase-file "$K/seal2.pass"
expect_rc 1 "with a wrong old passphrase too"
run "$CERTFED_BIN" keys seal "$K/toseal/identity.key" --passphrase-file "$K/seal2.pass" \
    --old-passphrase-file "$K/seal1.pass" --json
expect_rc 0 "the passphrase is changed with the old one"
expect_out '"sealed":[[:space:]]*true' "--json says it is sealed"
# the same key, opened only with the new passphrase, signs a certificate
run "$CERTFED_BIN" keys root --federation pk --node council --key "$K/toseal/identity.key" \
    --out "$K/toseal-old.cert" --passphrase-file "$K/seal1.pass"
expect_rc 1 "the old passphrase no longer opens it"
expect_err "sealed: the passphrase is missing or wrong" "and says so"
run "$CERTFED_BIN" keys root --federation pk --node council --key "$K/toseal/identity.key" \
    --out "$K/toseal.cert" --passphrase-file "$K/seal2.pass" --json
expect_rc 0 "the new passphrase opens it"
expect "it is the same key as before sealing" grep -q -- "$pk_before" <<<"$(tr -d ' \t\n' <<<"$out")"

printf 'garbage\n' >"$K/junk"
run "$CERTFED_BIN" keys show "$K/junk"
expect_rc 1 "keys show of junk"
run "$CERTFED_BIN" keys frobnicate
expect_rc 2 "an unknown keys subcommand is bad usage"
run "$CERTFED_BIN" nonsense
expect_rc 2 "an unknown command is bad usage"
expect_err "^certfed: unknown command 'nonsense'" "one certfed: line"

finish
