#!/usr/bin/env bash
# Measures dbhive against the engines' own clients on this machine, side by side in one
# run: 1,000,000 rows x 10 columns fetched and discarded, time to first row, peak RSS.
# Prints a Markdown section for BENCHMARKS.md. Needs hyperfine and /usr/bin/time
# (apt-get install -y hyperfine time).
#   scripts/bench.sh [RUNS]
set -euo pipefail

runs=${1:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
for tool in hyperfine /usr/bin/time psql sqlite3 mariadb; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install -y hyperfine time postgresql-client sqlite3 mariadb-client)" >&2; exit 1; }
done

cargo build --release --locked -p dbhive-cli >&2
bin=$here/target/release/dbhive
work=$(mktemp -d)
trap 'scripts/pg-server.sh stop >/dev/null || true; scripts/mariadb-server.sh stop >/dev/null || true; rm -rf "$work"' EXIT
scripts/pg-server.sh start > "$work/pg.env"
scripts/mariadb-server.sh start > "$work/mariadb.env"
while IFS='=' read -r key value; do export "$key=$value"; done < <(cat "$work/pg.env" "$work/mariadb.env")
url=$DBHIVE_TEST_PG_URL
export PGPASSWORD=dbhive-test-pw PGHOST=127.0.0.1 PGPORT=$DBHIVE_TEST_PG_PORT PGUSER=dbhive PGDATABASE=postgres

query="SELECT * FROM bench_1m"
"$bin" query --url "$url" --format null -f tests/fixtures/bench_1m.sql >&2
# VACUUM cannot share a script (an implicit transaction) with other statements.
"$bin" query --url "$url" --format null "VACUUM ANALYZE bench_1m" >&2

my_url=$DBHIVE_TEST_MYSQL_URL
# The mariadb client reads the password from its environment, as psql does.
mariadb_cmd="mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P$DBHIVE_TEST_MYSQL_PORT -udbhive dbhive_test"
export MYSQL_PWD=dbhive-test-pw
"$bin" query --url "$my_url" --format null "
  DROP TABLE IF EXISTS bench_1m;
  CREATE TABLE bench_1m ENGINE=InnoDB AS
  SELECT seq AS id, CAST(seq % 1000 AS SIGNED INT) AS small, seq * 7919 AS big, CONCAT('name-', seq) AS label,
         ROUND(seq / 7.0, 4) AS amount, seq / 3e0 AS ratio, seq % 2 = 0 AS flag,
         FROM_UNIXTIME(1704067200 + seq) AS at, DATE('2024-01-01') + INTERVAL (seq % 3650) DAY AS day,
         MD5(seq) AS hash
    FROM seq_1_to_1000000;
  ANALYZE TABLE bench_1m;" >&2

sqlite_db=$work/bench.db
# mode=rwc: dbhive creates a missing SQLite file only when asked.
"$bin" query --url "sqlite://$sqlite_db?mode=rwc" --format null "
  CREATE TABLE bench_1m AS
  WITH RECURSIVE c(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM c WHERE g < 1000000)
  SELECT g AS id, g % 1000 AS small, g * 7919 AS big, 'name-' || g AS label, round(g / 7.0, 4) AS amount,
         g / 3.0 AS ratio, g % 2 = 0 AS flag, datetime(1704067200 + g, 'unixepoch') AS at,
         date('2024-01-01', '+' || (g % 3650) || ' days') AS day, hex(randomblob(16)) AS hash
    FROM c;" >&2

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# hyperfine: median seconds of each command, same run, alternating.
compare() {
    local name=$1 ours=$2 theirs=$3
    hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/$name.json" "$ours" "$theirs" >&2 || \
        hyperfine --warmup 1 --runs "$runs" --export-json "$work/$name.json" "$ours" "$theirs" >&2
    python3 - "$work/$name.json" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))["results"]
# Median wall time of each, then the mean CPU time (user + system) of each: the clients
# share two cores with the server, so CPU time is the steadier view of the client's cost.
print(" ".join(str(statistics.median(x["times"])) for x in r),
      " ".join(str(x["user"] + x["system"]) for x in r))
PY
}

peak_rss_mb() {
    local out
    for _ in 1 2 3; do
        /usr/bin/time -f "%M" sh -c "$1" 2>&1 >/dev/null | tail -n 1
    done | median | awk '{printf "%.1f", $1 / 1024}'
}

first_row_ms() {
    for _ in $(seq "$runs"); do
        "$bin" query --url "$1" --format null --stats "$query" 2>&1 >/dev/null | sed -E 's/.*first row: ([0-9.]+) ms.*/\1/'
    done | median
}

pg_null=$(compare pg_null "$bin query --url $url --format null '$query'" "psql -X -At -c '$query' -o /dev/null")
pg_csv=$(compare pg_csv "sh -c \"$bin query --url $url --format csv '$query' > /dev/null\"" \
    "sh -c \"psql -X -c 'COPY ($query) TO STDOUT (FORMAT csv, HEADER)' > /dev/null\"")
my_null=$(compare my_null "$bin query --url $my_url --format null '$query'" "sh -c \"$mariadb_cmd --batch --quick -e '$query' > /dev/null\"")
my_csv=$(compare my_csv "sh -c \"$bin query --url $my_url --format csv '$query' > /dev/null\"" \
    "sh -c \"$mariadb_cmd --batch --raw --quick -e '$query' > /dev/null\"")
lite_null=$(compare lite_null "$bin query --url $sqlite_db --format null '$query'" "sqlite3 $sqlite_db '$query' -cmd '.output /dev/null'")
lite_csv=$(compare lite_csv "sh -c \"$bin query --url $sqlite_db --format csv '$query' > /dev/null\"" \
    "sh -c \"sqlite3 -csv -header $sqlite_db '$query' > /dev/null\"")

# SQLite scripts: a dump of 100,000 INSERTs in one transaction (each with a ';' in a
# string), and one statement holding 100,000 ';' in a string literal, which the splitter
# used to rescan from the statement's start at every ';'.
dump=$work/dump.sql
semicolons=$work/semicolons.sql
python3 - "$dump" "$semicolons" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("DROP TABLE IF EXISTS dump;\nCREATE TABLE dump (id INTEGER PRIMARY KEY, label TEXT, amount REAL);\nBEGIN;\n")
    for i in range(100_000):
        f.write(f"INSERT INTO dump VALUES ({i}, 'row {i}; with a semicolon', {i / 7});\n")
    f.write("COMMIT;\n")
with open(sys.argv[2], "w") as f:
    f.write("SELECT length('" + "x;" * 100_000 + "');\n")
PY
lite_dump=$(compare lite_dump "$bin query --url $sqlite_db --format null -f $dump" "sh -c \"sqlite3 $sqlite_db < $dump\"")
lite_semis=$(compare lite_semis "$bin query --url $sqlite_db --format null -f $semicolons" \
    "sh -c \"sqlite3 $sqlite_db < $semicolons > /dev/null\"")

rss_ours_pg=$(peak_rss_mb "$bin query --url $url --format null '$query'")
rss_psql=$(peak_rss_mb "psql -X -At -c '$query' -o /dev/null")
rss_ours_my=$(peak_rss_mb "$bin query --url $my_url --format null '$query'")
rss_mariadb=$(peak_rss_mb "$mariadb_cmd --batch --quick -e '$query' > /dev/null")
rss_ours_lite=$(peak_rss_mb "$bin query --url $sqlite_db --format null '$query'")
rss_sqlite3=$(peak_rss_mb "sqlite3 $sqlite_db '$query' > /dev/null")
ttfr_pg=$(first_row_ms "$url")
ttfr_my=$(first_row_ms "$my_url")
ttfr_lite=$(first_row_ms "$sqlite_db")

row() { # name ours theirs ours_cpu theirs_cpu peer
    python3 - "$@" <<'PY'
import sys
name, ours, theirs, ours_cpu, theirs_cpu, peer = sys.argv[1], *map(float, sys.argv[2:6]), sys.argv[6]
rate = lambda s: 1_000_000 / s
print(f"| {name} | {ours:.3f} s ({rate(ours)/1e6:.2f} M rows/s) | {theirs:.3f} s ({rate(theirs)/1e6:.2f} M rows/s) | {peer} | {theirs/ours*100:.0f}% | {ours_cpu:.2f} s / {theirs_cpu:.2f} s |")
PY
}

script_row() { # name ours theirs ours_cpu theirs_cpu
    python3 - "$@" <<'PY'
import sys
name, ours, theirs, ours_cpu, theirs_cpu = sys.argv[1], *map(float, sys.argv[2:6])
print(f"| {name} | {ours:.3f} s | {theirs:.3f} s | {ours/theirs*100:.0f}% | {ours_cpu:.2f} s / {theirs_cpu:.2f} s |")
PY
}

cat <<MD
### $(date -u +%Y-%m-%d) — $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB

Data: 1,000,000 rows x 10 columns (int8, int4, int8, text, numeric, float8, bool,
timestamptz, date, text; in MariaDB bigint, int, bigint, varchar, decimal, double, int,
datetime, date, varchar). PostgreSQL $(psql -XAtc 'SHOW server_version') and MariaDB $($mariadb_cmd -BNe 'SELECT VERSION()')
on 127.0.0.1 (TLS, as every client negotiates by default), SQLite $(sqlite3 --version | cut -d' ' -f1) CLI vs DB-Hive's bundled SQLite. Median of $runs runs
(hyperfine, 1 warm-up, commands alternated in the same run).

| case | dbhive | peer | peer command | dbhive rate vs peer | client CPU, dbhive / peer |
|---|---|---|---|---|---|
$(row "PostgreSQL, fetch and discard" $pg_null "psql -At -o /dev/null")
$(row "PostgreSQL, CSV to /dev/null" $pg_csv "psql -c 'COPY (...) TO STDOUT (FORMAT csv, HEADER)'")
$(row "MariaDB, fetch and discard" $my_null "mariadb --batch --quick > /dev/null")
$(row "MariaDB, CSV to /dev/null" $my_csv "mariadb --batch --raw --quick (TSV)")
$(row "SQLite, fetch and discard" $lite_null "sqlite3 file 'SELECT ...' > /dev/null")
$(row "SQLite, CSV to /dev/null" $lite_csv "sqlite3 -csv -header")

| SQLite script | dbhive | sqlite3 | dbhive time vs sqlite3 | client CPU, dbhive / sqlite3 |
|---|---|---|---|---|
$(script_row "100,000 INSERTs in one transaction (8.2 MB)" $lite_dump)
$(script_row "one SELECT with 100,000 ';' in a string" $lite_semis)

| | dbhive | peer |
|---|---|---|
| peak RSS, PostgreSQL 1M rows (median of 3) | $rss_ours_pg MB | psql: $rss_psql MB |
| peak RSS, MariaDB 1M rows (median of 3) | $rss_ours_my MB | mariadb --quick: $rss_mariadb MB |
| peak RSS, SQLite 1M rows (median of 3) | $rss_ours_lite MB | sqlite3: $rss_sqlite3 MB |
| time to first row, PostgreSQL (median of $runs) | $ttfr_pg ms | — |
| time to first row, MariaDB (median of $runs) | $ttfr_my ms | — |
| time to first row, SQLite (median of $runs) | $ttfr_lite ms | — |

Commands: \`$bin query --url URL --format null|csv 'SELECT * FROM bench_1m'\`; time to
first row from \`--stats\`; peak RSS from \`/usr/bin/time -f %M\`.
MD
