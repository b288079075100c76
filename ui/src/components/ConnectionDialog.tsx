// New / edit connection: every engine's fields, URL import and export, TLS, a Test button,
// and the password going to the keychain (or nowhere, if there is none).
import { Fragment, useEffect, useMemo, useState } from "react";
import { api } from "../api";
import type { AppInfo, ConnectionConfig, Engine, SavedConnection, SecuritySummary, ServerInfo, TlsMode } from "../types";
import { errorMessage, isDbError } from "../types";
import { Modal } from "./Dialogs";
import { copyText } from "../lib/clipboard";

const COLORS = ["#f2a900", "#3b82c4", "#16a34a", "#8b5cf6", "#e11d48", "#0f9d8a", "#64748b"];

const ENGINES: { engine: Engine; label: string; logo: string }[] = [
  { engine: "postgres", label: "PostgreSQL", logo: "PG" },
  { engine: "mysql", label: "MySQL / MariaDB", logo: "My" },
  { engine: "sqlite", label: "SQLite", logo: "SQ" },
  { engine: "mongodb", label: "MongoDB", logo: "Mo" },
  { engine: "mssql", label: "SQL Server", logo: "MS" },
];

export const DEFAULT_PORT: Record<Engine, number | null> = { postgres: 5432, mysql: 3306, sqlite: null, mongodb: 27017, mssql: 1433 };
/** Engines whose server session can be made to refuse writes. */
const READ_ONLY_ENFORCED: Record<Engine, boolean> = { postgres: true, mysql: true, sqlite: true, mongodb: false, mssql: false };
const DEFAULT_TLS: Record<Engine, TlsMode> = { postgres: "prefer", mysql: "prefer", sqlite: "disable", mongodb: "disable", mssql: "verify-full" };

function blankConfig(engine: Engine): ConnectionConfig {
  return {
    engine,
    host: engine === "sqlite" ? null : "localhost",
    port: null,
    user: null,
    database: null,
    tls: DEFAULT_TLS[engine],
    tls_root_cert: null,
    tls_pin: null,
    allow_unverified_password: false,
    read_only: false,
    connect_timeout_secs: 10,
    query_timeout_secs: null,
    pool_size: 4,
    options: {},
  };
}

/** Whether two configs reach the same server as the same user: what a saved password and a
 * pinned certificate are tied to (the backend's same_destination, which drops both otherwise). */
function sameDestination(a: ConnectionConfig, b: ConnectionConfig): boolean {
  return (
    a.engine === b.engine &&
    (a.host ?? "localhost") === (b.host ?? "localhost") &&
    (a.port ?? DEFAULT_PORT[a.engine]) === (b.port ?? DEFAULT_PORT[b.engine]) &&
    a.user === b.user &&
    a.options.socket === b.options.socket &&
    (a.engine !== "sqlite" || a.database === b.database)
  );
}

/** The Test button's success line, with what the TLS handshake proved. */
function testedText(info: ServerInfo): string {
  if (info.tls === null) return `Connected: ${info.version}`;
  const tls = info.tls.verified
    ? "verified"
    : `not verified, certificate SHA-256 ${info.tls.fingerprint} (pinned when you connect)`;
  return `Connected: ${info.version} · TLS ${tls}`;
}

/** A fingerprint broken after every colon, so its 32 pairs wrap instead of overflowing. */
export function Fingerprint(props: { value: string; testid?: string }) {
  const pairs = props.value.split(":");
  return (
    <code className="fingerprint" data-testid={props.testid}>
      {pairs.map((p, i) => (
        <Fragment key={i}>
          {i > 0 ? <wbr /> : null}
          {i < pairs.length - 1 ? `${p}:` : p}
        </Fragment>
      ))}
    </code>
  );
}

export function ConnectionDialog(props: {
  existing: SavedConnection | null;
  appInfo: AppInfo | null;
  onSaved: (saved: SavedConnection, connect: boolean) => void;
  onClose: () => void;
}) {
  const ex = props.existing;
  const [config, setConfig] = useState<ConnectionConfig>(ex?.config ?? blankConfig("postgres"));
  const [name, setName] = useState(ex?.name ?? "");
  const [color, setColor] = useState<string | null>(ex?.color ?? COLORS[1] ?? null);
  const [production, setProduction] = useState(ex?.production ?? false);
  const [manualCommit, setManualCommit] = useState(ex?.manual_commit ?? false);
  const [password, setPassword] = useState("");
  const [savePassword, setSavePassword] = useState(ex?.save_password ?? true);
  const [url, setUrl] = useState("");
  const [test, setTest] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const keychain = props.appInfo?.keychain ?? null;
  const canSave = keychain?.available ?? false;
  const engineInfo = props.appInfo?.engines.find((e) => e.engine === config.engine);
  const network = config.engine !== "sqlite";
  // Pointed at another server (or as another user), the saved password and the pin stay
  // behind: the backend drops them on Save, so the form says so before.
  const moved = ex !== null && !sameDestination(ex.config, config);
  const pinDropped = moved && config.tls_pin !== null && config.tls_pin === ex.config.tls_pin;
  const effective = useMemo(() => (pinDropped ? { ...config, tls_pin: null } : config), [config, pinDropped]);
  const [summary, setSummary] = useState<SecuritySummary | null>(null);

  // What the TLS settings mean, from the backend (the one place those rules live). Debounced:
  // every keystroke in the host field is a new config.
  useEffect(() => {
    if (effective.engine === "sqlite") return;
    let live = true;
    const timer = setTimeout(() => {
      // An error means the form is not complete yet; the last summary stays.
      api.connectionSecurity(effective).then(
        (s) => live && setSummary(s),
        () => undefined,
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [effective]);

  const set = (patch: Partial<ConnectionConfig>) => {
    setConfig((c) => ({ ...c, ...patch }));
    setTest(null);
  };
  const setOption = (key: string, value: string) => {
    setConfig((c) => {
      const rest = Object.fromEntries(Object.entries(c.options).filter(([k]) => k !== key));
      return { ...c, options: value === "" ? rest : { ...rest, [key]: value } };
    });
  };
  const chooseEngine = (engine: Engine) => {
    setConfig((c) => ({ ...blankConfig(engine), user: c.user, database: engine === "sqlite" ? null : c.database }));
    setTest(null);
  };
  const importUrl = async () => {
    try {
      const parsed = await api.parseUrl(url);
      setConfig(parsed.config);
      if (parsed.password !== null) setPassword(parsed.password);
      if (name === "") setName(parsed.config.database ?? parsed.config.host ?? "");
      setTest({ ok: true, text: "Imported. The password (if any) is only in this form until you save." });
      setUrl("");
    } catch (e) {
      setTest({ ok: false, text: errorMessage(e) });
    }
  };
  const exportUrl = async () => {
    try {
      const text = await api.renderUrl(config);
      await copyText(text);
      setTest({ ok: true, text: `Copied ${text} (without the password)` });
    } catch (e) {
      setTest({ ok: false, text: errorMessage(e) });
    }
  };
  const exportConnectionString = async () => {
    try {
      const text = await api.renderConnectionString(config);
      if (text === null) return;
      await copyText(text);
      setTest({ ok: true, text: `Copied ${text} (without the password)` });
    } catch (e) {
      setTest({ ok: false, text: errorMessage(e) });
    }
  };
  const runTest = async () => {
    setBusy(true);
    setTest(null);
    try {
      const info = await api.testConnection({ config, password: password === "" ? null : password, id: ex?.id ?? null });
      setTest({ ok: true, text: testedText(info) });
    } catch (e) {
      // The hint often names the setting in this form that would fix it.
      setTest({ ok: false, text: isDbError(e) && typeof e.hint === "string" && e.hint !== "" ? `${e.message}\nHint: ${e.hint}` : errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };
  const save = async (connect: boolean) => {
    setBusy(true);
    try {
      const saved = await api.saveConnection({
        id: ex?.id ?? null,
        name: name.trim() === "" ? (config.database ?? config.host ?? "Connection") : name,
        color,
        config,
        password: password === "" ? null : password,
        save_password: savePassword && canSave,
        production,
        manual_commit: manualCommit,
      });
      props.onSaved(saved, connect);
    } catch (e) {
      setTest({ ok: false, text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title={ex === null ? "New connection" : `Edit ${ex.name}`}
      onClose={props.onClose}
      testid="connection-dialog"
      footer={
        <>
          <button className="btn" onClick={() => void runTest()} disabled={busy} data-testid="test-connection">
            Test
          </button>
          <button className="btn ghost" onClick={() => void exportUrl()} title="Copy this connection as a URL (no password)">
            Copy URL
          </button>
          {config.engine === "mssql" ? (
            <button className="btn ghost" onClick={() => void exportConnectionString()} title="Copy this connection as an ADO.NET connection string (no password)" data-testid="connstring-export">
              Copy connection string
            </button>
          ) : null}
          <span className="spacer" />
          <button className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button className="btn" onClick={() => void save(false)} disabled={busy} data-testid="save-connection">
            Save
          </button>
          <button className="btn primary" onClick={() => void save(true)} disabled={busy} data-testid="save-and-connect">
            Save &amp; connect
          </button>
        </>
      }
    >
      <div className="engines">
        {ENGINES.map((e) => {
          const available = props.appInfo?.engines.find((x) => x.engine === e.engine)?.available ?? true;
          return (
            <div
              key={e.engine}
              className={`engine${config.engine === e.engine ? " active" : ""}`}
              onClick={() => chooseEngine(e.engine)}
              data-testid={`engine-${e.engine}`}
            >
              <span className="logo">{e.logo}</span>
              {e.label}
              {!available ? <span className="soon">driver coming</span> : null}
            </div>
          );
        })}
      </div>
      <div className="url-row">
        <input
          placeholder={
            network ? `Paste a URL: ${config.engine}://user:password@host:port/database` : "Paste a URL or path: sqlite:///path/to/file.db"
          }
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          onKeyDown={(e) => e.key === "Enter" && void importUrl()}
          data-testid="url-input"
        />
        <button className="btn" onClick={() => void importUrl()} disabled={url.trim() === ""} data-testid="url-import">
          Import
        </button>
      </div>
      <div className="form">
        <label htmlFor="cd-name">Name</label>
        <input id="cd-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Production orders" data-testid="field-name" />
        <label>Colour</label>
        <div className="swatches">
          {COLORS.map((c) => (
            <span key={c} className={`swatch${color === c ? " active" : ""}`} style={{ background: c }} onClick={() => setColor(c)} />
          ))}
        </div>
        {network ? (
          <>
            <label htmlFor="cd-host">Host</label>
            <div className="row2">
              <input
                id="cd-host"
                value={config.host ?? ""}
                onChange={(e) => set({ host: e.target.value === "" ? null : e.target.value })}
                placeholder={config.engine === "mongodb" ? "host1:27017,host2:27017 or host" : "localhost"}
                data-testid="field-host"
              />
              <input
                value={config.port ?? ""}
                onChange={(e) => set({ port: e.target.value === "" ? null : Number.parseInt(e.target.value, 10) || null })}
                placeholder={String(DEFAULT_PORT[config.engine] ?? "")}
                inputMode="numeric"
                aria-label="Port"
                data-testid="field-port"
              />
            </div>
            <label htmlFor="cd-user">User</label>
            <input id="cd-user" value={config.user ?? ""} onChange={(e) => set({ user: e.target.value === "" ? null : e.target.value })} data-testid="field-user" />
            <label htmlFor="cd-password">Password</label>
            <input
              id="cd-password"
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              placeholder={ex?.save_password === true && !moved ? "•••••••• (saved in the keychain; type to replace)" : ""}
              data-testid="field-password"
            />
            {moved && ex.save_password ? (
              <div className="note warn" data-testid="password-moved">
                The saved password is only sent to the address it was saved for; type it again for this one.
              </div>
            ) : null}
            <span />
            <label className="check">
              <input type="checkbox" checked={savePassword && canSave} disabled={!canSave} onChange={(e) => setSavePassword(e.target.checked)} data-testid="field-save-password" />
              Save the password in the {keychain?.detail ?? "keychain"}
            </label>
            {keychain !== null && !keychain.available ? (
              <div className="note">
                No keychain is available here ({keychain.detail}). The password will be asked for when you connect, kept in memory, and never written to disk.
              </div>
            ) : null}
            <label htmlFor="cd-db">{config.engine === "mongodb" ? "Database" : "Database"}</label>
            <input
              id="cd-db"
              value={config.database ?? ""}
              onChange={(e) => set({ database: e.target.value === "" ? null : e.target.value })}
              placeholder={config.engine === "postgres" ? "defaults to the user name" : ""}
              data-testid="field-database"
            />
            {config.engine === "mongodb" ? (
              <>
                <label htmlFor="cd-authsource">Auth source</label>
                <input id="cd-authsource" value={config.options.authSource ?? ""} onChange={(e) => setOption("authSource", e.target.value)} placeholder="admin" />
                <span />
                <label className="check">
                  <input type="checkbox" checked={config.options.srv === "true"} onChange={(e) => setOption("srv", e.target.checked ? "true" : "")} /> DNS seed list (mongodb+srv)
                </label>
              </>
            ) : null}
            <div className="section">Security</div>
            <label htmlFor="cd-tls">TLS</label>
            <select id="cd-tls" value={config.tls} onChange={(e) => set({ tls: e.target.value as TlsMode })} data-testid="field-tls">
              <option value="disable">Disable — plain TCP</option>
              <option value="prefer">Prefer — TLS when offered</option>
              <option value="require">Require — TLS, certificate not checked</option>
              <option value="verify-ca">Verify CA — trusted certificate</option>
              <option value="verify-full">Verify full — trusted certificate for this host</option>
            </select>
            {config.engine === "mssql" && config.tls !== "disable" ? (
              <>
                <span />
                <label className="check" title="TLS before the first TDS byte, as HTTPS does (SQL Server 2022, Azure SQL); older servers refuse it">
                  <input type="checkbox" checked={config.options.strict === "true"} onChange={(e) => setOption("strict", e.target.checked ? "true" : "")} data-testid="field-mssql-strict" />{" "}
                  Strict encryption (TDS 8)
                </label>
              </>
            ) : null}
            {config.tls !== "disable" ? (
              <>
                <label htmlFor="cd-ca">Root certificate</label>
                <input
                  id="cd-ca"
                  value={config.tls_root_cert ?? ""}
                  onChange={(e) => set({ tls_root_cert: e.target.value === "" ? null : e.target.value })}
                  placeholder="/path/to/ca.pem (optional; when given, it is the only root trusted)"
                  data-testid="field-root-cert"
                />
              </>
            ) : null}
            {summary !== null ? (
              <>
                <span />
                <div className="security-summary" data-testid="security-summary">
                  <div data-testid="security-identity">{summary.identity}</div>
                  {summary.password !== "" ? <div data-testid="security-password">{summary.password}</div> : null}
                </div>
              </>
            ) : null}
            {config.tls_pin !== null ? (
              <>
                <span />
                <div className="pinned">
                  <span data-testid="pinned-certificate">
                    Pinned certificate: SHA-256 <Fingerprint value={config.tls_pin} />
                  </span>
                  <button
                    className="btn small"
                    onClick={() => set({ tls_pin: null })}
                    title="Accept whatever certificate the server presents next, and pin that one"
                    data-testid="forget-pin"
                  >
                    Forget
                  </button>
                </div>
                {pinDropped ? <div className="note">Dropped on Save: it was accepted for the previous address.</div> : null}
              </>
            ) : null}
            <span />
            <div className="check-with-note">
              <label className="check">
                <input
                  type="checkbox"
                  checked={config.allow_unverified_password}
                  onChange={(e) => set({ allow_unverified_password: e.target.checked })}
                  data-testid="field-allow-unverified-password"
                />
                Allow password over an unverified connection
              </label>
              {/* Red once it is on: then it describes what this connection does. */}
              <div className={`note${config.allow_unverified_password ? " warn" : ""}`}>
                Sends the password in clear text or as MD5 to a server whose identity was not verified. Leave off unless you trust every network between you and the server.
              </div>
            </div>
          </>
        ) : (
          <>
            <label htmlFor="cd-file">Database file</label>
            <input
              id="cd-file"
              value={config.database ?? ""}
              onChange={(e) => set({ database: e.target.value === "" ? null : e.target.value })}
              placeholder="/path/to/data.sqlite, or :memory:"
              data-testid="field-file"
            />
            <label htmlFor="cd-mode">Open</label>
            {/* No mode option means rw: a missing file is not created behind the user's back (a
                typo in the path would make an empty database); connecting asks first. */}
            <select id="cd-mode" value={config.options.mode ?? "rw"} onChange={(e) => setOption("mode", e.target.value === "rw" ? "" : e.target.value)} data-testid="field-sqlite-mode">
              <option value="rw">Read-write (asks before creating a missing file)</option>
              <option value="rwc">Create if missing</option>
              <option value="ro">Read-only</option>
            </select>
            <label htmlFor="cd-attach">Attach</label>
            <input id="cd-attach" value={config.options.attach ?? ""} onChange={(e) => setOption("attach", e.target.value)} placeholder="alias=/path/other.db; alias2=/path/more.db" />
          </>
        )}
        <div className="section">Safety</div>
        <span />
        <div className="check-with-note">
          <label className="check">
            <input
              type="checkbox"
              checked={config.read_only}
              disabled={!READ_ONLY_ENFORCED[config.engine] && !config.read_only}
              onChange={(e) => set({ read_only: e.target.checked })}
              data-testid="field-read-only"
            />
            Read-only connection
          </label>
          <div className="note">
            {READ_ONLY_ENFORCED[config.engine]
              ? "The server's session refuses every write (PostgreSQL default_transaction_read_only, MySQL READ ONLY transactions, SQLite query_only)."
              : "Not enforced for this engine yet; connecting with it on is refused rather than ignored."}
          </div>
          <label className="check">
            <input type="checkbox" checked={production} onChange={(e) => setProduction(e.target.checked)} data-testid="field-production" />
            Production server
          </label>
          <div className="note">Its tabs and the window title carry a PROD tag, and an UPDATE or DELETE without WHERE asks before it runs.</div>
          {config.engine !== "mongodb" ? (
            <label className="check">
              <input type="checkbox" checked={manualCommit} onChange={(e) => setManualCommit(e.target.checked)} data-testid="field-manual-commit" />
              Query tabs start in manual-commit mode
            </label>
          ) : null}
        </div>
        <div className="section">Limits</div>
        <label htmlFor="cd-ct">Connect timeout</label>
        <input id="cd-ct" value={config.connect_timeout_secs} onChange={(e) => set({ connect_timeout_secs: Number.parseInt(e.target.value, 10) || 10 })} inputMode="numeric" />
        <label htmlFor="cd-qt">Query timeout</label>
        <input
          id="cd-qt"
          value={config.query_timeout_secs ?? ""}
          onChange={(e) => set({ query_timeout_secs: e.target.value === "" ? null : Number.parseInt(e.target.value, 10) || null })}
          placeholder="seconds; empty for none"
          inputMode="numeric"
        />
      </div>
      {engineInfo !== undefined && !engineInfo.available ? (
        <div className="test-result fail">
          This build has no {engineInfo.name} driver yet: the connection can be saved, and connects once the driver ships.
        </div>
      ) : null}
      {test !== null ? (
        <div className={`test-result ${test.ok ? "ok" : "fail"}`} data-testid="test-result">
          {test.text}
        </div>
      ) : null}
    </Modal>
  );
}
