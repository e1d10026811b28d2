#!/usr/bin/env bash
# History paging at depth: one chat with N messages (default 1,000,000), pages of 50 read through the HTTP API,
# at the top (newest) and at the bottom (oldest), with cursor and with offset paging. Prints p50/p99 in ms and
# the deep/top ratio. Usage: bench/history_depth.sh sqlite|postgres [N] [REQUESTS]
#   postgres needs WINDI_TEST_POSTGRES_URL (scripts/services start); its database is emptied.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
n=${2:-1000000}
requests=${3:-200}
bin=${WINDI_BIN:-build/dev/windi}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

seed_users="INSERT INTO users(id, username, email, password_hash, created_at) VALUES
  (1, 'bench_reader', 'reader@bench.test', 'x', 0), (2, 'bench_writer', 'writer@bench.test', 'x', 0);
INSERT INTO chats(id, kind, name, created_by, created_at, last_seq, last_activity_at) VALUES (1, 'group', 'deep', 1, 0, $n, 0);
INSERT INTO chat_members(chat_id, user_id, role, joined_at, last_read_seq) VALUES (1, 1, 'admin', 0, 0), (1, 2, 'member', 0, 0);"

if [ "$backend" = sqlite ]; then
  export DATABASE_URL="sqlite:///$work/bench.db"
  "$bin" migrate >/dev/null 2>&1
  sqlite3 "$work/bench.db" "$seed_users
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
    INSERT INTO messages(chat_id, seq, sender_id, text, created_at) SELECT 1, i, 2, 'message ' || i, i FROM s;"
else
  : "${WINDI_TEST_POSTGRES_URL:?set it, e.g. eval \"\$(scripts/services start)\"}"
  export DATABASE_URL="$WINDI_TEST_POSTGRES_URL"
  psql -q "$DATABASE_URL" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
  "$bin" migrate >/dev/null 2>&1
  psql -q "$DATABASE_URL" -c "$seed_users
    INSERT INTO messages(chat_id, seq, sender_id, text, created_at)
      SELECT 1, i, 2, 'message ' || i, i FROM generate_series(1, $n) AS i;
    SELECT setval(pg_get_serial_sequence('users', 'id'), 10); ANALYZE;" >/dev/null
fi

# A real login for the token: give the reader a known password through the API's own hashing.
export SECRET_KEY=bench-secret-bench-secret-bench-secret-0123 DEBUG=false
"$bin" serve --host 127.0.0.1 --port 0 >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.log" | head -1)
base="http://127.0.0.1:$port/api/v1"
curl -sf -X POST "$base/auth/register" -H 'Content-Type: application/json' \
  -d '{"username":"bench_login","email":"login@bench.test","password":"benchpass"}' >/dev/null
login_id=$(curl -sf -X POST "$base/auth/login-json" -H 'Content-Type: application/json' \
  -d '{"username":"bench_login","password":"benchpass"}')
token=$(echo "$login_id" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
uid=$(echo "$login_id" | sed 's/.*"user":{"id":\([0-9]*\).*/\1/')
if [ "$backend" = sqlite ]; then
  sqlite3 "$work/bench.db" "INSERT INTO chat_members(chat_id, user_id, role, joined_at) VALUES (1, $uid, 'member', 0);"
else
  psql -q "$DATABASE_URL" -c "INSERT INTO chat_members(chat_id, user_id, role, joined_at) VALUES (1, $uid, 'member', 0);"
fi

measure() {  # prints p50 p99 in ms for a query string
  local q=$1
  for _ in $(seq "$requests"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$base/messages/history/1?$q"
  done | sort -n | awk '{a[NR]=$1} END {printf "%.3f %.3f\n", a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000}'
}
printf 'backend=%s messages=%d requests=%d (HTTP round trip over loopback, one client)\n' "$backend" "$n" "$requests"
printf '%-26s %10s %10s\n' paging p50_ms p99_ms
read -r ct50 ct99 < <(measure "limit=50")
read -r cd50 cd99 < <(measure "limit=50&after_seq=0")
read -r cb50 cb99 < <(measure "limit=50&before_seq=51")
read -r od50 od99 < <(measure "limit=50&offset=$((n - 50))")
printf '%-26s %10s %10s\n' "top (newest)" "$ct50" "$ct99" "cursor bottom (after_seq)" "$cd50" "$cd99" \
  "cursor bottom (before_seq)" "$cb50" "$cb99" "offset bottom" "$od50" "$od99"
awk -v t="$ct50" -v d="$cb50" -v o="$od50" 'BEGIN {printf "deep/top p50 ratio: cursor %.2f, offset %.2f\n", d/t, o/t}'
