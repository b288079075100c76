// The small dialogs: password prompt, cell viewer, DDL viewer, shortcuts, command palette,
// context menu and toasts.
import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { Icon } from "./Icons";
import { charCount, copyText } from "../lib/clipboard";
import { formatCount } from "../lib/format";

export function Modal(props: { title: ReactNode; onClose: () => void; children: ReactNode; footer?: ReactNode; wide?: boolean; testid?: string }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.stopPropagation();
        props.onClose();
      }
    };
    window.addEventListener("keydown", onKey, true);
    return () => {
      window.removeEventListener("keydown", onKey, true);
    };
  }, [props]);
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div className={`dialog${props.wide === true ? " wide" : ""}`} role="dialog" data-testid={props.testid}>
        <header>
          {props.title}
          <span className="spacer" />
          <button className="btn ghost icon-only" onClick={props.onClose} title="Close (Esc)">
            <Icon name="close" />
          </button>
        </header>
        <div className="body">{props.children}</div>
        {props.footer !== undefined ? <footer>{props.footer}</footer> : null}
      </div>
    </div>
  );
}

/** A question whose answer loses work: the safe answer is the default. */
export function ConfirmDialog(props: { title: string; text: string; confirm: string; onAnswer: (ok: boolean) => void }) {
  return (
    <Modal
      title={props.title}
      onClose={() => props.onAnswer(false)}
      testid="confirm-dialog"
      footer={
        <>
          <span className="spacer" />
          <button className="btn danger" data-testid="confirm-yes" onClick={() => props.onAnswer(true)}>
            {props.confirm}
          </button>
          <button className="btn primary" data-testid="confirm-no" autoFocus onClick={() => props.onAnswer(false)}>
            Cancel
          </button>
        </>
      }
    >
      <div className="confirm-text">{props.text}</div>
    </Modal>
  );
}

export function PasswordPrompt(props: {
  name: string;
  reason: string | null;
  canSave: boolean;
  keychainDetail: string;
  onSubmit: (password: string, save: boolean) => void;
  onClose: () => void;
}) {
  const [password, setPassword] = useState("");
  const [save, setSave] = useState(false);
  const input = useRef<HTMLInputElement | null>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = () => props.onSubmit(password, save && props.canSave);
  return (
    <Modal
      title={`Password for ${props.name}`}
      onClose={props.onClose}
      testid="password-prompt"
      footer={
        <>
          <span className="spacer" />
          <button className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button className="btn primary" onClick={submit} data-testid="password-connect">
            Connect
          </button>
        </>
      }
    >
      <div className="form">
        {props.reason !== null ? <div className="note warn" style={{ gridColumn: "1 / -1" }}>{props.reason}</div> : null}
        <label htmlFor="prompt-password">Password</label>
        <input
          id="prompt-password"
          ref={input}
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && submit()}
          data-testid="password-input"
        />
        <span />
        <label className="check">
          <input type="checkbox" checked={save && props.canSave} disabled={!props.canSave} onChange={(e) => setSave(e.target.checked)} />
          Save in the keychain
        </label>
        {!props.canSave ? (
          <div className="note">
            No keychain is available ({props.keychainDetail}), so DB-Hive asks each time and keeps the password in memory only.
          </div>
        ) : null}
      </div>
    </Modal>
  );
}

export function TextViewer(props: { title: string; text: string; pretty?: string | null; meta?: string; onClose: () => void; testid?: string }) {
  const [pretty, setPretty] = useState(props.pretty !== null && props.pretty !== undefined);
  const shown = pretty && props.pretty !== null && props.pretty !== undefined ? props.pretty : props.text;
  return (
    <Modal
      title={props.title}
      onClose={props.onClose}
      wide
      testid={props.testid ?? "viewer"}
      footer={
        <>
          <span style={{ color: "var(--muted)" }}>{props.meta ?? `${formatCount(charCount(props.text))} characters`}</span>
          <span className="spacer" />
          {props.pretty !== null && props.pretty !== undefined ? (
            <label className="check" style={{ display: "flex", gap: 6, alignItems: "center" }}>
              <input type="checkbox" checked={pretty} onChange={(e) => setPretty(e.target.checked)} /> Pretty JSON
            </label>
          ) : null}
          <button className="btn" onClick={() => void copyText(shown)}>
            Copy
          </button>
          <button className="btn primary" onClick={props.onClose}>
            Close
          </button>
        </>
      }
    >
      <pre className="viewer" data-testid="viewer-text">
        {shown}
      </pre>
    </Modal>
  );
}

export const SHORTCUTS: [string, string][] = [
  ["Run statement under cursor / selection", "Ctrl+Enter"],
  ["Run whole script", "Ctrl+Shift+Enter"],
  ["Cancel the running query", "Esc"],
  ["New query tab", "Ctrl+T"],
  ["Close tab", "Ctrl+W"],
  ["Next / previous tab", "Ctrl+PgDn / Ctrl+PgUp"],
  ["New connection", "Ctrl+N"],
  ["Command palette", "Ctrl+K"],
  ["Filter the schema tree", "Ctrl+Shift+F"],
  ["Switch light / dark theme", "Ctrl+Shift+L"],
  ["Copy selected cells (grid)", "Ctrl+C"],
  ["Select all cells (grid)", "Ctrl+A"],
  ["Open the full value (query grid)", "Enter / double-click"],
  ["Edit a cell (table tab)", "Enter / F2 / double-click"],
  ["Set the selected cells to NULL (table tab)", "Delete"],
  ["Delete the selected rows (table tab)", "Ctrl+Delete"],
  ["Paste a block of cells (table tab)", "Ctrl+V"],
  ["Undo / redo a pending edit (table tab)", "Ctrl+Z / Ctrl+Shift+Z"],
  ["Commit the pending edits (table tab)", "Ctrl+S"],
  ["Autocomplete (editor)", "Ctrl+Space"],
  ["Find in editor", "Ctrl+F"],
  ["Keyboard shortcuts", "F1"],
];

export function ShortcutsDialog(props: { onClose: () => void }) {
  return (
    <Modal title="Keyboard shortcuts" onClose={props.onClose} testid="shortcuts">
      <table className="shortcuts">
        <tbody>
          {SHORTCUTS.map(([what, keys]) => (
            <tr key={what}>
              <td>{what}</td>
              <td>
                {keys.split(" / ").map((k, i) => (
                  <span key={k}>
                    {i > 0 ? " / " : null}
                    {k.split("+").map((part, j) => (
                      <span key={part}>
                        {j > 0 ? "+" : null}
                        <kbd>{part}</kbd>
                      </span>
                    ))}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p style={{ color: "var(--muted)" }}>On macOS, Ctrl is ⌘.</p>
    </Modal>
  );
}

export interface PaletteCommand {
  label: string;
  keys?: string;
  run: () => void;
}

export function CommandPalette(props: { commands: PaletteCommand[]; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement | null>(null);
  useEffect(() => input.current?.focus(), []);
  const list = useMemo(() => {
    const q = query.toLowerCase();
    return props.commands.filter((c) => c.label.toLowerCase().includes(q));
  }, [query, props.commands]);
  const choose = (c: PaletteCommand | undefined) => {
    if (c === undefined) return;
    props.onClose();
    c.run();
  };
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && props.onClose()}>
      <div className="dialog palette" data-testid="palette">
        <div className="body" style={{ paddingTop: 12 }}>
          <input
            ref={input}
            placeholder="Type a command…"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setIndex(0);
            }}
            onKeyDown={(e) => {
              if (e.key === "ArrowDown") setIndex((i) => Math.min(i + 1, list.length - 1));
              else if (e.key === "ArrowUp") setIndex((i) => Math.max(i - 1, 0));
              else if (e.key === "Enter") choose(list[index]);
              else if (e.key === "Escape") props.onClose();
              else return;
              e.preventDefault();
            }}
          />
          <div className="palette-list">
            {list.map((c, i) => (
              <div key={c.label} className={`palette-item${i === index ? " active" : ""}`} onMouseEnter={() => setIndex(i)} onClick={() => choose(c)}>
                {c.label}
                {c.keys !== undefined ? (
                  <span className="keys">
                    <kbd>{c.keys}</kbd>
                  </span>
                ) : null}
              </div>
            ))}
            {list.length === 0 ? <div className="palette-item">No matching command</div> : null}
          </div>
        </div>
      </div>
    </div>
  );
}

export interface MenuState {
  x: number;
  y: number;
  items: { label: string; action: () => void }[];
}

export function ContextMenu(props: { menu: MenuState; onClose: () => void }) {
  const ref = useRef<HTMLDivElement | null>(null);
  const [pos, setPos] = useState({ x: props.menu.x, y: props.menu.y });
  useEffect(() => {
    const el = ref.current;
    if (el) {
      const r = el.getBoundingClientRect();
      setPos({
        x: Math.min(props.menu.x, window.innerWidth - r.width - 8),
        y: Math.min(props.menu.y, window.innerHeight - r.height - 8),
      });
    }
    const close = () => props.onClose();
    window.addEventListener("mousedown", close);
    window.addEventListener("blur", close);
    return () => {
      window.removeEventListener("mousedown", close);
      window.removeEventListener("blur", close);
    };
  }, [props]);
  return (
    <div className="menu" ref={ref} style={{ left: pos.x, top: pos.y }} onMouseDown={(e) => e.stopPropagation()} data-testid="context-menu">
      {props.menu.items.map((item) => (
        <div
          key={item.label}
          className="menu-item"
          onClick={() => {
            props.onClose();
            item.action();
          }}
        >
          {item.label}
        </div>
      ))}
    </div>
  );
}

export interface Toast {
  id: number;
  text: string;
  kind: "ok" | "error" | "info";
}

export function Toasts(props: { toasts: Toast[] }) {
  return (
    <div className="toasts" data-testid="toasts">
      {props.toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}
