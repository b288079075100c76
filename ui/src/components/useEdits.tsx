// The pending edits of a grid whose rows come from one table (a table tab's page, or a
// query result whose columns the server traced to one table): the grid's edit callbacks,
// Review, Commit and Discard, and undo/redo. The statements are the core's (plan_edits).
import { useState } from "react";
import { api } from "../api";
import type { CommitReport, ConditionOp, EditTable, Engine, NewValue, PlannedStatement } from "../types";
import { errorMessage } from "../types";
import type { GridEditing, MenuItem } from "./DataGrid";
import { Modal } from "./Dialogs";
import { copyText } from "../lib/clipboard";
import { formatCount } from "../lib/format";
import * as P from "../lib/pending";
import { editorFor } from "./tableColumns";

/** How a commit that did not happen is told: which change stopped it, and why. */
export interface Refused {
  row: number | null;
  title: string;
  message: string;
  sql: string | null;
}

export interface EditTarget {
  connectionId: string;
  tabId: string;
  engine: Engine;
  /** The table, or null while it is described or when the rows cannot be edited. */
  table: EditTable | null;
  computed: string[];
  /** The table column a grid column is; null: not one (a row address, a computed value). */
  columnOf: (col: number) => string | null;
  /** Why a grid column that is no table column cannot be edited. */
  notAColumn: (col: number) => string;
  /** Why the rows cannot be edited at all, or null. */
  readOnlyReason: string | null;
  queryId: string | null;
  resultIndex: number;
  total: number;
  width: number;
  reload: () => void;
  notify: (message: string, kind?: "ok" | "error") => void;
  addFilter?: (col: number, op: ConditionOp, value: string) => void;
}

export function useEdits(t: EditTarget) {
  // Pending edits belong to the rows they were made on: another result starts afresh.
  const key = `${t.queryId ?? ""}/${t.resultIndex}`;
  const [kept, setKept] = useState<{ key: string; history: P.History; review: PlannedStatement[] | null; refused: Refused | null }>({
    key,
    history: P.freshHistory,
    review: null,
    refused: null,
  });
  const own = kept.key === key ? kept : { key, history: P.freshHistory, review: null, refused: null };
  const { history, review, refused } = own;
  const setHistory = (f: P.History | ((h: P.History) => P.History)) => {
    setKept((k) => {
      const base = k.key === key ? k : { key, history: P.freshHistory, review: null, refused: null };
      return { ...base, history: typeof f === "function" ? f(base.history) : f };
    });
  };
  const setReview = (review: PlannedStatement[] | null) => {
    setKept((k) => ({ ...(k.key === key ? k : { key, history: P.freshHistory, refused: null }), review }));
  };
  const setRefused = (refused: Refused | null) => {
    setKept((k) => ({ ...(k.key === key ? k : { key, history: P.freshHistory, review: null }), refused }));
  };
  const [committing, setCommitting] = useState(false);
  const pending = P.current(history);
  const pendingCount = P.count(pending);
  const total = t.total;
  const info = t.table;
  const nameOf = (col: number) => t.columnOf(col) ?? "";
  const tableColumn = (col: number) => {
    const name = t.columnOf(col);
    return name === null ? undefined : info?.columns.find((c) => c.name === name);
  };
  const canEdit = t.readOnlyReason === null && info !== null;
  const columnReadOnly = (col: number): string | null => {
    if (t.readOnlyReason !== null) return `${info?.table.name ?? "The table"} is read-only here: ${t.readOnlyReason}`;
    const c = tableColumn(col);
    if (c === undefined) return t.notAColumn(col);
    if (t.computed.includes(c.name)) return `${c.name} is computed by the server (${c.extra ?? "generated"}): it cannot be written`;
    return null;
  };

  const edit = (next: P.Pending) => {
    setHistory((h) => P.push(h, next));
    setRefused(null);
  };

  const editing: GridEditing | undefined = !canEdit
      ? undefined
      : {
          added: pending.added.length,
          pending: (row, col) => (row >= total ? pending.added[row - total]?.values[nameOf(col)] : pending.updates[row]?.[nameOf(col)]),
          rowState: (row) =>
            refused?.row === row ? "conflict" : pending.deleted.includes(row) ? "deleted" : row >= total ? "added" : undefined,
          readOnly: columnReadOnly,
          editor: (col) => editorFor(t.engine, tableColumn(col)),
          placeholder: (col) => {
            const c = tableColumn(col);
            if (c === undefined) return "";
            if (t.computed.includes(c.name)) return "(computed)";
            return c.default !== null ? "DEFAULT" : c.nullable ? "NULL" : "";
          },
          set: (cells) => {
            let next = pending;
            for (const { row, col, value } of cells) {
              if (columnReadOnly(col) !== null) continue;
              next = P.setCell(next, total, row, nameOf(col), value);
            }
            if (next !== pending) edit(next);
          },
          paste: (row, col, text) => {
            const block = P.parseBlock(text);
            let next = pending;
            block.forEach((values, i) => {
              const r = row + i;
              while (r >= total + next.added.length) next = P.addRow(next);
              values.forEach((v, j) => {
                if (columnReadOnly(col + j) === null && col + j < t.width) next = P.setCell(next, total, r, nameOf(col + j), { kind: "text", value: v });
              });
            });
            if (next !== pending) {
              edit(next);
              t.notify(`Pasted ${formatCount(block.length)} ${block.length === 1 ? "row" : "rows"}`, "ok");
            }
          },
          deleteRows: (rows) => {
            edit(P.toggleDelete(pending, total, rows));
          },
          copied: (row, col) => {
            const copyOf = row >= total ? pending.added[row - total]?.copyOf : null;
            const c = tableColumn(col);
            if (copyOf === null || copyOf === undefined || c === undefined) return null;
            // The server numbers these itself: a duplicate gets its own.
            if (t.computed.includes(c.name) || /auto_increment|identity/i.test(c.extra ?? "") || (c.default ?? "").startsWith("nextval(")) return null;
            return copyOf;
          },
          menu: (row, col, area, shown) => {
            const cells = (value: NewValue) => {
              const list: { row: number; col: number; value: NewValue }[] = [];
              for (let r = area.r1; r <= area.r2; r++) for (let c = area.c1; c <= area.c2; c++) list.push({ row: r, col: c, value });
              return list;
            };
            const rows: number[] = [];
            for (let r = area.r1; r <= area.r2; r++) rows.push(r);
            const items: MenuItem[] = [
              { label: "Set to NULL", action: () => editing?.set(cells({ kind: "null" })) },
              { label: "Set to empty string", action: () => editing?.set(cells({ kind: "text", value: "" })) },
            ];
            if (row >= total) items.push({ label: "Set to DEFAULT", action: () => editing?.set(cells({ kind: "default" })) });
            if (row < total && pending.updates[row]?.[nameOf(col)] !== undefined) {
              items.push({ label: "Revert cell", action: () => edit(P.revertCell(pending, row, nameOf(col))) });
            }
            items.push({
              label: rows.length === 1 ? "Duplicate row" : `Duplicate ${rows.length} rows`,
              action: () => duplicate(rows),
            });
            items.push({
              label: rows.every((r) => pending.deleted.includes(r)) ? "Restore row" : rows.length === 1 ? "Delete row" : `Delete ${rows.length} rows`,
              action: () => editing?.deleteRows(rows),
            });
            if (row < total && tableColumn(col) !== undefined && t.addFilter !== undefined) {
              const filter = t.addFilter;
              if (shown === null) items.push({ label: `Filter: ${nameOf(col)} IS NULL`, action: () => filter(col, "is_null", "") });
              else if (typeof shown === "string") items.push({ label: `Filter: ${nameOf(col)} = this value`, action: () => filter(col, "eq", shown) });
            }
            return items;
          },
        };

  const duplicate = (rows: number[]) => {
    let next = pending;
    for (const r of rows) {
      if (r >= total) {
        const source = pending.added[r - total];
        if (source !== undefined) next = P.addRow(next, { values: { ...source.values }, copyOf: source.copyOf });
      } else next = P.addRow(next, { values: {}, copyOf: r });
    }
    edit(next);
  };

  const editInput = () => {
    const { changes } = P.changes(pending, total);
    return { connection_id: t.connectionId, tab_id: t.tabId, query_id: t.queryId ?? "", result: t.resultIndex, changes };
  };

  const showReview = () => {
    api
      .planEdits(editInput())
      .then(setReview)
      .catch((e: unknown) => {
        setRefused({ row: null, title: "These changes cannot be made", message: errorMessage(e), sql: null });
      });
  };

  const commit = () => {
    if (pendingCount === 0 || t.queryId === null) return;
    const { rows } = P.changes(pending, total);
    setCommitting(true);
    api
      .commitEdits(editInput())
      .then((report: CommitReport) => {
        setReview(null);
        if (report.committed) {
          const n = report.statements.length;
          t.notify(`Committed ${formatCount(n)} ${n === 1 ? "change" : "changes"}`, "ok");
          setHistory(P.freshHistory);
          setRefused(null);
          t.reload();
          return;
        }
        const stopped = report.statements[report.statements.length - 1];
        const row = report.stopped_at === null ? null : (rows[report.stopped_at] ?? null);
        const where = row === null ? "" : row >= total ? ` (new row ${formatCount(row - total + 1)})` : ` (row ${formatCount(row + 1)})`;
        setRefused(
          report.conflict
            ? {
                row,
                title: `Conflict${where}`,
                message: `The row was changed or deleted since it was read: the statement matched ${stopped?.rows_affected ?? 0} rows, not one. Nothing was committed and your changes are still pending; discard and refresh to see the row as it is now.`,
                sql: stopped?.sql ?? null,
              }
            : {
                row,
                title: `The server refused a change${where}`,
                message: `${stopped?.error?.message ?? "the statement failed"}. Nothing was committed and your changes are still pending.`,
                sql: stopped?.sql ?? null,
              },
        );
      })
      .catch((e: unknown) => {
        setReview(null);
        setRefused({ row: null, title: "Commit failed", message: `${errorMessage(e)}. Your changes are still pending.`, sql: null });
      })
      .finally(() => {
        setCommitting(false);
      });
  };

  const discard = () => {
    setHistory(P.freshHistory);
    setRefused(null);
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    if (!mod || (e.target as HTMLElement).tagName === "INPUT" || (e.target as HTMLElement).tagName === "TEXTAREA") return;
    const key = e.key.toLowerCase();
    if (key === "z" && !e.shiftKey) {
      e.preventDefault();
      setHistory(P.undo);
    } else if ((key === "z" && e.shiftKey) || key === "y") {
      e.preventDefault();
      setHistory(P.redo);
    } else if (key === "s" && pendingCount > 0) {
      e.preventDefault();
      commit();
    }
  };

  /** Undo, Redo, Review, Commit and Discard. */
  const buttons = (
    <>
      <button className="btn" data-testid="undo" disabled={history.at === 0} onClick={() => setHistory(P.undo)} title="Undo (Ctrl+Z)">
        Undo
      </button>
      <button className="btn" data-testid="redo" disabled={history.at >= history.states.length - 1} onClick={() => setHistory(P.redo)} title="Redo (Ctrl+Shift+Z)">
        Redo
      </button>
      <span className="sep" />
      <button className="btn" data-testid="review" disabled={pendingCount === 0} onClick={showReview} title="Show the statements Commit will run">
        Review{pendingCount > 0 ? ` (${pendingCount})` : ""}
      </button>
      <button className="btn primary" data-testid="commit" disabled={pendingCount === 0 || committing} onClick={commit} title="Run the changes in one transaction (Ctrl+S)">
        Commit
      </button>
      <button className="btn" data-testid="discard" disabled={pendingCount === 0} onClick={discard} title="Drop every pending change">
        Discard
      </button>
    </>
  );

  /** What stopped the last commit, and the Review dialog. */
  const notices = (
    <>
      {refused !== null ? (
        <div className="error-box" data-testid="commit-error">
          <div className="title">{refused.title}</div>
          <div>{refused.message}</div>
          {refused.sql !== null ? <div className="where">{refused.sql}</div> : null}
        </div>
      ) : null}
      {review !== null ? (
        <Modal
          title={`Review: ${review.length} ${review.length === 1 ? "statement" : "statements"} in one transaction`}
          onClose={() => setReview(null)}
          wide
          testid="review-dialog"
          footer={
            <>
              <span style={{ color: "var(--muted)" }}>UPDATE and DELETE must each match exactly one row, or nothing is committed.</span>
              <span className="spacer" />
              <button className="btn" onClick={() => void copyText(review.map((s) => `${s.sql};`).join("\n"))}>
                Copy
              </button>
              <button className="btn" onClick={() => setReview(null)}>
                Close
              </button>
              <button className="btn primary" data-testid="review-commit" disabled={committing} onClick={commit}>
                Commit
              </button>
            </>
          }
        >
          <pre className="viewer" data-testid="review-sql">
            {review.map((s) => `${s.sql};`).join("\n")}
          </pre>
        </Modal>
      ) : null}
    </>
  );

  return {
    editing,
    pendingCount,
    canEdit,
    addRow: () => edit(P.addRow(pending)),
    /** A new page or filter: the old one's marks go. */
    clearRefused: () => setRefused(null),
    onKeyDown,
    buttons,
    notices,
  };
}
