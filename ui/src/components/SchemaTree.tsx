// The navigator: saved connections at the top, each expanding lazily into its schema tree
// (one round trip per level). Virtualized and filterable, so 20,000 tables scroll smoothly.
import { useCallback, useImperativeHandle, useLayoutEffect, useMemo, useRef, useState, type Ref } from "react";
import { api } from "../api";
import type { SavedConnection, SchemaNode } from "../types";
import { errorMessage } from "../types";
import { Icon, nodeIcon } from "./Icons";
import { useVirtualRows } from "../lib/virtual";
import { compactCount, formatBytes } from "../lib/format";
import { metrics } from "../metrics";

const ROW_H = 24;

export type ConnStatus = "disconnected" | "connecting" | "connected" | "lost";

interface NodeState {
  children: SchemaNode[] | null;
  loading: boolean;
  error: string | null;
}

type Row =
  | { type: "conn"; key: string; conn: SavedConnection; depth: 0 }
  | { type: "node"; key: string; conn: SavedConnection; node: SchemaNode; depth: number }
  | { type: "info"; key: string; conn: SavedConnection; text: string; depth: number; error: boolean; retry?: () => void };

export interface TreeActions {
  connect: (id: string) => Promise<boolean>;
  disconnect: (id: string) => void;
  edit: (conn: SavedConnection) => void;
  remove: (conn: SavedConnection) => void;
  newQuery: (conn: SavedConnection, sql?: string) => void;
  openData: (conn: SavedConnection, node: SchemaNode) => void;
  openTable: (conn: SavedConnection, node: SchemaNode) => void;
  showDdl: (conn: SavedConnection, node: SchemaNode) => void;
  copy: (text: string, what: string) => void;
  menu: (x: number, y: number, items: { label: string; action: () => void }[]) => void;
}

export interface TreeHandle {
  focusFilter: () => void;
  forget: (connectionId: string) => void;
}

const keyOf = (connId: string, path: string[]) => `c:${connId}\u0000${path.join("\u0001")}`;
const tableLike = new Set(["table", "view", "materialized_view", "foreign_table", "collection"]);

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

export function SchemaTree(props: {
  connections: SavedConnection[];
  status: Record<string, ConnStatus>;
  actions: TreeActions;
  handle: Ref<TreeHandle>;
}) {
  const { connections, status, actions } = props;
  const [nodes, setNodes] = useState<Map<string, NodeState>>(new Map());
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [filter, setFilter] = useState("");
  const filterInput = useRef<HTMLInputElement | null>(null);
  const pending = useRef<{ key: string; path: string[]; t0: number } | null>(null);

  useImperativeHandle(props.handle, () => ({
    focusFilter: () => filterInput.current?.focus(),
    forget: (connectionId: string) => {
      const prefix = `c:${connectionId}\u0000`;
      setNodes((m) => new Map([...m].filter(([k]) => !k.startsWith(prefix))));
      setExpanded((s) => new Set([...s].filter((k) => !k.startsWith(prefix) && k !== `c:${connectionId}`)));
    },
  }));

  const load = useCallback(async (conn: SavedConnection, path: string[]) => {
    const key = keyOf(conn.id, path);
    pending.current = { key, path, t0: performance.now() };
    setNodes((m) => new Map(m).set(key, { children: m.get(key)?.children ?? null, loading: true, error: null }));
    try {
      const children = await api.listChildren(conn.id, path);
      setNodes((m) => new Map(m).set(key, { children, loading: false, error: null }));
    } catch (e) {
      setNodes((m) => new Map(m).set(key, { children: null, loading: false, error: errorMessage(e) }));
    }
  }, []);

  const toggleConnection = useCallback(
    async (conn: SavedConnection) => {
      const key = `c:${conn.id}`;
      if (expanded.has(key)) {
        setExpanded((s) => {
          const n = new Set(s);
          n.delete(key);
          return n;
        });
        return;
      }
      if (status[conn.id] !== "connected" && status[conn.id] !== "lost") {
        const ok = await actions.connect(conn.id);
        if (!ok) return;
      }
      setExpanded((s) => new Set(s).add(key));
      if (!nodes.has(keyOf(conn.id, []))) await load(conn, []);
    },
    [expanded, status, actions, nodes, load],
  );

  const toggleNode = useCallback(
    (conn: SavedConnection, node: SchemaNode) => {
      if (!node.expandable) return;
      const key = keyOf(conn.id, node.path);
      if (expanded.has(key)) {
        setExpanded((s) => {
          const n = new Set(s);
          n.delete(key);
          return n;
        });
        return;
      }
      setExpanded((s) => new Set(s).add(key));
      if (!nodes.has(key)) void load(conn, node.path);
    },
    [expanded, nodes, load],
  );

  // Record how long an expansion took, once its children are on screen.
  useLayoutEffect(() => {
    const p = pending.current;
    if (p === null) return;
    const state = nodes.get(p.key);
    if (state === undefined || state.loading) return;
    pending.current = null;
    const count = state.children?.length ?? 0;
    requestAnimationFrame(() => {
      metrics.treeExpands.push({ path: p.path, count, ms: performance.now() - p.t0 });
    });
  }, [nodes]);

  const needle = filter.trim().toLowerCase();
  const rows = useMemo(() => {
    const out: Row[] = [];
    const matches = new Map<string, boolean>();
    const subtreeMatches = (connId: string, node: SchemaNode): boolean => {
      const key = keyOf(connId, node.path);
      const known = matches.get(key);
      if (known !== undefined) return known;
      let m = node.name.toLowerCase().includes(needle);
      if (!m) {
        const children = nodes.get(key)?.children;
        if (children) m = children.some((c) => subtreeMatches(connId, c));
      }
      matches.set(key, m);
      return m;
    };
    const walk = (conn: SavedConnection, path: string[], depth: number) => {
      const key = keyOf(conn.id, path);
      const state = nodes.get(key);
      if (state === undefined || (state.loading && state.children === null)) {
        out.push({ type: "info", key: `${key}#loading`, conn, text: "Loading…", depth, error: false });
        return;
      }
      if (state.error !== null) {
        out.push({
          type: "info",
          key: `${key}#error`,
          conn,
          text: state.error,
          depth,
          error: true,
          retry: () => void load(conn, path),
        });
        return;
      }
      const children = state.children ?? [];
      if (children.length === 0) {
        out.push({ type: "info", key: `${key}#empty`, conn, text: "(empty)", depth, error: false });
        return;
      }
      for (const node of children) {
        if (needle !== "" && !subtreeMatches(conn.id, node)) continue;
        const nodeKey = keyOf(conn.id, node.path);
        out.push({ type: "node", key: nodeKey, conn, node, depth });
        const open = expanded.has(nodeKey) || (needle !== "" && nodes.has(nodeKey) && !node.name.toLowerCase().includes(needle));
        if (open && node.expandable) walk(conn, node.path, depth + 1);
      }
    };
    for (const conn of connections) {
      out.push({ type: "conn", key: `c:${conn.id}`, conn, depth: 0 });
      if (expanded.has(`c:${conn.id}`)) walk(conn, [], 1);
    }
    return out;
  }, [connections, nodes, expanded, needle, load]);

  const v = useVirtualRows(rows.length, ROW_H);

  const activate = (row: Row) => {
    setSelected(row.key);
    if (row.type === "conn") void toggleConnection(row.conn);
    else if (row.type === "node") toggleNode(row.conn, row.node);
    else row.retry?.();
  };

  // A click on a table selects it (a double click opens its data); its parts unfold from
  // the arrow. Everything else unfolds on a click.
  const onRowClick = (row: Row) => {
    if (row.type === "node" && tableLike.has(row.node.kind)) setSelected(row.key);
    else activate(row);
  };
  const onTwisty = (row: Row, e: React.MouseEvent) => {
    e.stopPropagation();
    activate(row);
  };

  const menuFor = (row: Row, e: React.MouseEvent) => {
    e.preventDefault();
    menuAt(row, e.clientX, e.clientY);
  };

  const menuAt = (row: Row, x: number, y: number) => {
    setSelected(row.key);
    const items: { label: string; action: () => void }[] = [];
    if (row.type === "conn") {
      const c = row.conn;
      const connected = status[c.id] === "connected" || status[c.id] === "lost";
      items.push({ label: "New query", action: () => actions.newQuery(c) });
      items.push(
        connected
          ? { label: "Disconnect", action: () => actions.disconnect(c.id) }
          : { label: "Connect", action: () => void toggleConnection(c) },
      );
      if (connected) {
        items.push({
          label: "Refresh",
          action: () => {
            forgetChildren(c.id);
            void load(c, []);
          },
        });
      }
      items.push({ label: "Edit connection…", action: () => actions.edit(c) });
      items.push({ label: "Delete connection", action: () => actions.remove(c) });
    } else if (row.type === "node") {
      const { node, conn } = row;
      if (node.table !== null && tableLike.has(node.kind)) {
        if (conn.config.engine !== "mongodb") items.push({ label: "Open table", action: () => actions.openTable(conn, node) });
        items.push({ label: "Query first 1000 rows", action: () => actions.openData(conn, node) });
      }
      if (node.table !== null && (tableLike.has(node.kind) || node.kind === "sequence")) {
        items.push({ label: "Show DDL", action: () => actions.showDdl(conn, node) });
      }
      // SQL Server has TOP where the others have LIMIT.
      const sample = (name: string) => (conn.config.engine === "mssql" ? `SELECT TOP 100 *\n  FROM ${name};` : `SELECT *\n  FROM ${name}\n LIMIT 100;`);
      items.push({ label: "New query here", action: () => actions.newQuery(conn, node.table !== null ? sample(qualified(node)) : undefined) });
      items.push({ label: "Copy name", action: () => actions.copy(node.name, "name") });
      if (node.table !== null) items.push({ label: "Copy qualified name", action: () => actions.copy(qualified(node), "qualified name") });
      if (node.expandable) items.push({ label: "Refresh", action: () => void load(conn, node.path) });
    }
    if (items.length > 0) actions.menu(x, y, items);
  };

  const forgetChildren = (connId: string) => {
    const prefix = `c:${connId}\u0000`;
    setNodes((m) => new Map([...m].filter(([k]) => !k.startsWith(prefix))));
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    const index = rows.findIndex((r) => r.key === selected);
    const move = (to: number) => {
      const r = rows[Math.min(Math.max(to, 0), rows.length - 1)];
      if (r !== undefined) {
        setSelected(r.key);
        const el = v.ref.current;
        if (el) {
          const top = rows.indexOf(r) * ROW_H;
          if (top < el.scrollTop) el.scrollTop = top;
          else if (top + ROW_H > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_H - el.clientHeight;
        }
      }
    };
    const row = rows[index];
    if (row !== undefined && (e.key === "ContextMenu" || (e.shiftKey && e.key === "F10"))) {
      // The keyboard's menu key opens the same menu as a right click, beside the row.
      const box = v.ref.current?.getBoundingClientRect();
      const top = (box?.top ?? 0) + index * ROW_H - (v.ref.current?.scrollTop ?? 0);
      menuAt(row, (box?.left ?? 0) + 40, top + ROW_H);
      e.preventDefault();
      return;
    }
    if (e.key === "ArrowDown") move(index + 1);
    else if (e.key === "ArrowUp") move(index - 1);
    else if (row === undefined) return;
    else if (e.key === "Enter") {
      if (row.type === "node" && row.node.table !== null && tableLike.has(row.node.kind)) actions.openTable(row.conn, row.node);
      else activate(row);
    } else if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      const open = expanded.has(row.key);
      if ((e.key === "ArrowRight") !== open) activate(row);
    } else return;
    e.preventDefault();
  };

  const visible = rows.slice(v.first, v.last);
  return (
    <>
      <div className="tree-filter">
        <Icon name="search" />
        <input
          ref={filterInput}
          placeholder="Filter loaded objects  (Ctrl+Shift+F)"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") setFilter("");
          }}
          data-testid="tree-filter"
        />
      </div>
      <div className="tree" ref={v.ref} onScroll={v.onScroll} tabIndex={0} onKeyDown={onKeyDown} data-testid="tree">
        {connections.length === 0 ? (
          <div className="tree-empty">No connections yet. Press + to add one.</div>
        ) : null}
        <div style={{ height: v.total, position: "relative" }}>
          {visible.map((row, i) => {
            const top = (v.first + i) * ROW_H;
            const pad = 8 + row.depth * 16;
            if (row.type === "conn") {
              const st = status[row.conn.id] ?? "disconnected";
              const open = expanded.has(row.key);
              return (
                <div
                  key={row.key}
                  className={`tree-row${selected === row.key ? " selected" : ""}`}
                  style={{ top, paddingLeft: pad }}
                  onClick={() => activate(row)}
                  onContextMenu={(e) => menuFor(row, e)}
                  data-testid={`conn-${row.conn.id}`}
                  data-name={row.conn.name}
                  title={`${row.conn.name} — ${st}`}
                >
                  <span className={`twisty${open ? " open" : ""}`}>
                    <Icon name="chevron" />
                  </span>
                  <span className="dot" style={{ background: row.conn.color ?? "var(--faint)" }} />
                  <span className="name" style={{ fontWeight: 600 }}>
                    {row.conn.name}
                  </span>
                  <span className={`state ${st}`} data-testid={`conn-state-${row.conn.id}`} data-state={st} />
                </div>
              );
            }
            if (row.type === "info") {
              return (
                <div
                  key={row.key}
                  className={`tree-row${row.error ? " error" : ""}`}
                  style={{ top, paddingLeft: pad + 20 }}
                  onClick={() => row.retry?.()}
                  title={row.error ? "Click to retry" : undefined}
                >
                  <span className={row.error ? "name" : "tree-message"}>{row.text}</span>
                </div>
              );
            }
            const { node } = row;
            const open = expanded.has(row.key);
            const badge =
              node.count !== null
                ? compactCount(node.count)
                : node.row_estimate !== null && tableLike.has(node.kind)
                  ? `${compactCount(node.row_estimate)} rows`
                  : node.size_bytes !== null && node.kind === "database"
                    ? formatBytes(node.size_bytes)
                    : null;
            return (
              <div
                key={row.key}
                className={`tree-row${selected === row.key ? " selected" : ""}`}
                style={{ top, paddingLeft: pad }}
                onClick={() => onRowClick(row)}
                onDoubleClick={() => {
                  if (node.table !== null && tableLike.has(node.kind)) actions.openTable(row.conn, node);
                }}
                onContextMenu={(e) => menuFor(row, e)}
                data-testid="tree-node"
                data-kind={node.kind}
                data-name={node.name}
                data-conn={row.conn.id}
                data-path={node.path.join("/")}
                title={[node.name, node.detail, node.comment].filter((x) => x !== null && x !== "").join(" — ")}
              >
                <span
                  className={`twisty${open ? " open" : ""}`}
                  style={{ visibility: node.expandable ? "visible" : "hidden" }}
                  onClick={(e) => onTwisty(row, e)}
                  data-testid="twisty"
                >
                  <Icon name="chevron" />
                </span>
                <Icon name={nodeIcon(node.kind, node.detail)} />
                <span className="name">{node.name}</span>
                {node.detail !== null && node.kind !== "database" ? <span className="detail">{node.detail}</span> : null}
                {badge !== null ? <span className="badge">{badge}</span> : null}
              </div>
            );
          })}
        </div>
      </div>
    </>
  );
}

/** The table name as SQL: schema-qualified and quoted where needed. */
export function qualified(node: SchemaNode): string {
  const t = node.table;
  if (t === null) return quoteIdent(node.name);
  return t.schema !== null && t.schema !== "main" && t.schema !== "public"
    ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`
    : quoteIdent(t.name);
}
