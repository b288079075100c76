//! A million MongoDB documents stream through with bounded memory: the cursor is read batch
//! by batch and nothing holds more than the batches in flight (the counting allocator
//! measures the whole process).

mod common;
mod hostile;

use common::*;
use dbhive_core::{QueryEvent, QueryOptions};

#[global_allocator]
static ALLOC: hostile::Counting = hostile::Counting;

const DOCUMENTS: u64 = 1_000_000;

/// Loads the documents with pymongo. They are dropped after the test: left on the shared
/// test server, they make every later size query scan them (the e2e tree then waits 15 s).
const PY_LOAD: &str = r#"
import sys, pymongo
coll = pymongo.MongoClient(sys.argv[1])["dbhive_t_stream"]["big"]
n = int(sys.argv[2])
if coll.estimated_document_count() != n:
    coll.drop()
    for start in range(0, n, 20000):
        coll.insert_many([{"_id": i, "name": "user%d" % i, "score": i * 1.5, "tags": ["a", "b"], "active": i % 2 == 0}
                          for i in range(start, min(start + 20000, n))], ordered=False)
print(coll.estimated_document_count())
"#;

const PY_DROP: &str = r#"
import sys, pymongo
pymongo.MongoClient(sys.argv[1]).drop_database("dbhive_t_stream")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_documents_stream_in_bounded_memory() {
    let loaded = pymongo(PY_LOAD, &[&DOCUMENTS.to_string()]);
    assert_eq!(loaded.trim(), DOCUMENTS.to_string());
    let conn = mongo().await;
    let session = conn
        .open_session(Some("dbhive_t_stream"))
        .await
        .expect("session");
    let (rows, peak) = hostile::measured(async {
        let mut stream = session.execute("db.big.find()".into(), QueryOptions::default());
        let mut rows = 0u64;
        while let Some(event) = stream.next().await {
            match event {
                QueryEvent::Rows(b) => rows += b.len() as u64,
                QueryEvent::Error(e) => panic!("{e:?}"),
                _ => {}
            }
        }
        rows
    })
    .await;
    pymongo(PY_DROP, &[]);
    assert_eq!(rows, DOCUMENTS);
    eprintln!("{rows} documents, peak {} MB above the start", peak >> 20);
    // The documents are about 90 MB as BSON; the pipeline holds a server batch (16 MB at most)
    // and four 2 MB batches of rows.
    assert!(peak < 64 << 20, "peak {} MB", peak >> 20);
}
