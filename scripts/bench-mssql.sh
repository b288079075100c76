#!/usr/bin/env bash
# SQL Server: dbhive against python-tds (pytds) reading the same 1,000,000-row result, side
# by side in one run, on the test server (Babelfish, scripts/mssql-server.sh, or the server
# DBHIVE_TEST_MSSQL_URL names): rows per second, client CPU and peak RSS, for
# `--format null` and for CSV. Prints a Markdown section for BENCHMARKS.md. Needs hyperfine
# and /usr/bin/time; installs python-tds into target/pytds-venv.
# `tree` instead measures the schema tree on a database of 20,000 tables (dbhive_t_probe,
# created on first use, about half a minute on Babelfish) against python-tds running the
# same catalog query, and listing names alone.
#   scripts/bench-mssql.sh [tree] [RUNS]
set -euo pipefail

mode=rows
if [ "${1:-}" = tree ]; then mode=tree; shift; fi
runs=${1:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
for tool in hyperfine /usr/bin/time python3; do
    command -v "$tool" >/dev/null || { echo "bench-mssql: $tool is missing (apt-get install -y hyperfine time python3-venv)" >&2; exit 1; }
done
venv=$here/target/pytds-venv
if ! "$venv/bin/python" -c "import pytds, OpenSSL" 2>/dev/null; then
    python3 -m venv "$venv"
    # pyOpenSSL: python-tds encrypts (as dbhive does) only with it.
    "$venv/bin/pip" install --quiet --disable-pip-version-check python-tds pyOpenSSL >&2
fi
cargo build --release --locked -p dbhive-cli >&2
bin=$here/target/release/dbhive
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${DBHIVE_TEST_MSSQL_URL:-}" ]; then
    scripts/mssql-server.sh start > "$work/env"
    while IFS='=' read -r key value; do export "$key=$value"; done < "$work/env"
fi
url=$DBHIVE_TEST_MSSQL_URL
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
rss() { for _ in 1 2 3; do /usr/bin/time -f "%M" sh -c "$1" 2>&1 >/dev/null | tail -n 1; done | median | awk '{printf "%.1f", $1 / 1024}'; }
cat > "$work/connect.py" <<'PY'
import sys, urllib.parse, pytds
def connect(url, database=None):
    u = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(u.query))
    return pytds.connect(u.hostname, database or (u.path.lstrip("/") or "master"), urllib.parse.unquote(u.username),
                         urllib.parse.unquote(u.password or ""), port=u.port or 1433,
                         cafile=q.get("sslrootcert"), validate_host=False, autocommit=True)
PY
if [ "$mode" = tree ]; then
    tables=20000
    cat > "$work/make.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
from connect import connect
url, n = sys.argv[1], int(sys.argv[2])
c = connect(url, "master")
c.cursor().execute("IF DB_ID('dbhive_t_probe') IS NULL CREATE DATABASE dbhive_t_probe")
c.close()
cur = connect(url, "dbhive_t_probe").cursor()
cur.execute("SELECT COUNT(*) FROM sys.tables")
for start in range(cur.fetchone()[0], n, 100):
    cur.execute("\n".join(f"CREATE TABLE dbo.t{i:05d} (id int PRIMARY KEY, name nvarchar(40) NULL, made datetime2 NULL)"
                          for i in range(start, min(n, start + 100))))
PY
    cat > "$work/list.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[3])
from connect import connect
cur = connect(sys.argv[1], "dbhive_t_probe").cursor()
cur.execute(sys.argv[2])
n = len(cur.fetchall())
assert n == 20000, n
PY
    "$venv/bin/python" "$work/make.py" "$url" "$tables" "$work"
    # The catalog query the tree runs on a server without sys.dm_db_partition_stats.
    same="SELECT o.name, o.type, p.rows, CAST(ep.value AS nvarchar(4000)), NULL FROM sys.tables o LEFT JOIN (SELECT object_id, SUM(rows) AS rows FROM sys.partitions WHERE index_id IN (0, 1) GROUP BY object_id) p ON p.object_id = o.object_id LEFT JOIN sys.extended_properties ep ON ep.class = 1 AND ep.major_id = o.object_id AND ep.minor_id = 0 AND ep.name = 'MS_Description' WHERE o.schema_id = SCHEMA_ID('dbo') ORDER BY o.name"
    export DBHIVE_URL=$url
    ours="$bin tree --path dbhive_t_probe/dbo/tables --format json > /dev/null"
    folders="$bin tree --path dbhive_t_probe/dbo --format json > /dev/null"
    theirs="$venv/bin/python $work/list.py '$url' \"$same\" $work"
    names="$venv/bin/python $work/list.py '$url' 'SELECT name FROM sys.tables' $work"
    hyperfine --warmup 1 --runs "$runs" --export-json "$work/h.json" "$ours" "$theirs" "$names" "$folders" >&2
    rss_ours=$(rss "$ours")
    rss_theirs=$(rss "$theirs")
    python3 - "$work/h.json" "$rss_ours" "$rss_theirs" "$runs" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))["results"]
rss_o, rss_t, runs = sys.argv[2:5]
t = [statistics.median(x["times"]) * 1000 for x in r]
print(f"""| 20,000 tables, median of {runs} | dbhive | python-tds, the same catalog query | python-tds, `SELECT name FROM sys.tables` |
|---|---|---|---|
| expand the Tables folder (names, rows) | {t[0]:,.0f} ms | {t[1]:,.0f} ms ({t[1] / t[0]:.2f}x) | {t[2]:,.0f} ms |
| expand the schema (folders with counts) | {t[3]:,.0f} ms | | |
| peak RSS, Tables folder (median of 3) | {rss_o} MB | {rss_t} MB | |""")
PY
    exit 0
fi
# The same million rows as tests/mssql_query.rs: six cross-joined digit lists.
sql="WITH d(x) AS (SELECT x FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) AS v(x)) SELECT 1 + a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 10000 * f.x + 100000 * g.x AS n, N'row number ' + CAST(a.x AS nvarchar(2)) AS t, CAST(a.x * 1.5 AS decimal(10,2)) AS d FROM d a CROSS JOIN d b CROSS JOIN d c CROSS JOIN d e CROSS JOIN d f CROSS JOIN d g"
echo "$sql" > "$work/q.sql"
cat > "$work/peer.py" <<'PY'
import sys, csv
sys.path.insert(0, sys.argv[3])
from connect import connect
cur = connect(sys.argv[1]).cursor()
cur.execute(open(sys.argv[2]).read())
n = 0
if len(sys.argv) > 4:
    w = csv.writer(sys.stdout)
    w.writerow([c[0] for c in cur.description])
    for row in cur:
        w.writerow(row)
        n += 1
else:
    for row in cur:
        n += 1
assert n == 1_000_000, n
PY
export DBHIVE_URL=$url
null_ours="$bin query --format null -f $work/q.sql"
null_theirs="$venv/bin/python $work/peer.py '$url' $work/q.sql $work"
csv_ours="$bin query --format csv -f $work/q.sql > /dev/null"
csv_theirs="$venv/bin/python $work/peer.py '$url' $work/q.sql $work csv > /dev/null"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/h.json" "$null_ours" "$null_theirs" "$csv_ours" "$csv_theirs" >&2
rss_ours=$(rss "$null_ours")
rss_theirs=$(rss "$null_theirs")
version=$("$venv/bin/pip" show python-tds 2>/dev/null | sed -n 's/^Version: //p')
python3 - "$work/h.json" "$rss_ours" "$rss_theirs" "$runs" "$version" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))["results"]
rss_o, rss_t, runs, version = sys.argv[2:6]
t = [statistics.median(x["times"]) for x in r]
c = [x["user"] + x["system"] for x in r]
print(f"""| 1,000,000 rows x 3 columns | dbhive | python-tds {version} | dbhive rate vs peer | client CPU, dbhive / peer |
|---|---|---|---|---|
| fetch and discard, median of {runs} | {t[0]:.2f} s ({1e6 / t[0] / 1000:.0f} k rows/s) | {t[1]:.2f} s ({1e6 / t[1] / 1000:.0f} k rows/s) | {t[1] / t[0] * 100:.0f}% | {c[0]:.2f} s / {c[1]:.2f} s |
| CSV to /dev/null, median of {runs} | {t[2]:.2f} s | {t[3]:.2f} s | {t[3] / t[2] * 100:.0f}% | {c[2]:.2f} s / {c[3]:.2f} s |
| peak RSS, fetch and discard (median of 3) | {rss_o} MB | {rss_t} MB | | |""")
PY
