// A table tab: a table's rows one page at a time, sorted and filtered on the server, with
// edits kept pending (marked in the grid) until the user reviews the statements and
// commits them, or discards them. The query and the statements are the core's.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api";
import type { Browse, Column, DbError, EditTable, Engine, UiEvent } from "../types";
import { errorMessage, isDbError } from "../types";
import { DataGrid, type GridResult, type MenuItem } from "./DataGrid";
import { Icon } from "./Icons";
import type { TabInfo } from "./QueryTab";
import { FilterBar } from "./FilterBar";
import { keyText } from "./tableColumns";
import { useEdits } from "./useEdits";
import { copyText } from "../lib/clipboard";
import { formatCount, formatDuration } from "../lib/format";

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
  const total = loaded.result?.total ?? 0;


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
  function change(b: Browse) {
    const pendingCount = edits.pendingCount;
    if (pendingCount > 0) {
      props.notify(`Commit or discard the ${pendingCount} pending ${pendingCount === 1 ? "change" : "changes"} first.`, "error");
      return;
    }
    setBrowse(b);
    edits.clearRefused();
    load(b);
  }

  const columns = useMemo(() => loaded.result?.columns ?? [], [loaded.result]);
  const info = opened?.table;
  const readOnlyReason = info === undefined ? null : info.key.kind === "read_only" ? info.key.reason : null;
  const edits = useEdits({
    connectionId: tab.connectionId,
    tabId: tab.id,
    engine: props.engine,
    table: info ?? null,
    computed: opened?.computed ?? [],
    // With a row id the address is the first column; the table's columns follow.
    columnOf: (col) => (opened?.rowIdColumn !== null && opened?.rowIdColumn !== undefined && col === 0 ? null : (columns[col]?.name ?? null)),
    notAColumn: (col) => `${columns[col]?.name ?? "This"} is the row's address, not a column: it cannot be edited`,
    readOnlyReason,
    queryId: loaded.queryId,
    resultIndex: loaded.result?.index ?? 0,
    total,
    width: columns.length,
    reload: () => load(browse),
    notify: props.notify,
    addFilter: (col, op, value) => {
      change({ ...browse, offset: 0, conditions: [...browse.conditions, { column: columns[col]?.name ?? "", op, value }] });
    },
  });
  const { editing, pendingCount } = edits;
  const nameOf = (col: number) => columns[col]?.name ?? "";
  const isAddress = (col: number) => opened?.rowIdColumn !== null && opened?.rowIdColumn !== undefined && col === 0;

  useEffect(() => {
    props.onPending(tab.id, pendingCount);
    // props callbacks are stable (from App)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pendingCount, tab.id]);

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
    .map(([name, dir]): [number, "asc" | "desc"] => [columns.findIndex((c, i) => c.name === name && !isAddress(i)), dir])
    .filter(([i]) => i >= 0);

  const limit = browse.limit;
  const lastPage = limit === null || total < limit;
  const first = browse.offset + 1;
  const state = loaded.running ? "Running…" : loaded.error !== null ? "Error" : "Done";

  return (
    <div className="querytab tabletab" hidden={!props.active} data-testid={`tab-${tab.id}`} onKeyDown={edits.onKeyDown}>
      <div className="toolbar">
        <button className="btn" data-testid="refresh" onClick={() => change(browse)} title="Read the rows again">
          <Icon name="play" /> Refresh
        </button>
        <span className="sep" />
        <button className="btn" data-testid="add-row" disabled={!edits.canEdit} onClick={edits.addRow} title="Add a row (columns with defaults are left to the server)">
          <Icon name="plus" /> Row
        </button>
        <span className="sep" />
        {edits.buttons}
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
      {edits.notices}
    </div>
  );
}
