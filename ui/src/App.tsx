// The window: navigator on the left, query tabs on the right, dialogs on top.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { getCurrentWindow } from "@tauri-apps/api/window";
import { api, onConnectionStatus } from "./api";
import type { AppInfo, Column, DbError, SavedConnection, SchemaNode } from "./types";
import { errorMessage, isDbError } from "./types";
import { SchemaTree, type ConnStatus, type TreeHandle, qualified } from "./components/SchemaTree";
import { QueryTab, type QueryTabApi, type TabInfo } from "./components/QueryTab";
import { TableTab } from "./components/TableTab";
import { ConnectionDialog } from "./components/ConnectionDialog";
import { CertificateChangedDialog, SqliteCreateDialog, UnverifiedServerDialog, serverAddress } from "./components/ConnectProblems";
import { SettingsDialog } from "./components/SettingsDialog";
import {
  CommandPalette,
  ConfirmDialog,
  ContextMenu,
  PasswordPrompt,
  ShortcutsDialog,
  TextViewer,
  Toasts,
  type MenuState,
  type PaletteCommand,
  type Toast,
} from "./components/Dialogs";
import { Icon } from "./components/Icons";
import { useTheme } from "./theme";
import { newId } from "./lib/ids";
import { charCount, copyText } from "./lib/clipboard";
import { formatCount } from "./lib/format";
import { mark, metrics } from "./metrics";

type Dialog =
  | { type: "connection"; existing: SavedConnection | null }
  | { type: "password"; conn: SavedConnection; reason: string | null; resolve: (ok: boolean) => void }
  // The questions a connect can end in. `password` is the one typed for that connect, so the
  // retry after the answer does not ask for it again.
  | {
      type: "certificate";
      conn: SavedConnection;
      certificate: { pinned: string; presented: string };
      password: string | null;
      resolve: (ok: boolean) => void;
    }
  | { type: "unverified"; conn: SavedConnection; error: DbError; password: string | null; resolve: (ok: boolean) => void }
  | { type: "sqlite-create"; conn: SavedConnection; resolve: (ok: boolean) => void }
  | { type: "settings" }
  | { type: "text"; title: string; text: string; pretty: string | null; meta?: string; testid?: string }
  | { type: "shortcuts" }
  | { type: "palette" }
  | { type: "confirm"; title: string; text: string; confirm: string; resolve: (ok: boolean) => void }
  | null;

export function App() {
  const [connections, setConnections] = useState<SavedConnection[] | null>(null);
  const [status, setStatus] = useState<Record<string, ConnStatus>>({});
  const [appInfo, setAppInfo] = useState<AppInfo | null>(null);
  const [tabs, setTabs] = useState<TabInfo[]>([]);
  const [activeTab, setActiveTab] = useState<string | null>(null);
  const [running, setRunning] = useState<Record<string, boolean>>({});
  const [dialog, setDialog] = useState<Dialog>(null);
  const [menu, setMenu] = useState<MenuState | null>(null);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [sidebar, setSidebar] = useState(300);
  const [themeChoice, theme, setTheme] = useTheme();
  const tree = useRef<TreeHandle | null>(null);
  const tabApis = useRef(new Map<string, QueryTabApi>());
  // Pending edits of each table tab: closing such a tab asks first.
  const pendingEdits = useRef(new Map<string, number>());
  const toastId = useRef(0);

  const notify = useCallback((text: string, kind: "ok" | "error" | "info" = "info") => {
    const id = ++toastId.current;
    setToasts((t) => [...t.slice(-3), { id, text, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 7000 : 3500);
  }, []);

  const applyList = useCallback((list: SavedConnection[]) => {
    setConnections(list);
    setStatus((s) => {
      const next: Record<string, ConnStatus> = {};
      for (const c of list) {
        next[c.id] = c.connected ? (s[c.id] === "lost" ? "lost" : "connected") : s[c.id] === "connecting" ? "connecting" : "disconnected";
      }
      return next;
    });
  }, []);
  const listFailed = useCallback(
    (e: unknown) => {
      notify(`Could not read saved connections: ${errorMessage(e)}`, "error");
      setConnections([]);
    },
    [notify],
  );
  const reload = useCallback(() => api.listConnections().then(applyList, listFailed), [applyList, listFailed]);

  useEffect(() => {
    mark("mounted");
    api.listConnections().then((list) => {
      mark("connections");
      applyList(list);
    }, listFailed);
    api.appInfo().then(setAppInfo).catch((e: unknown) => notify(errorMessage(e), "error"));
    const unlisten = onConnectionStatus((s) => {
      setStatus((st) => (st[s.id] === undefined || st[s.id] === "disconnected" ? st : { ...st, [s.id]: s.ok ? "connected" : "lost" }));
      if (s.ok) notify("Connection is back.", "ok");
      else notify(`Lost the connection: ${s.message ?? "no answer"}. DB-Hive reconnects when you next use it.`, "error");
    });
    return () => {
      void unlisten.then((f) => f());
    };
  }, [applyList, listFailed, notify]);

  useLayoutEffect(() => {
    if (connections !== null && metrics.readyAt === null) {
      mark("rendered");
      // The window starts hidden and shows with its first content (src-tauri/src/commands/window.rs).
      // Should this call fail, the shell shows the window by itself after 3 s.
      api.windowReady().catch(() => undefined);
      requestAnimationFrame(() => {
        mark("painted");
        metrics.readyAt = Date.now();
      });
    }
  }, [connections]);

  const byId = useMemo(() => new Map((connections ?? []).map((c) => [c.id, c])), [connections]);

  // The window title names the active tab and its connection, and says production loudly.
  const activeConn = byId.get(tabs.find((t) => t.id === activeTab)?.connectionId ?? "");
  const activeTitle = tabs.find((t) => t.id === activeTab)?.title;
  useEffect(() => {
    const title =
      activeConn === undefined || activeTitle === undefined
        ? "DB-Hive"
        : `${activeConn.production ? "[PRODUCTION] " : ""}${activeTitle} — ${activeConn.name} — DB-Hive`;
    document.title = title;
    getCurrentWindow()
      .setTitle(title)
      .catch(() => undefined);
  }, [activeConn, activeTitle]);

  /** Reloads the list and returns the connection as saved now (the backend may have pinned
   * a certificate or changed a setting since `conn` was read). */
  const refreshed = useCallback(
    async (conn: SavedConnection): Promise<SavedConnection> => {
      try {
        const list = await api.listConnections();
        applyList(list);
        return list.find((c) => c.id === conn.id) ?? conn;
      } catch {
        return conn;
      }
    },
    [applyList],
  );

  /** Connects `conn`. The promise says whether it ended connected, after any question the
   * connect raised (password, certificate, missing file) was answered. `askPassword: false`
   * reports an authentication failure instead of prompting (the password was just typed). */
  const connectTo = useCallback(
    async (
      conn: SavedConnection,
      password: string | null = null,
      how: { createFile?: boolean; askPassword?: boolean } = {},
    ): Promise<boolean> => {
      const id = conn.id;
      const ask = (d: (resolve: (ok: boolean) => void) => Dialog) => new Promise<boolean>((resolve) => setDialog(d(resolve)));
      setStatus((s) => ({ ...s, [id]: "connecting" }));
      try {
        const info = await api.connect(id, password, how.createFile ?? false);
        setStatus((s) => ({ ...s, [id]: "connected" }));
        notify(`Connected to ${conn.name}: ${info.version.split(" on ")[0] ?? info.version}`, "ok");
        // A first connect over unverified TLS pinned the certificate: the list shows it now.
        if (info.tls !== null && !info.tls.verified && conn.config.tls_pin === null) void refreshed(conn);
        return true;
      } catch (e) {
        setStatus((s) => ({ ...s, [id]: "disconnected" }));
        if (isDbError(e)) {
          // These come before the password prompt: another password would not help with any of them.
          const certificate = e.certificate;
          if (e.code === "certificate_changed" && certificate !== undefined) {
            return ask((resolve) => ({ type: "certificate", conn, certificate, password, resolve }));
          }
          if (e.code === "unverified_server") {
            return ask((resolve) => ({ type: "unverified", conn, error: e, password, resolve }));
          }
          if (e.code === "sqlite_no_such_file" && !(how.createFile ?? false)) {
            return ask((resolve) => ({ type: "sqlite-create", conn, resolve }));
          }
          if (e.kind === "auth" && conn.config.engine !== "sqlite" && how.askPassword !== false) {
            const reason = password === null && !conn.save_password ? null : e.message;
            return ask((resolve) => ({ type: "password", conn, reason, resolve }));
          }
        }
        notify(`${conn.name}: ${errorMessage(e)}`, "error");
        return false;
      }
    },
    [notify, refreshed],
  );

  /** The user's answer changes the connection (`change`, which returns it); then the connect
   * it interrupted is tried again, and its promise resolves with that attempt's outcome. */
  const retryAfter = (
    asked: { conn: SavedConnection; password: string | null; resolve: (ok: boolean) => void },
    change: () => Promise<SavedConnection>,
  ) => {
    setDialog(null);
    void (async () => {
      let changed: SavedConnection;
      try {
        changed = await change();
      } catch (e) {
        notify(`${asked.conn.name}: ${errorMessage(e)}`, "error");
        asked.resolve(false);
        return;
      }
      asked.resolve(await connectTo(await refreshed(changed), asked.password));
    })();
  };

  const connect = useCallback(
    async (id: string, password: string | null = null): Promise<boolean> => {
      const conn = byId.get(id);
      return conn === undefined ? false : connectTo(conn, password);
    },
    [byId, connectTo],
  );

  const ask = useCallback(
    (title: string, text: string, confirm: string) => new Promise<boolean>((resolve) => setDialog({ type: "confirm", title, text, confirm, resolve })),
    [],
  );

  /** What closing these tabs would lose, in words; null if nothing. */
  const wouldLose = useCallback((ids: string[]): string | null => {
    const open = ids.filter((id) => tabApis.current.get(id)?.inTransaction() === true).length;
    const edits = ids.reduce((n, id) => n + (pendingEdits.current.get(id) ?? 0), 0);
    const parts = [];
    if (open > 0) parts.push(open === 1 ? "a transaction that is not committed (it will be rolled back)" : `${open} transactions that are not committed (they will be rolled back)`);
    if (edits > 0) parts.push(`${edits} pending ${edits === 1 ? "change" : "changes"} that were not committed`);
    return parts.length === 0 ? null : parts.join(" and ");
  }, []);

  const disconnect = useCallback(
    async (id: string) => {
      const lose = wouldLose(tabs.filter((t) => t.connectionId === id).map((t) => t.id));
      if (lose !== null && !(await ask("Disconnect?", `Tabs of this connection have ${lose}.`, "Disconnect and lose them"))) return;
      void api.disconnect(id).then(() => {
        setStatus((s) => ({ ...s, [id]: "disconnected" }));
        tree.current?.forget(id);
      });
    },
    [tabs, ask, wouldLose],
  );

  const ensureConnected = async (id: string) => status[id] === "connected" || status[id] === "lost" || connect(id);

  const newQuery = useCallback(
    async (conn: SavedConnection, sql = "", run = false, title?: string) => {
      if (!(await ensureConnected(conn.id))) return;
      const tab: TabInfo = { id: newId("tab"), connectionId: conn.id, title: title ?? conn.name, sql, runOnOpen: run };
      setTabs((t) => [...t, tab]);
      setActiveTab(tab.id);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [status, connect],
  );

  const closeTab = useCallback(async (id: string) => {
    const lose = wouldLose([id]);
    if (lose !== null && !(await ask("Close this tab?", `It has ${lose}.`, "Close and lose them"))) return;
    pendingEdits.current.delete(id);
    setTabs((t) => {
      const index = t.findIndex((x) => x.id === id);
      const tab = t[index];
      if (tab === undefined) return t;
      tabApis.current.get(id)?.cancel();
      void api.closeTab(tab.connectionId, tab.id).catch(() => undefined);
      const rest = t.filter((x) => x.id !== id);
      setActiveTab((a) => (a === id ? (rest[Math.min(index, rest.length - 1)]?.id ?? null) : a));
      return rest;
    });
  }, [ask, wouldLose]);

  /** A table tab: the table's rows, sorted, filtered, paged and edited there. MongoDB
   *  collections open as a query (their edits come with the document editor). */
  const openTable = useCallback(
    async (conn: SavedConnection, node: SchemaNode) => {
      if (node.table === null) return;
      if (conn.config.engine === "mongodb") {
        await openData(conn, node);
        return;
      }
      if (!(await ensureConnected(conn.id))) return;
      const tab: TabInfo = { id: newId("tab"), connectionId: conn.id, title: node.name, sql: "", runOnOpen: false, table: node.table };
      setTabs((t) => [...t, tab]);
      setActiveTab(tab.id);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [status, connect],
  );

  const openData = useCallback(
    async (conn: SavedConnection, node: SchemaNode) => {
      if (node.table === null) return;
      try {
        const sql = await api.selectRowsSql(conn.id, node.table, 1000);
        await newQuery(conn, sql, true, node.name);
      } catch (e) {
        notify(errorMessage(e), "error");
      }
    },
    [newQuery, notify],
  );

  const showDdl = useCallback(
    async (conn: SavedConnection, node: SchemaNode) => {
      if (node.table === null) return;
      try {
        const ddl = await api.tableDdl(conn.id, node.table);
        setDialog({ type: "text", title: `DDL of ${qualified(node)}`, text: ddl, pretty: null, meta: conn.name, testid: "ddl" });
      } catch (e) {
        notify(errorMessage(e), "error");
      }
    },
    [notify],
  );

  const openCell = useCallback(
    async (queryId: string, result: number, row: number, col: number, column: Column) => {
      try {
        const v = await api.cellValue(queryId, result, row, col);
        const text = v.text ?? "NULL";
        setDialog({
          type: "text",
          title: `${column.name} · row ${formatCount(row + 1)}`,
          text,
          pretty: v.pretty,
          meta: v.text === null ? "NULL" : `${column.type_name || v.kind} · ${formatCount(charCount(text))} characters`,
          testid: "cell-viewer",
        });
      } catch (e) {
        notify(errorMessage(e), "error");
      }
    },
    [notify],
  );

  const removeConnection = async (conn: SavedConnection) => {
    if (!window.confirm(`Delete the connection "${conn.name}"? Its saved password is removed from the keychain too.`)) return;
    try {
      await api.deleteConnection(conn.id);
      setTabs((t) => t.filter((x) => x.connectionId !== conn.id));
      tree.current?.forget(conn.id);
      await reload();
    } catch (e) {
      notify(errorMessage(e), "error");
    }
  };

  const activeInfo = tabs.find((t) => t.id === activeTab) ?? null;
  const firstConnected = (connections ?? []).find((c) => status[c.id] === "connected") ?? (connections ?? [])[0];
  const newTabForActive = () => {
    const conn = (activeInfo !== null ? byId.get(activeInfo.connectionId) : undefined) ?? firstConnected;
    if (conn !== undefined) void newQuery(conn);
    else setDialog({ type: "connection", existing: null });
  };
  const cycleTab = (delta: number) => {
    if (tabs.length === 0) return;
    const i = tabs.findIndex((t) => t.id === activeTab);
    const next = tabs[(i + delta + tabs.length) % tabs.length];
    if (next !== undefined) setActiveTab(next.id);
  };
  const toggleTheme = () => setTheme(theme === "dark" ? "light" : "dark");

  const commands: PaletteCommand[] = [
    { label: "Run statement", keys: "Ctrl+Enter", run: () => activeTab !== null && tabApis.current.get(activeTab)?.run(false) },
    { label: "Run all", keys: "Ctrl+Shift+Enter", run: () => activeTab !== null && tabApis.current.get(activeTab)?.run(true) },
    { label: "Cancel query", keys: "Esc", run: () => activeTab !== null && tabApis.current.get(activeTab)?.cancel() },
    { label: "New query tab", keys: "Ctrl+T", run: newTabForActive },
    { label: "Close tab", keys: "Ctrl+W", run: () => activeTab !== null && void closeTab(activeTab) },
    { label: "New connection…", keys: "Ctrl+N", run: () => setDialog({ type: "connection", existing: null }) },
    { label: "Filter the schema tree", keys: "Ctrl+Shift+F", run: () => tree.current?.focusFilter() },
    { label: `Theme: ${theme === "dark" ? "light" : "dark"}`, keys: "Ctrl+Shift+L", run: toggleTheme },
    { label: "Theme: follow the system", run: () => setTheme("system") },
    { label: "Keyboard shortcuts", keys: "F1", run: () => setDialog({ type: "shortcuts" }) },
    { label: "Settings…", run: () => setDialog({ type: "settings" }) },
    ...(connections ?? []).map((c) => ({
      label: `${status[c.id] === "connected" ? "New query on" : "Connect to"} ${c.name}`,
      run: () => void newQuery(c),
    })),
  ];

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (dialog !== null && dialog.type !== "palette") return;
      if ((mod && key === "k") || (mod && e.shiftKey && key === "p")) {
        e.preventDefault();
        setDialog((d) => (d?.type === "palette" ? null : { type: "palette" }));
      } else if (e.key === "F1") {
        e.preventDefault();
        setDialog({ type: "shortcuts" });
      } else if (mod && !e.shiftKey && key === "t") {
        e.preventDefault();
        newTabForActive();
      } else if (mod && !e.shiftKey && key === "w") {
        e.preventDefault();
        if (activeTab !== null) void closeTab(activeTab);
      } else if (mod && !e.shiftKey && key === "n") {
        e.preventDefault();
        setDialog({ type: "connection", existing: null });
      } else if (mod && e.shiftKey && key === "f") {
        e.preventDefault();
        tree.current?.focusFilter();
      } else if (mod && e.shiftKey && key === "l") {
        e.preventDefault();
        toggleTheme();
      } else if (mod && e.key === "PageDown") {
        e.preventDefault();
        cycleTab(1);
      } else if (mod && e.key === "PageUp") {
        e.preventDefault();
        cycleTab(-1);
      } else if (e.key === "Escape" && activeTab !== null) {
        if (tabApis.current.get(activeTab)?.cancel() === true) e.preventDefault();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const startSidebarDrag = (e: React.MouseEvent) => {
    e.preventDefault();
    const move = (ev: MouseEvent) => setSidebar(Math.min(700, Math.max(200, ev.clientX)));
    const up = () => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  };

  const sample = (connections ?? []).find((c) => c.id === "sample");

  return (
    <div className="app" style={{ ["--sidebar" as string]: `${sidebar}px` }} onContextMenu={(e) => e.preventDefault()}>
      <aside className="sidebar">
        <div className="sidebar-head">
          <div className="brand">
            <img src="/icon.svg" alt="" />
            DB-Hive
          </div>
          <button className="btn ghost icon-only" title="Settings" onClick={() => setDialog({ type: "settings" })} data-testid="open-settings">
            <Icon name="gear" />
          </button>
          <button className="btn ghost icon-only" title="New connection (Ctrl+N)" onClick={() => setDialog({ type: "connection", existing: null })} data-testid="new-connection">
            <Icon name="plus" />
          </button>
        </div>
        {connections === null ? null : (
          <SchemaTree
            connections={connections}
            status={status}
            handle={tree}
            actions={{
              connect,
              disconnect: (id) => void disconnect(id),
              edit: (c) => setDialog({ type: "connection", existing: c }),
              remove: (c) => void removeConnection(c),
              newQuery: (c, sql) => void newQuery(c, sql ?? ""),
              openData: (c, n) => void openData(c, n),
              openTable: (c, n) => void openTable(c, n),
              showDdl: (c, n) => void showDdl(c, n),
              copy: (text, what) => void copyText(text).then(() => notify(`Copied ${what}`, "ok")),
              menu: (x, y, items) => setMenu({ x, y, items }),
            }}
          />
        )}
      </aside>
      <div className="splitter" onMouseDown={startSidebarDrag} />
      <main className="main">
        <div className="tabbar" data-testid="tabbar">
          {tabs.map((t) => {
            const conn = byId.get(t.connectionId);
            return (
              <div
                key={t.id}
                className={`tab${t.id === activeTab ? " active" : ""}${running[t.id] === true ? " running" : ""}`}
                onClick={() => setActiveTab(t.id)}
                onAuxClick={(e) => e.button === 1 && void closeTab(t.id)}
                data-testid="tab"
                title={`${t.title} — ${conn?.name ?? ""}`}
              >
                <span className="dot" style={{ background: conn?.color ?? "var(--faint)" }} />
                {conn?.production === true ? (
                  <span className="prod-tag" data-testid="prod-tag" title={`${conn.name} is a production server`}>
                    PROD
                  </span>
                ) : null}
                <span className="title">{t.title}</span>
                <span
                  className="close"
                  onClick={(e) => {
                    e.stopPropagation();
                    void closeTab(t.id);
                  }}
                  title="Close (Ctrl+W)"
                >
                  <Icon name="close" />
                </span>
              </div>
            );
          })}
          <div className="new" onClick={newTabForActive} title="New query tab (Ctrl+T)" data-testid="new-tab">
            <Icon name="plus" />
          </div>
          <div className="spacer" />
          <div className="tools">
            <button className="btn ghost icon-only" onClick={toggleTheme} title={`Switch to ${theme === "dark" ? "light" : "dark"} theme (Ctrl+Shift+L); now ${themeChoice}`} data-testid="theme-toggle">
              <Icon name={theme === "dark" ? "sun" : "moon"} />
            </button>
            <button className="btn ghost icon-only" onClick={() => setDialog({ type: "shortcuts" })} title="Keyboard shortcuts (F1)">
              <Icon name="keyboard" />
            </button>
          </div>
        </div>
        {tabs.map((t) => {
          const conn = byId.get(t.connectionId);
          if (t.table !== undefined) {
            return (
              <TableTab
                key={t.id}
                tab={t}
                active={t.id === activeTab}
                engine={conn?.config.engine ?? "postgres"}
                connectionName={conn?.name ?? t.connectionId}
                connectionColor={conn?.color ?? null}
                openCell={(q, r, row, col, column) => void openCell(q, r, row, col, column)}
                onContextMenu={(x, y, items) => setMenu({ x, y, items })}
                notify={notify}
                onConnectionLost={(id) => setStatus((s) => ({ ...s, [id]: "lost" }))}
                onPending={(id, n) => {
                  if (n > 0) pendingEdits.current.set(id, n);
                  else pendingEdits.current.delete(id);
                }}
              />
            );
          }
          return (
            <QueryTab
              key={t.id}
              tab={t}
              active={t.id === activeTab}
              engine={conn?.config.engine ?? "postgres"}
              connectionName={conn?.name ?? t.connectionId}
              connectionColor={conn?.color ?? null}
              register={(id, a) => {
                if (a === null) tabApis.current.delete(id);
                else tabApis.current.set(id, a);
              }}
              onSqlChange={() => undefined}
              onRunning={(id, r) => setRunning((s) => ({ ...s, [id]: r }))}
              openCell={(q, r, row, col, column) => void openCell(q, r, row, col, column)}
              onContextMenu={(x, y, items) => setMenu({ x, y, items })}
              notify={notify}
              onConnectionLost={(id) => setStatus((s) => ({ ...s, [id]: "lost" }))}
              production={conn?.production ?? false}
              manualDefault={conn?.manual_commit ?? false}
              onPending={(id, n) => {
                if (n > 0) pendingEdits.current.set(id, n);
                else pendingEdits.current.delete(id);
              }}
              confirm={ask}
            />
          );
        })}
        {tabs.length === 0 ? (
          <div className="welcome" data-testid="welcome">
            <img src="/icon.svg" alt="" width={56} height={56} />
            <h1>DB-Hive</h1>
            <div>Connect on the left, browse the schema, and query with a streaming grid that never truncates.</div>
            <div style={{ marginTop: 14, display: "flex", gap: 8, justifyContent: "center" }}>
              {sample !== undefined ? (
                <button className="btn primary" onClick={() => void newQuery(sample, "SELECT * FROM top_customers;", true, "Top customers")} data-testid="try-sample">
                  Try the sample database
                </button>
              ) : null}
              <button className="btn" onClick={() => setDialog({ type: "connection", existing: null })}>
                New connection
              </button>
            </div>
            <div className="keys">
              <kbd>Ctrl+Enter</kbd> <span>run the statement under the cursor</span>
              <kbd>Esc</kbd> <span>cancel a running query on the server</span>
              <kbd>Ctrl+K</kbd> <span>command palette</span>
              <kbd>F1</kbd> <span>all shortcuts</span>
            </div>
          </div>
        ) : null}
      </main>
      {dialog?.type === "connection" ? (
        <ConnectionDialog
          existing={dialog.existing}
          appInfo={appInfo}
          onClose={() => setDialog(null)}
          onSaved={(saved, andConnect) => {
            setDialog(null);
            tree.current?.forget(saved.id);
            void reload().then(() => {
              notify(`Saved ${saved.name}`, "ok");
              // The password was just typed in the dialog: a failure with it is reported, not
              // asked again; a certificate, an unverified server or a missing file still asks.
              if (andConnect) void connectTo(saved, null, { askPassword: false });
            });
          }}
        />
      ) : null}
      {dialog?.type === "password" ? (
        <PasswordPrompt
          name={dialog.conn.name}
          reason={dialog.reason}
          canSave={appInfo?.keychain.available ?? false}
          keychainDetail={appInfo?.keychain.detail ?? "unknown"}
          onClose={() => {
            dialog.resolve(false);
            setDialog(null);
          }}
          onSubmit={(password, save) => {
            const { conn, resolve } = dialog;
            setDialog(null);
            void (async () => {
              if (save) {
                try {
                  await api.saveConnection({ id: conn.id, name: conn.name, color: conn.color, config: conn.config, password, save_password: true, production: conn.production, manual_commit: conn.manual_commit });
                  await reload();
                } catch (e) {
                  notify(errorMessage(e), "error");
                }
              }
              resolve(await connect(conn.id, password));
            })();
          }}
        />
      ) : null}
      {dialog?.type === "certificate" ? (
        <CertificateChangedDialog
          name={dialog.conn.name}
          server={serverAddress(dialog.conn.config)}
          certificate={dialog.certificate}
          onClose={() => {
            dialog.resolve(false);
            setDialog(null);
          }}
          onTrust={() => {
            const { conn, certificate } = dialog;
            retryAfter(dialog, async () => {
              await api.trustCertificate(conn.id, certificate.presented);
              return conn;
            });
          }}
        />
      ) : null}
      {dialog?.type === "unverified" ? (
        <UnverifiedServerDialog
          name={dialog.conn.name}
          error={dialog.error}
          onClose={() => {
            dialog.resolve(false);
            setDialog(null);
          }}
          onEdit={() => {
            dialog.resolve(false);
            setDialog({ type: "connection", existing: byId.get(dialog.conn.id) ?? dialog.conn });
          }}
          onAllow={() => {
            const { conn } = dialog;
            retryAfter(dialog, () =>
              api.saveConnection({
                id: conn.id,
                name: conn.name,
                color: conn.color,
                production: conn.production,
                manual_commit: conn.manual_commit,
                config: { ...conn.config, allow_unverified_password: true },
                password: null,
                save_password: conn.save_password,
              }),
            );
          }}
        />
      ) : null}
      {dialog?.type === "sqlite-create" ? (
        <SqliteCreateDialog
          path={dialog.conn.config.database ?? ""}
          onClose={() => {
            dialog.resolve(false);
            setDialog(null);
          }}
          onCreate={() => {
            const { conn, resolve } = dialog;
            setDialog(null);
            void connectTo(conn, null, { createFile: true }).then(resolve);
          }}
        />
      ) : null}
      {dialog?.type === "settings" ? (
        <SettingsDialog
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            notify("Settings saved", "ok");
          }}
        />
      ) : null}
      {dialog?.type === "text" ? (
        <TextViewer title={dialog.title} text={dialog.text} pretty={dialog.pretty} meta={dialog.meta} testid={dialog.testid} onClose={() => setDialog(null)} />
      ) : null}
      {dialog?.type === "shortcuts" ? <ShortcutsDialog onClose={() => setDialog(null)} /> : null}
      {dialog?.type === "confirm" ? (
        <ConfirmDialog
          title={dialog.title}
          text={dialog.text}
          confirm={dialog.confirm}
          onAnswer={(ok) => {
            dialog.resolve(ok);
            setDialog(null);
          }}
        />
      ) : null}
      {dialog?.type === "palette" ? <CommandPalette commands={commands} onClose={() => setDialog(null)} /> : null}
      {menu !== null ? <ContextMenu menu={menu} onClose={() => setMenu(null)} /> : null}
      <Toasts toasts={toasts} />
    </div>
  );
}
