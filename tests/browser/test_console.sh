# test_console.sh - the web console (issue 7) in headless Chromium against a
# real two-node federation (the Council and NCERT, real nats-server, real
# certfedd, HTTP on), driven by console.mjs with playwright-core. Skips
# (exit 77) only when chromium or npm is missing; playwright-core is
# installed with `npm ci` into the build tree (CERTFED_BROWSER_DIR), never
# into the source tree. Screenshots go to $CERTFED_BROWSER_DIR/screenshots.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/../integration/fedlib.sh"
trap 'fed_stop; cleanup' EXIT

CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ] || ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    echo "SKIP: chromium, node or npm is not installed (apt-get install chromium nodejs npm)"
    exit 77
fi
: "${CERTFED_BROWSER_DIR:?run through ctest}"

# playwright-core, pinned by package-lock.json; installed again only when
# the lock file changed
mods="$CERTFED_BROWSER_DIR/npm"
mkdir -p "$mods" "$CERTFED_BROWSER_DIR/screenshots"
if ! cmp -s "$here/package-lock.json" "$mods/package-lock.json" ||
    [ ! -d "$mods/node_modules/playwright-core" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$mods/"
    (cd "$mods" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
        { bad "npm ci of playwright-core"; finish; exit 1; }
fi

# banking, under NCERT, has no API: the consoles show it in the tree
fed_http_pair consolefed '' '[node banking]\nrole = sectoral\nparent = ncert\n' ||
    { bad "the federation did not start"; finish; exit 1; }
ok
expect "both nodes' APIs listen ($COUNCIL, $NCERT)" test -n "$COUNCIL" -a -n "$NCERT"

# the files are public and carry their type and policy
hdrs=$(curl -s -D - -o /dev/null "http://$NCERT/")
expect "GET / is the console, without a token" sh -c "printf '%s' \"\$1\" | grep -q '^HTTP/1.1 200'" _ "$hdrs"
for h in 'Content-Type: text/html; charset=utf-8' 'Cache-Control: no-cache' \
    "Content-Security-Policy: default-src 'self'"; do
    expect "/ has $h" sh -c "printf '%s' \"\$1\" | grep -qF \"\$2\"" _ "$hdrs" "$h"
done
expect "/ui/console.js is JavaScript" sh -c \
    "curl -s -D - -o /dev/null http://$NCERT/ui/console.js | grep -qi '^Content-Type: text/javascript'"
expect "/ui/console.css is CSS" sh -c \
    "curl -s -D - -o /dev/null http://$NCERT/ui/console.css | grep -qi '^Content-Type: text/css'"
expect "the API still needs the token" test \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://$NCERT/api/status")" = 401
expect "the console names no other origin" sh -c \
    "! curl -s http://$NCERT/ http://$NCERT/ui/console.js http://$NCERT/ui/console.css | grep -Eq '(src|href)=\"?(https?:)?//'"

t0=$(now)
if NPM_DIR="$mods" CHROMIUM="$CHROMIUM" TOKEN="$TOKEN" \
    NCERT_URL="http://$NCERT" COUNCIL_URL="http://$COUNCIL" \
    SHOTS="$CERTFED_BROWSER_DIR/screenshots" \
    timeout 90 node "$here/console.mjs" 2>&1 | sed 's/^/  /'; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    ok
else
    bad "the console in Chromium (console.mjs)"
fi
echo "browser part: $(since "$t0") s; screenshots in $CERTFED_BROWSER_DIR/screenshots"
fed_stop
expect "no sanitizer report in the logs" \
    sh -c "! grep -q 'Sanitizer' '$FED/logs/council.log' '$FED/logs/ncert.log'"
finish
