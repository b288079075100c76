// One query tab: the editor above, results below, a toolbar and a status bar. Each tab has
// its own server session, so SET, temporary tables and transactions behave as in psql.
import { Suspense, lazy, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { EditorView } from "@codemirror/view";
import { api } from "../api";
import type { Column, DbError, Engine, Notice, UiEvent, Cell, ColumnInfo, JsonMode, TableInfo, TableRef } from "../types";
import { errorMessage, isDbError } from "../types";
import type { ErrorMark, SchemaSource } from "./SqlEditor";
import { DataGrid, type GridResult } from "./DataGrid";
import { DocumentView } from "./DocumentView";
import { ResultGrid } from "./ResultGrid";
import { Icon } from "./Icons";
import { statementAt, codePointOffset } from "../lib/statements";
import { shellStatementAt } from "../lib/shellStatements";
import { formatCount, formatDuration } from "../lib/format";
import { metrics } from "../metrics";

// CodeMirror is loaded with the first query tab, not at startup.
const SqlEditor = lazy(() => import("./SqlEditor").then((m) => ({ default: m.SqlEditor })));

export interface TabInfo {
  id: string;
  connectionId: string;
  title: string;
  sql: string;
  runOnOpen: boolean;
  /** A table tab: this table's rows, editable. */
  table?: TableRef;
}

interface ResultSet extends GridResult {
  command: string | null;
  rowsAffected: number | null;
  hasColumns: boolean;
}

type Message =
  | { kind: "notice"; notice: Notice }
  | { kind: "command"; text: string }
  | { kind: "error"; error: DbError };

interface RunState {
  queryId: string | null;
  running: boolean;
  startedAt: number;
  elapsedMs: number;
  results: ResultSet[];
  messages: Message[];
  error: DbError | null;
  cancelled: boolean;
  /** Where the text that ran starts in the editor, and the text itself. */
  offset: number;
  text: string;
  /** "line L, column C" of the error position in the editor. */
  errorWhere: string | null;
}

const idle: RunState = {
  queryId: null,
  running: false,
  startedAt: 0,
  elapsedMs: 0,
  results: [],
  messages: [],
  error: null,
  cancelled: false,
  offset: 0,
  text: "",
  errorWhere: null,
};

/** 1-based line and column in the editor of an error at code point `position` of the text
 *  that ran from `offset`. */
function whereInEditor(doc: string, offset: number, text: string, position: number): string {
  const upto = doc.slice(0, offset) + text.slice(0, codePointOffset(text, position));
  const lines = upto.split("\n");
  return `line ${lines.length}, column ${(lines[lines.length - 1] ?? "").length + 1}`;
}

export interface QueryTabApi {
  run: (all: boolean) => void;
  cancel: () => boolean;
  /** A transaction is open on the tab's session (closing it would roll that back). */
  inTransaction: () => boolean;
}

export function QueryTab(props: {
  tab: TabInfo;
  active: boolean;
  engine: Engine;
  connectionName: string;
  connectionColor: string | null;
  register: (id: string, api: QueryTabApi | null) => void;
  onSqlChange: (id: string, sql: string) => void;
  onRunning: (id: string, running: boolean) => void;
  openCell: (queryId: string, result: number, row: number, col: number, column: Column) => void;
  onContextMenu: (x: number, y: number, items: { label: string; action: () => void }[]) => void;
  notify: (message: string, kind?: "ok" | "error") => void;
  onConnectionLost: (id: string) => void;
  production: boolean;
  manualDefault: boolean;
  onPending: (id: string, count: number) => void;
  confirm: (title: string, text: string, confirm: string) => Promise<boolean>;
}) {
  const { tab } = props;
  const editor = useRef<EditorView | null>(null);
  const schema = useMemo(() => schemaSource(tab.connectionId), [tab.connectionId]);
  const [run, setRun] = useState<RunState>(idle);
  const [activeResult, setActiveResult] = useState<number | "messages">(0);
  const [editorHeight, setEditorHeight] = useState(38);
  const [docView, setDocView] = useState<"grid" | JsonMode>("grid");
  // Manual-commit mode: the tab's statements wait in a transaction for Commit or Rollback.
  const [manual, setManual] = useState(props.manualDefault && props.engine !== "mongodb");
  const [inTransaction, setInTransaction] = useState(false);
  const [ending, setEnding] = useState(false);
  const txRef = useRef(false);
  // Pending edits of the result shown (ResultGrid): a new run asks first.
  const pendingRef = useRef(0);
  const manualRef = useRef(false);
  useLayoutEffect(() => {
    txRef.current = inTransaction;
    manualRef.current = manual;
  });
  const runRef = useRef(run);
  useLayoutEffect(() => {
    runRef.current = run;
  });
  const started = useRef(0);

  const update = (f: (r: RunState) => RunState) => {
    setRun((r) => f(r));
  };

  const onEvent = useCallback((e: UiEvent) => {
    switch (e.type) {
      case "columns":
        update((r) => ({
          ...r,
          results: [
            ...r.results,
            {
              index: e.result,
              columns: e.columns,
              kinds: e.columns.map(() => "text"),
              total: 0,
              first: [],
              complete: false,
              command: null,
              rowsAffected: null,
              hasColumns: true,
            },
          ],
        }));
        if (runRef.current.results.length === 0) setActiveResult(0);
        break;
      case "columns_added":
        // A document with fields not seen before: the grid widens.
        update((r) => ({
          ...r,
          results: r.results.map((s) =>
            s.index === e.result ? { ...s, columns: [...s.columns, ...e.columns], kinds: [...s.kinds, ...e.columns.map(() => "text")] } : s,
          ),
        }));
        break;
      case "rows":
        update((r) => ({
          ...r,
          results: r.results.map((s) =>
            s.index === e.result
              ? {
                  ...s,
                  total: e.total,
                  first: e.append === null ? s.first : [...(s.first ?? []), ...e.append],
                  kinds: e.kinds ?? s.kinds,
                }
              : s,
          ),
        }));
        break;
      case "result_end":
        update((r) => {
          const exists = r.results.some((s) => s.index === e.result);
          const results = exists
            ? r.results.map((s) =>
                s.index === e.result
                  ? { ...s, complete: true, total: e.rows, command: e.command, rowsAffected: e.rows_affected }
                  : s,
              )
            : r.results;
          return {
            ...r,
            results,
            messages: e.command === null ? r.messages : [...r.messages, { kind: "command", text: e.command }],
          };
        });
        break;
      case "notice":
        update((r) => ({ ...r, messages: [...r.messages, { kind: "notice", notice: e.notice }] }));
        break;
      case "error": {
        const doc = editor.current?.state.doc.toString() ?? "";
        update((r) => ({
          ...r,
          error: e.error,
          errorWhere: e.error.position === null ? null : whereInEditor(doc, r.offset, r.text, e.error.position),
          messages: e.error.in_messages === true ? r.messages : [...r.messages, { kind: "error", error: e.error }],
        }));
        if (e.error.kind === "connection") props.onConnectionLost(tab.connectionId);
        break;
      }
      case "done": {
        const doneMs = performance.now() - started.current;
        if (metrics.lastRun !== null) metrics.lastRun.doneMs = doneMs;
        update((r) => ({ ...r, running: false, elapsedMs: e.elapsed_ms, cancelled: e.cancelled }));
        setInTransaction(e.in_transaction);
        props.onRunning(tab.id, false);
        break;
      }
    }
    // props callbacks are stable (from App)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  /** Runs `text` (which starts at `offset` in the editor) on the tab's session. */
  const start = useCallback(
    (offset: number, text: string) => {
      const previous = runRef.current.queryId;
      if (previous !== null) void api.closeQuery(previous);
      started.current = performance.now();
      metrics.lastRun = { firstRowMs: null, doneMs: null, rows: 0 };
      setRun({ ...idle, running: true, startedAt: Date.now(), offset, text });
      setActiveResult(0);
      props.onRunning(tab.id, true);
      api
        .runQuery(
          { connection_id: tab.connectionId, tab_id: tab.id, sql: text, database: null, timeout_ms: null, manual_commit: manualRef.current },
          onEvent,
        )
        .then((queryId) => {
          update((r) => ({ ...r, queryId }));
        })
        .catch((err: unknown) => {
          const error: DbError = isDbError(err)
            ? err
            : { kind: "internal", code: null, message: errorMessage(err), detail: null, hint: null, position: null };
          update((r) => ({ ...r, running: false, error, messages: [...r.messages, { kind: "error", error }] }));
          props.onRunning(tab.id, false);
          if (error.kind === "connection") props.onConnectionLost(tab.connectionId);
        });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [tab.id, tab.connectionId, onEvent],
  );

  const execute = useCallback(
    (all: boolean) => {
      const view = editor.current;
      if (view === null || runRef.current.running) return;
      const doc = view.state.doc.toString();
      const selection = view.state.selection.main;
      let offset = 0;
      let text = doc;
      if (!all) {
        if (!selection.empty) {
          offset = selection.from;
          text = doc.slice(selection.from, selection.to);
        } else {
          const s = props.engine === "mongodb" ? shellStatementAt(doc, selection.head) : statementAt(doc, selection.head);
          if (s !== null) {
            offset = s.from;
            text = doc.slice(s.from, s.to);
          }
        }
      }
      if (text.trim() === "") return;
      const go = () => {
        pendingRef.current = 0;
        start(offset, text);
      };
      const guarded = () => {
        if (!props.production || props.engine === "mongodb") {
          go();
          return;
        }
        // A production server: a statement that would change every row of a table asks first.
        void api
          .unboundedWrites(props.engine, text)
          .then(async (found) => {
            if (found.length === 0) go();
            else if (await props.confirm(`Change every row? (${props.connectionName} is production)`, `${found.length === 1 ? "This statement has" : "These statements have"} no WHERE and will change every row of the table:\n\n${found.join(";\n")}`, "Run it")) go();
          })
          .catch(() => {
            go();
          });
      };
      const unsaved = pendingRef.current;
      if (unsaved === 0) {
        guarded();
        return;
      }
      // A new run replaces the result whose rows the pending edits name.
      void props
        .confirm("Run and drop the pending edits?", `The result has ${unsaved} pending ${unsaved === 1 ? "change" : "changes"} that were not committed; running replaces it.`, "Run and drop them")
        .then((ok) => {
          if (ok) guarded();
        });
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [tab.id, tab.connectionId, onEvent, start],
  );

  const endTransaction = (commit: boolean) => {
    setEnding(true);
    api
      .endTransaction(tab.connectionId, tab.id, commit)
      .then((open) => {
        setInTransaction(open);
        props.notify(commit ? "Committed." : "Rolled back.", "ok");
      })
      .catch((e: unknown) => {
        props.notify(`${commit ? "Commit" : "Rollback"} failed: ${errorMessage(e)}`, "error");
      })
      .finally(() => {
        setEnding(false);
      });
  };

  const onResultPending = useCallback(
    (n: number) => {
      pendingRef.current = n;
      props.onPending(tab.id, n);
    },
    // props callbacks are stable (from App)
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [tab.id],
  );

  const painted = () => {
    if (metrics.lastRun !== null && metrics.lastRun.firstRowMs === null) {
      metrics.lastRun.firstRowMs = performance.now() - started.current;
    }
  };

  const cancel = useCallback(() => {
    const r = runRef.current;
    if (!r.running) return false;
    if (r.queryId !== null) void api.cancelQuery(r.queryId);
    return true;
  }, []);

  useEffect(() => {
    props.register(tab.id, { run: execute, cancel, inTransaction: () => txRef.current });
    return () => {
      props.register(tab.id, null);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tab.id, execute, cancel]);

  // "Open data" runs its query once the editor exists: CodeMirror loads lazily with the
  // first tab, so a run scheduled at mount could find no editor and be lost.
  const runOnReady = useRef(tab.runOnOpen);

  // The elapsed time ticks while a query runs.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!run.running) return;
    const t = setInterval(() => {
      setNow(Date.now());
    }, 100);
    return () => {
      clearInterval(t);
    };
  }, [run.running]);
  const elapsed = run.running ? now - run.startedAt : run.elapsedMs;

  const errorMark: ErrorMark | null = useMemo(() => {
    const p = run.error?.position;
    if (p === null || p === undefined) return null;
    const from = run.offset + codePointOffset(run.text, p);
    const rest = run.text.slice(from - run.offset);
    const word = /^[\w$"]+/.exec(rest);
    return { from, to: from + Math.max(word?.[0].length ?? 1, 1) };
  }, [run.error, run.offset, run.text]);

  const errorWhere = run.errorWhere;

  const resultSets = run.results;
  const current = activeResult === "messages" ? null : resultSets.find((r) => r.index === resultSets[activeResult]?.index) ?? null;
  const totalRows = resultSets.reduce((n, r) => n + r.total, 0);
  const affected = resultSets.reduce((n, r) => n + (r.rowsAffected ?? 0), 0);
  const lastAffected = run.messages.length > 0;

  const startDrag = (e: React.MouseEvent) => {
    e.preventDefault();
    const box = (e.currentTarget.parentElement as HTMLElement).getBoundingClientRect();
    const move = (ev: MouseEvent) => {
      setEditorHeight(Math.min(85, Math.max(12, ((ev.clientY - box.top) / box.height) * 100)));
    };
    const up = () => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  };

  const state = run.running ? "running" : run.error !== null ? (run.cancelled ? "cancelled" : "error") : run.queryId !== null || run.results.length > 0 ? "done" : "idle";

  return (
    <div className="querytab" hidden={!props.active} data-testid={`tab-${tab.id}`} style={{ ["--editor-h" as string]: `${editorHeight}%` }}>
      <div className="toolbar">
        <button className="btn primary" data-testid="run" disabled={run.running} onClick={() => execute(false)} title="Run the statement under the cursor, or the selection (Ctrl+Enter)">
          <Icon name="play" /> Run
        </button>
        <button className="btn" data-testid="run-all" disabled={run.running} onClick={() => execute(true)} title="Run the whole script (Ctrl+Shift+Enter)">
          Run all
        </button>
        {run.running ? (
          <button className="btn danger" data-testid="cancel" onClick={() => cancel()} title="Stop the query on the server (Esc)">
            <Icon name="stop" /> Cancel <span className="elapsed-in-btn">{formatDuration(elapsed)}</span>
          </button>
        ) : null}
        <span className="conn">
          <span className="dot" style={{ width: 8, height: 8, borderRadius: "50%", background: props.connectionColor ?? "var(--faint)" }} />
          {props.connectionName}
        </span>
        <span className="spacer" />
        {inTransaction ? (
          <>
            <span className="tx-open" data-testid="tx-open" title="Statements run since the transaction began wait for Commit or Rollback">
              Transaction open
            </span>
            <button className="btn" data-testid="tx-commit" disabled={run.running || ending} onClick={() => endTransaction(true)}>
              Commit
            </button>
            <button className="btn danger" data-testid="tx-rollback" disabled={run.running || ending} onClick={() => endTransaction(false)}>
              Rollback
            </button>
          </>
        ) : null}
        {props.engine !== "mongodb" ? (
          <button
            className={`btn${manual ? " active" : ""}`}
            data-testid="tx-mode"
            aria-pressed={manual}
            onClick={() => setManual((m) => !m)}
            title={manual ? "Manual commit: each run joins a transaction that waits for Commit or Rollback. Click for auto-commit." : "Auto-commit: each statement is committed as it runs. Click for manual commit."}
          >
            {manual ? "Manual commit" : "Auto-commit"}
          </button>
        ) : null}
        {run.running ? (
          <span className="elapsed" data-testid="elapsed">
            {formatDuration(elapsed)}
          </span>
        ) : null}
      </div>
      <Suspense fallback={<div className="editor" />}>
        <SqlEditor
          engine={props.engine}
          initial={tab.sql}
          onReady={(view) => {
            editor.current = view;
            if (runOnReady.current) {
              runOnReady.current = false;
              setTimeout(() => {
                execute(true);
              }, 0);
            }
          }}
          schema={schema}
          errorMark={errorMark}
          onChange={(doc) => props.onSqlChange(tab.id, doc)}
          onRun={execute}
          onCancel={cancel}
        />
      </Suspense>
      <div className="hsplit" onMouseDown={startDrag} />
      <div className="results">
        {resultSets.length > 0 || run.messages.length > 0 ? (
          <div className="result-tabs" data-testid="result-tabs">
            {resultSets.map((r, i) => (
              <div
                key={r.index}
                className={`result-tab${activeResult === i ? " active" : ""}`}
                onClick={() => setActiveResult(i)}
                data-testid={`result-tab-${i}`}
              >
                Result {i + 1}
                <span className="count">{formatCount(r.total)}</span>
              </div>
            ))}
            <div
              className={`result-tab${activeResult === "messages" ? " active" : ""}`}
              onClick={() => setActiveResult("messages")}
              data-testid="messages-tab"
            >
              Messages<span className="count">{run.messages.length}</span>
            </div>
          </div>
        ) : null}
        <div className="result-body">
          {run.error !== null && (activeResult === "messages" || resultSets.length === 0) && run.error.kind !== "cancelled" ? (
            <div className="error-box" data-testid="error">
              <div className="title">{labelFor(run.error)}</div>
              <div>{run.error.message}</div>
              {errorWhere !== null ? <div className="where">at {errorWhere}</div> : null}
              {run.error.detail !== null ? <div className="extra">{run.error.detail}</div> : null}
              {run.error.hint !== null ? <div className="extra">Hint: {run.error.hint}</div> : null}
            </div>
          ) : null}
          {activeResult === "messages" ? (
            <div className="messages" data-testid="messages">
              {run.messages.map((m, i) => (
                <div key={i} className={`message ${m.kind === "notice" ? m.notice.severity.toLowerCase() : m.kind}`}>
                  {m.kind === "notice" ? (
                    <>
                      <span className="sev">{m.notice.severity}</span>
                      {m.notice.message}
                      {m.notice.detail !== null ? `\n${m.notice.detail}` : ""}
                    </>
                  ) : m.kind === "command" ? (
                    m.text
                  ) : (
                    <>
                      <span className="sev" style={{ color: "var(--danger)" }}>
                        ERROR
                      </span>
                      {m.error.message}
                    </>
                  )}
                </div>
              ))}
            </div>
          ) : current !== null && current.hasColumns && run.queryId !== null && current.columns[0]?.document === true && docView !== "grid" ? (
            <div className="docpane">
              <ViewSwitch view={docView} onChange={setDocView} />
              <DocumentView key={`${run.queryId}-${current.index}`} queryId={run.queryId} result={current.index} total={current.total} mode={docView} />
            </div>
          ) : current !== null && current.hasColumns && run.queryId !== null && current.columns[0]?.document === true ? (
            <div className="docpane">
            <ViewSwitch view={docView} onChange={setDocView} />
            <DataGrid
              key={`${run.queryId}-${current.index}`}
              queryId={run.queryId}
              result={current}
              notify={props.notify}
              onContextMenu={props.onContextMenu}
              onOpenCell={(row, col) => {
                const column = current.columns[col];
                if (run.queryId !== null && column !== undefined) props.openCell(run.queryId, current.index, row, col, column);
              }}
              onPainted={() => {
                if (metrics.lastRun !== null && metrics.lastRun.firstRowMs === null) {
                  metrics.lastRun.firstRowMs = performance.now() - started.current;
                }
              }}
            />
            </div>
          ) : current !== null && current.hasColumns && run.queryId !== null ? (
            <ResultGrid
              key={`${run.queryId}-${current.index}`}
              connectionId={tab.connectionId}
              tabId={tab.id}
              engine={props.engine}
              queryId={run.queryId}
              result={current}
              notify={props.notify}
              onContextMenu={props.onContextMenu}
              onOpenCell={(row, col) => {
                const column = current.columns[col];
                if (run.queryId !== null && column !== undefined) props.openCell(run.queryId, current.index, row, col, column);
              }}
              onPainted={painted}
              rerun={() => {
                pendingRef.current = 0;
                start(run.offset, run.text);
              }}
              onPending={onResultPending}
            />
          ) : resultSets.length === 0 && run.error?.kind === "cancelled" ? (
            // Nothing came back: say what happened rather than leave the pane blank.
            <div className="placeholder" data-testid="cancelled-note">
              <div>Cancelled before any rows came back.</div>
              {run.error.detail !== null ? <div>{run.error.detail}</div> : null}
            </div>
          ) : resultSets.length === 0 && run.error === null ? (
            <div className="placeholder">
              {run.running ? (
                "Waiting for the first rows…"
              ) : run.messages.length > 0 ? (
                run.messages.map((m, i) => (m.kind === "command" ? <div key={i}>{m.text}</div> : null))
              ) : (
                <>
                  <div>
                    <kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs the statement under the cursor
                  </div>
                  <div>
                    <kbd>Ctrl</kbd>+<kbd>Shift</kbd>+<kbd>Enter</kbd> runs everything · <kbd>Esc</kbd> cancels
                  </div>
                </>
              )}
            </div>
          ) : null}
        </div>
      </div>
      <div className="statusbar" data-testid="status">
        <span className={`state ${state === "done" ? "ok" : state === "error" ? "error" : state === "running" ? "running" : ""}`} data-testid="state">
          {state === "running" ? "Running…" : state === "done" ? "Done" : state === "error" ? "Error" : state === "cancelled" ? "Cancelled" : "Ready"}
        </span>
        {resultSets.length > 0 ? (
          <span>
            <span className="num" data-testid="row-count">
              {formatCount(current?.total ?? totalRows)}
            </span>{" "}
            {(current?.total ?? totalRows) === 1 ? "row" : "rows"}
            {current !== null && !current.complete ? (run.running ? ", fetching more…" : ", incomplete (stopped)") : ", all fetched"}
          </span>
        ) : null}
        {lastAffected && affected > 0 ? (
          <span>
            <span className="num">{formatCount(affected)}</span> affected
          </span>
        ) : null}
        {state !== "idle" ? (
          <span>
            <span className="num" data-testid="elapsed-total">
              {formatDuration(elapsed)}
            </span>
          </span>
        ) : null}
        {resultSets.length > 1 ? <span>{resultSets.length} result sets</span> : null}
      </div>
    </div>
  );
}

/** Grid or JSON for a result of documents (MongoDB). */
function ViewSwitch(props: { view: "grid" | JsonMode; onChange: (v: "grid" | JsonMode) => void }) {
  const views: { v: "grid" | JsonMode; label: string; title: string }[] = [
    { v: "grid", label: "Grid", title: "One column per top-level field" },
    { v: "typed", label: "JSON", title: "Extended JSON, relaxed except where that would lose a type (Int64)" },
    { v: "relaxed", label: "Relaxed", title: "Relaxed Extended JSON, as mongoexport writes it" },
    { v: "canonical", label: "Canonical", title: "Canonical Extended JSON: every type spelled out" },
  ];
  return (
    <div className="view-switch" data-testid="view-switch">
      {views.map((x) => (
        <button key={x.v} className={`btn${props.view === x.v ? " active" : ""}`} title={x.title} data-testid={`view-${x.v}`} onClick={() => props.onChange(x.v)}>
          {x.label}
        </button>
      ))}
    </div>
  );
}

function labelFor(e: DbError): string {
  const labels: Record<string, string> = {
    syntax: "Syntax error",
    not_found: "Not found",
    permission: "Permission denied",
    timeout: "Timed out",
    constraint: "Constraint violated",
    connection: "Connection problem",
    auth: "Authentication failed",
    unsupported: "Not supported",
    query: "Query failed",
    internal: "Internal error",
    tls: "TLS error",
    cancelled: "Cancelled",
    limit: "Limit reached",
  };
  return `${labels[e.kind] ?? "Error"}${e.code !== null ? ` (${e.code})` : ""}`;
}

/** Completion data for one connection, cached for the tab's life. */
function schemaSource(connectionId: string): SchemaSource {
  const tables = new Map<string, Promise<TableInfo[]>>();
  const columns = new Map<string, Promise<ColumnInfo[]>>();
  return {
    tables: (schema) => {
      const key = schema ?? "";
      let p = tables.get(key);
      if (p === undefined) {
        p = api.listTables(connectionId, null, schema);
        tables.set(key, p);
        p.catch(() => tables.delete(key));
      }
      return p;
    },
    columns: (table: TableRef) => {
      const key = `${table.schema ?? ""}\u0000${table.name}`;
      let p = columns.get(key);
      if (p === undefined) {
        p = api.tableColumns(connectionId, table);
        columns.set(key, p);
        p.catch(() => columns.delete(key));
      }
      return p;
    },
  };
}

export type { Cell };
