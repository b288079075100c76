// MongoDB results as documents: Extended JSON, indented, fetched 50 at a time from the
// result store. Relaxed is what mongoexport writes; "typed" keeps Int64 apart from Int32;
// canonical spells every type.
import { useEffect, useState } from "react";
import { api } from "../api";
import type { JsonMode } from "../types";
import { errorMessage } from "../types";
import { formatCount } from "../lib/format";

const PAGE = 50;

export function DocumentView(props: { queryId: string; result: number; total: number; mode: JsonMode }) {
  const { queryId, result, total, mode } = props;
  const [docs, setDocs] = useState<string[]>([]);
  const [shown, setShown] = useState(PAGE);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    const want = Math.min(shown, total);
    api
      .documentsJson(queryId, result, 0, want, mode)
      .then((d) => {
        if (live) setDocs(d);
      })
      .catch((e: unknown) => {
        if (live) setError(errorMessage(e));
      });
    return () => {
      live = false;
    };
  }, [queryId, result, mode, shown, total]);

  if (error !== null) return <div className="error-box">{error}</div>;
  return (
    <div className="documents" data-testid="documents">
      {docs.map((d, i) => (
        <pre key={i} className="doc" data-testid="document">
          <span className="n">#{i + 1}</span>
          {d}
        </pre>
      ))}
      {docs.length < total ? (
        <button className="btn" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, total - docs.length)} more of {formatCount(total - docs.length)}
        </button>
      ) : null}
    </div>
  );
}
