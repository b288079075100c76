#!/usr/bin/env bash
# MongoDB: dbhive against pymongo iterating the same 1,000,000-document cursor, side by side
# in one run, on the test server (SecantusDB, scripts/mongo-server.sh): documents per
# second, client CPU, peak RSS and time to the first document. Prints a Markdown section for
# BENCHMARKS.md. Needs hyperfine and /usr/bin/time.
#   scripts/bench-mongo.sh [RUNS]
set -euo pipefail

runs=${1:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
for tool in hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench-mongo: $tool is missing (apt-get install -y hyperfine time)" >&2; exit 1; }
done
cargo build --release --locked -p dbhive-cli >&2
bin=$here/target/release/dbhive
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scripts/mongo-server.sh start > "$work/env"
while IFS='=' read -r key value; do export "$key=$value"; done < "$work/env"
py=$DBHIVE_TEST_MONGO_PYTHON
url="${DBHIVE_TEST_MONGO_URL%%/dbhive_test*}/dbhive_t_stream?${DBHIVE_TEST_MONGO_URL#*\?}"

# The same documents as the stream test (tests/mongo_stream.rs).
"$py" - "$DBHIVE_TEST_MONGO_URL" <<'PY' >&2
import sys, pymongo
coll = pymongo.MongoClient(sys.argv[1])["dbhive_t_stream"]["big"]
if coll.estimated_document_count() != 1_000_000:
    coll.drop()
    for start in range(0, 1_000_000, 20000):
        coll.insert_many([{"_id": i, "name": "user%d" % i, "score": i * 1.5, "tags": ["a", "b"], "active": i % 2 == 0}
                          for i in range(start, start + 20000)], ordered=False)
PY
cat > "$work/iterate.py" <<'PY'
import sys, time, pymongo
coll = pymongo.MongoClient(sys.argv[1])["dbhive_t_stream"]["big"]
t0 = time.perf_counter()
cursor = coll.find()
first = None
n = 0
for doc in cursor:
    if first is None:
        first = time.perf_counter() - t0
    n += 1
assert n == 1_000_000, n
if len(sys.argv) > 2:
    print(f"{first * 1000:.1f}")
PY
ours="$bin query --url '$url' --format null 'db.big.find()'"
theirs="$py $work/iterate.py '$DBHIVE_TEST_MONGO_URL'"
hyperfine --warmup 1 --runs "$runs" --export-json "$work/h.json" "$ours" "$theirs" >&2
read -r t_ours t_theirs c_ours c_theirs < <(python3 - "$work/h.json" <<'PY'
import json, sys, statistics
r = json.load(open(sys.argv[1]))["results"]
print(*[statistics.median(x["times"]) for x in r], *[x["user"] + x["system"] for x in r])
PY
)
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
rss() { for _ in 1 2 3; do /usr/bin/time -f "%M" sh -c "$1" 2>&1 >/dev/null | tail -n 1; done | median | awk '{printf "%.1f", $1 / 1024}'; }
rss_ours=$(rss "$ours")
rss_theirs=$(rss "$theirs")
first_ours=$(for _ in 1 2 3; do "$bin" query --url "$url" --format null --stats 'db.big.find()' 2>&1 >/dev/null | sed -nE 's/.*first row: ([0-9.]+) ms.*/\1/p'; done | median)
first_theirs=$(for _ in 1 2 3; do "$py" "$work/iterate.py" "$DBHIVE_TEST_MONGO_URL" first; done | median)
version=$("$py" -c "import pymongo; print(pymongo.version)")
python3 - "$t_ours" "$t_theirs" "$c_ours" "$c_theirs" "$rss_ours" "$rss_theirs" "$first_ours" "$first_theirs" "$runs" "$version" <<'PY'
import sys
t_o, t_t, c_o, c_t = map(float, sys.argv[1:5])
rss_o, rss_t, f_o, f_t, runs, version = sys.argv[5:11]
print(f"""| 1,000,000 documents (5 fields), find() fetched and discarded | dbhive | pymongo {version} |
|---|---|---|
| wall time, median of {runs} | {t_o:.2f} s ({1e6 / t_o / 1000:.0f} k docs/s) | {t_t:.2f} s ({1e6 / t_t / 1000:.0f} k docs/s) |
| dbhive rate vs pymongo | {t_t / t_o * 100:.0f}% | |
| client CPU (user + system, mean) | {c_o:.2f} s | {c_t:.2f} s |
| peak RSS (median of 3) | {rss_o} MB | {rss_t} MB |
| time to first document (median of 3) | {f_o} ms | {f_t} ms |""")
PY
