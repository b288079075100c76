// A table tab: a table's rows one page at a time, sorted and filtered on the server, with
// edits kept pending (marked in the grid) until the user reviews the statements and
// commits them, or discards them. The query and the statements are the core's.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api";
import type { Browse, Column, CommitReport, ConditionOp, DbError, EditTable, Engine, NewValue, PlannedStatement, UiEvent } from "../types";
import { errorMessage, isDbError } from "../types";
import { DataGrid, type GridEditing, type GridResult, type MenuItem } from "./DataGrid";
import { Modal } from "./Dialogs";
import { Icon } from "./Icons";
import type { TabInfo } from "./QueryTab";
import { FilterBar } from "./FilterBar";
import { editorFor, keyText } from "./tableColumns";
import { copyText } from "../lib/clipboard";
import { formatCount, formatDuration } from "../lib/format";
import * as P from "../lib/pending";

const PAGE_SIZES = [100, 500, 1000, 5000];
const initialBrowse: Browse = { sort: [], conditions: [], raw_where: null, offset: 0, limit: 1000 };

interface Opened {
  table: EditTable;
  computed: string[];
  rowIdColumn: string | null;
}

interface Loaded {
  queryId: string | null;
  sql: string;
  running: boolean;
  result: GridResult | null;
  error: DbError | null;
  elapsedMs: number;
}

const notLoaded: Loaded = { queryId: null, sql: "", running: false, result: null, error: null, elapsedMs: 0 };

/** How a commit that did not happen is told: which change stopped it, and why. */
interface Refused {
  row: number | null;
  title: string;
  message: string;
  sql: string | null;
}

function asDbError(e: unknown): DbError {
  return isDbError(e) ? e : { kind: "internal", code: null, message: errorMessage(e), detail: null, hint: null, position: null };
}

export function TableTab(props: {
  tab: TabInfo;
  active: boolean;
  engine: Engine;
  connectionName: string;
  connectionColor: string | null;
  onContextMenu: (x: number, y: number, items: MenuItem[]) => void;
  openCell: (queryId: string, result: number, row: number, col: number, column: Column) => void;
  notify: (message: string, kind?: "ok" | "error") => void;
  onConnectionLost: (id: string) => void;
  /** Tells the app how many changes are pending (it asks before closing such a tab). */
  onPending: (id: string, count: number) => void;
}) {
  const { tab } = props;
  const table = tab.table;
  const [opened, setOpened] = useState<Opened | null>(null);
  const [openError, setOpenError] = useState<DbError | null>(null);
  const [browse, setBrowse] = useState<Browse>(initialBrowse);
  const [whereText, setWhereText] = useState("");
  const [loaded, setLoaded] = useState<Loaded>(notLoaded);
  const [history, setHistory] = useState<P.History>(P.freshHistory);
  const [review, setReview] = useState<PlannedStatement[] | null>(null);
  const [refused, setRefused] = useState<Refused | null>(null);
  const [committing, setCommitting] = useState(false);
  const pending = P.current(history);
  const pendingCount = P.count(pending);
  const total = loaded.result?.total ?? 0;

  useEffect(() => {
    props.onPending(tab.id, pendingCount);
    // props callbacks are stable (from App)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pendingCount, tab.id]);

  const onEvent = useCallback((e: UiEvent) => {
    const result = (f: (r: GridResult) => GridResult) => {
      setLoaded((l) => (l.result === null ? l : { ...l, result: f(l.result) }));
    };
    switch (e.type) {
      case "columns":
        setLoaded((l) => ({ ...l, result: { index: e.result, columns: e.columns, kinds: e.columns.map(() => "text"), total: 0, first: [], complete: false } }));
        break;
      case "rows":
        result((r) => ({ ...r, total: e.total, first: e.append === null ? r.first : [...(r.first ?? []), ...e.append], kinds: e.kinds ?? r.kinds }));
        break;
      case "result_end":
        result((r) => ({ ...r, total: e.rows, complete: true }));
        break;
      case "error":
        setLoaded((l) => ({ ...l, error: e.error }));
        if (e.error.kind === "connection") props.onConnectionLost(tab.connectionId);
        break;
      case "done":
        setLoaded((l) => ({ ...l, running: false, elapsedMs: e.elapsed_ms }));
        break;
      default:
        break;
    }
    // props callbacks are stable (from App)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const previous = useRef<string | null>(null);
  const generation = useRef(0);
  const load = useCallback(
    (b: Browse) => {
      if (previous.current !== null) void api.closeQuery(previous.current);
      previous.current = null;
      setLoaded({ ...notLoaded, running: true });
      // A newer load (the user clicked again before this one answered) wins: the older
      // one's events and rows are dropped.
      const gen = ++generation.current;
      const current = () => generation.current === gen;
      api
        .browseTable({ connection_id: tab.connectionId, tab_id: tab.id, browse: b }, (e) => {
          if (current()) onEvent(e);
        })
        .then(({ query_id, sql }) => {
          if (!current()) {
            void api.closeQuery(query_id);
            return;
          }
          previous.current = query_id;
          setLoaded((l) => ({ ...l, queryId: query_id, sql }));
        })
        .catch((e: unknown) => {
          if (current()) setLoaded((l) => ({ ...l, running: false, error: asDbError(e) }));
        });
    },
    [tab.connectionId, tab.id, onEvent],
  );

  useEffect(() => {
    if (table === undefined) return;
    api
      .openTable(tab.connectionId, tab.id, table)
      .then((o) => {
        setOpened({ table: o.table, computed: o.computed, rowIdColumn: o.row_id_column });
        load(initialBrowse);
      })
      .catch((e: unknown) => {
        setOpenError(asDbError(e));
      });
    // `load` is stable for the tab.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tab.connectionId, tab.id, table]);

  useEffect(
    () => () => {
      if (previous.current !== null) void api.closeQuery(previous.current);
    },
    [],
  );

  /** A new sort, filter or page. The pending changes name rows of the rows read now, so
   *  they are committed or discarded first: nothing is dropped behind the user's back. */
  const change = (b: Browse) => {
    if (pendingCount > 0) {
      props.notify(`Commit or discard the ${pendingCount} pending ${pendingCount === 1 ? "change" : "changes"} first.`, "error");
      return;
    }
    setBrowse(b);
    setRefused(null);
    load(b);
  };

  const columns = useMemo(() => loaded.result?.columns ?? [], [loaded.result]);
  const info = opened?.table;
  const readOnlyReason = info === undefined ? null : info.key.kind === "read_only" ? info.key.reason : null;
  const nameOf = (col: number) => columns[col]?.name ?? "";
  const tableColumn = (col: number) => {
    // With a row id the address is the first column; the table's columns follow.
    if (opened?.rowIdColumn !== null && opened?.rowIdColumn !== undefined && col === 0) return undefined;
    return info?.columns.find((c) => c.name === nameOf(col));
  };
  const columnReadOnly = (col: number): string | null => {
    if (readOnlyReason !== null) return `${table?.name ?? "The table"} is read-only here: ${readOnlyReason}`;
    const c = tableColumn(col);
    if (c === undefined) return `${nameOf(col)} is the row's address, not a column: it cannot be edited`;
    if (opened?.computed.includes(c.name) === true) return `${c.name} is computed by the server (${c.extra ?? "generated"}): it cannot be written`;
    return null;
  };

  const edit = (next: P.Pending) => {
    setHistory((h) => P.push(h, next));
    setRefused(null);
  };

  const addFilter = (col: number, op: ConditionOp, value: string) => {
    change({ ...browse, offset: 0, conditions: [...browse.conditions, { column: nameOf(col), op, value }] });
  };

  const canEdit = readOnlyReason === null && info !== undefined;
  const editing: GridEditing | undefined = !canEdit
      ? undefined
      : {
          added: pending.added.length,
          pending: (row, col) => (row >= total ? pending.added[row - total]?.values[nameOf(col)] : pending.updates[row]?.[nameOf(col)]),
          rowState: (row) =>
            refused?.row === row ? "conflict" : pending.deleted.includes(row) ? "deleted" : row >= total ? "added" : undefined,
          readOnly: columnReadOnly,
          editor: (col) => editorFor(props.engine, tableColumn(col)),
          placeholder: (col) => {
            const c = tableColumn(col);
            if (c === undefined) return "";
            if (opened?.computed.includes(c.name) === true) return "(computed)";
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
                if (columnReadOnly(col + j) === null && col + j < columns.length) next = P.setCell(next, total, r, nameOf(col + j), { kind: "text", value: v });
              });
            });
            if (next !== pending) {
              edit(next);
              props.notify(`Pasted ${formatCount(block.length)} ${block.length === 1 ? "row" : "rows"}`, "ok");
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
            if (opened?.computed.includes(c.name) === true || /auto_increment|identity/i.test(c.extra ?? "") || (c.default ?? "").startsWith("nextval(")) return null;
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
            if (row < total && tableColumn(col) !== undefined) {
              if (shown === null) items.push({ label: `Filter: ${nameOf(col)} IS NULL`, action: () => addFilter(col, "is_null", "") });
              else if (typeof shown === "string") items.push({ label: `Filter: ${nameOf(col)} = this value`, action: () => addFilter(col, "eq", shown) });
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
    return { connection_id: tab.connectionId, tab_id: tab.id, query_id: loaded.queryId ?? "", result: loaded.result?.index ?? 0, changes };
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
    if (pendingCount === 0 || loaded.queryId === null) return;
    const { rows } = P.changes(pending, total);
    setCommitting(true);
    api
      .commitEdits(editInput())
      .then((report: CommitReport) => {
        setReview(null);
        if (report.committed) {
          const n = report.statements.length;
          props.notify(`Committed ${formatCount(n)} ${n === 1 ? "change" : "changes"}`, "ok");
          setHistory(P.freshHistory);
          setRefused(null);
          load(browse);
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

  const onSort = (col: number, add: boolean) => {
    const name = nameOf(col);
    const at = browse.sort.findIndex(([n]) => n === name);
    const cur = browse.sort[at];
    let sort = browse.sort;
    if (add) {
      sort = cur === undefined ? [...sort, [name, "asc"]] : sort.map((k, i) => (i === at ? [name, k[1] === "asc" ? "desc" : "asc"] : k));
    } else {
      sort = cur === undefined || sort.length > 1 ? [[name, "asc"]] : cur[1] === "asc" ? [[name, "desc"]] : [];
    }
    change({ ...browse, sort, offset: 0 });
  };

  const sortKeys = browse.sort
    .map(([name, dir]): [number, "asc" | "desc"] => [columns.findIndex((c, i) => c.name === name && tableColumn(i) !== undefined), dir])
    .filter(([i]) => i >= 0);

  const onKeyDown = (e: React.KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    if (!mod || (e.target as HTMLElement).tagName === "INPUT") return;
    const key = e.key.toLowerCase();
    if (key === "z" && !e.shiftKey) {
      e.preventDefault();
      setHistory(P.undo);
    } else if ((key === "z" && e.shiftKey) || key === "y") {
      e.preventDefault();
      setHistory(P.redo);
    } else if (key === "s") {
      e.preventDefault();
      commit();
    }
  };

  const limit = browse.limit;
  const lastPage = limit === null || total < limit;
  const first = browse.offset + 1;
  const state = loaded.running ? "Running…" : loaded.error !== null ? "Error" : "Done";

  return (
    <div className="querytab tabletab" hidden={!props.active} data-testid={`tab-${tab.id}`} onKeyDown={onKeyDown}>
      <div className="toolbar">
        <button className="btn" data-testid="refresh" onClick={() => change(browse)} title="Read the rows again">
          <Icon name="play" /> Refresh
        </button>
        <span className="sep" />
        <button className="btn" data-testid="add-row" disabled={!canEdit} onClick={() => edit(P.addRow(pending))} title="Add a row (columns with defaults are left to the server)">
          <Icon name="plus" /> Row
        </button>
        <span className="sep" />
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
        <span className="conn">
          <span className="dot" style={{ width: 8, height: 8, borderRadius: "50%", background: props.connectionColor ?? "var(--faint)" }} />
          {props.connectionName}
        </span>
        <span className="spacer" />
        <button className="btn" data-testid="page-prev" disabled={browse.offset === 0} onClick={() => change({ ...browse, offset: Math.max(0, browse.offset - (limit ?? 0)) })} title="Previous page">
          ‹
        </button>
        <span className="page" data-testid="page">
          {total === 0 ? "no rows" : `${formatCount(first)}–${formatCount(browse.offset + total)}`}
        </span>
        <button className="btn" data-testid="page-next" disabled={lastPage} onClick={() => change({ ...browse, offset: browse.offset + (limit ?? 0) })} title="Next page">
          ›
        </button>
        <select
          className="input"
          data-testid="page-size"
          value={limit === null ? "all" : String(limit)}
          onChange={(e) => change({ ...browse, offset: 0, limit: e.target.value === "all" ? null : Number(e.target.value) })}
          title="Rows per page (All streams every row)"
        >
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {formatCount(n)} rows
            </option>
          ))}
          <option value="all">All rows</option>
        </select>
      </div>
      <FilterBar browse={browse} columns={info?.columns.map((c) => c.name) ?? null} whereText={whereText} setWhereText={setWhereText} change={change} />
      <div className="browse-sql">
        <code data-testid="browse-sql" title={loaded.sql}>
          {loaded.sql}
        </code>
        <button className="btn ghost" data-testid="copy-sql" disabled={loaded.sql === ""} onClick={() => void copyText(loaded.sql).then(() => props.notify("Query copied", "ok"))}>
          Copy
        </button>
      </div>
      {readOnlyReason !== null ? (
        <div className="banner" data-testid="read-only">
          Read-only: {readOnlyReason}.
        </div>
      ) : null}
      {refused !== null ? (
        <div className="error-box" data-testid="commit-error">
          <div className="title">{refused.title}</div>
          <div>{refused.message}</div>
          {refused.sql !== null ? <div className="where">{refused.sql}</div> : null}
        </div>
      ) : null}
      <div className="results">
        <div className="result-body">
          {openError !== null ? (
            <div className="error-box" data-testid="error">
              <div className="title">Cannot open {table?.name}</div>
              <div>{openError.message}</div>
            </div>
          ) : loaded.error !== null ? (
            <div className="error-box" data-testid="error">
              <div className="title">The rows could not be read</div>
              <div>{loaded.error.message}</div>
              {loaded.error.hint !== null ? <div className="extra">Hint: {loaded.error.hint}</div> : null}
            </div>
          ) : null}
          {loaded.result !== null && loaded.queryId !== null ? (
            <div className="docpane">
              <DataGrid
                key={loaded.queryId}
                queryId={loaded.queryId}
                result={loaded.result}
                notify={props.notify}
                onContextMenu={props.onContextMenu}
                editing={editing}
                sort={{ keys: sortKeys, onSort }}
                onOpenCell={(row, col) => {
                  const column = columns[col];
                  if (loaded.queryId !== null && loaded.result !== null && column !== undefined && row < total) props.openCell(loaded.queryId, loaded.result.index, row, col, column);
                }}
              />
            </div>
          ) : null}
        </div>
      </div>
      <div className="statusbar" data-testid="status">
        <span className={`state ${state === "Done" ? "ok" : state === "Error" ? "error" : "running"}`} data-testid="state">
          {state}
        </span>
        <span>
          <span className="num" data-testid="row-count">
            {formatCount(total)}
          </span>{" "}
          {total === 1 ? "row" : "rows"}
        </span>
        {info !== undefined ? <span data-testid="row-key">{keyText(info)}</span> : null}
        {pendingCount > 0 ? (
          <span className="pending-count" data-testid="pending-count">
            {formatCount(pendingCount)} pending
          </span>
        ) : null}
        {!loaded.running && loaded.queryId !== null ? <span className="num">{formatDuration(loaded.elapsedMs)}</span> : null}
      </div>
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
    </div>
  );
}
