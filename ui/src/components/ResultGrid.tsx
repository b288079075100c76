// A query result's grid, editable when the server traced its columns to one table whose key
// the result includes (MySQL's org_table, SQLite's column metadata); otherwise it says why
// not. Edits go through the same pending set, Review and Commit as a table tab.
import { useEffect, useState } from "react";
import { api } from "../api";
import type { EditTable, Engine } from "../types";
import { errorMessage } from "../types";
import { DataGrid, type GridResult, type MenuItem } from "./DataGrid";
import { keyText } from "./tableColumns";
import { useEdits } from "./useEdits";

interface Opened {
  table: EditTable | null;
  computed: string[];
  columns: (string | null)[];
  reason: string | null;
}

export function ResultGrid(props: {
  connectionId: string;
  tabId: string;
  engine: Engine;
  queryId: string;
  result: GridResult;
  notify: (message: string, kind?: "ok" | "error") => void;
  onContextMenu: (x: number, y: number, items: MenuItem[]) => void;
  onOpenCell: (row: number, col: number) => void;
  onPainted: () => void;
  /** Runs the query again (after a commit, to show the rows as they are now). */
  rerun: () => void;
  onPending: (count: number) => void;
}) {
  const { result } = props;
  const [opened, setOpened] = useState<Opened | null>(null);
  const documents = result.columns[0]?.document === true;
  const traced = result.columns.some((c) => c.origin !== null);

  useEffect(() => {
    if (documents || !result.complete || props.engine === "mongodb") return;
    if (!traced) return;
    api
      .openResultEdits(props.connectionId, props.queryId, result.index)
      .then(setOpened)
      .catch((e: unknown) => {
        setOpened({ table: null, computed: [], columns: [], reason: errorMessage(e) });
      });
  }, [documents, traced, result.complete, result.index, props.connectionId, props.queryId, props.engine]);

  const edits = useEdits({
    connectionId: props.connectionId,
    tabId: props.tabId,
    engine: props.engine,
    table: opened?.table ?? null,
    computed: opened?.computed ?? [],
    columnOf: (col) => opened?.columns[col] ?? null,
    notAColumn: (col) => `${result.columns[col]?.name ?? "This column"} is computed by the query, not a column of ${opened?.table?.table.name ?? "the table"}: it cannot be edited`,
    readOnlyReason: opened?.reason ?? null,
    queryId: props.queryId,
    resultIndex: result.index,
    total: result.total,
    width: result.columns.length,
    reload: props.rerun,
    notify: props.notify,
  });

  const { pendingCount } = edits;
  const { onPending } = props;
  useEffect(() => {
    onPending(pendingCount);
  }, [pendingCount, onPending]);

  const reason = documents || props.engine === "mongodb" ? null : !traced ? "the server does not say which table these columns come from" : opened?.reason ?? null;
  return (
    <>
      {opened?.table !== null && opened?.table !== undefined && opened.reason === null ? (
        <div className="result-edit-bar toolbar" data-testid="result-edits" onKeyDown={edits.onKeyDown}>
          <span className="note">
            Editable: rows of <b>{opened.table.table.name}</b>, {keyText(opened.table)}
          </span>
          <span className="spacer" />
          {edits.buttons}
        </div>
      ) : reason !== null && result.complete ? (
        <div className="result-edit-bar note" data-testid="result-read-only" title={reason}>
          Read-only result: {reason}.
        </div>
      ) : null}
      {edits.notices}
      <div className="docpane" onKeyDown={edits.onKeyDown}>
        <DataGrid
          queryId={props.queryId}
          result={result}
          notify={props.notify}
          onContextMenu={props.onContextMenu}
          onOpenCell={props.onOpenCell}
          onPainted={props.onPainted}
          editing={edits.editing}
        />
      </div>
    </>
  );
}
