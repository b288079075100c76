// The questions a connect can end in, each answered in its own dialog rather than a toast:
// a pinned certificate that changed, a password the server wants in a reusable form, and a
// SQLite file that is not there yet.
import { useEffect, useRef } from "react";
import type { ConnectionConfig, DbError } from "../types";
import { Modal } from "./Dialogs";
import { DEFAULT_PORT, Fingerprint } from "./ConnectionDialog";

/** host:port as the user entered it, with the engine's default port when none was given. */
export function serverAddress(config: ConnectionConfig): string {
  const host = config.host ?? "localhost";
  // A MongoDB seed list ("h1:27017,h2") already says its ports.
  if (host.includes(",") || (host.includes(":") && !host.startsWith("["))) return host;
  const port = config.port ?? DEFAULT_PORT[config.engine];
  return port === null ? host : `${host}:${String(port)}`;
}

/** Focuses the safe choice, so Enter or a stray key press does not accept anything. */
function useFocusedRef() {
  const ref = useRef<HTMLButtonElement | null>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}

/** Cancel (focused) and the one action a question offers. */
function AskFooter(props: { testid: string; onCancel: () => void; action: string; danger?: boolean; onAction: () => void; actionTestid: string }) {
  const cancel = useFocusedRef();
  return (
    <>
      <span className="spacer" />
      <button className="btn" ref={cancel} onClick={props.onCancel} data-testid={`${props.testid}-cancel`}>
        Cancel
      </button>
      <button className={`btn ${props.danger === true ? "danger" : "primary"}`} onClick={props.onAction} data-testid={props.actionTestid}>
        {props.action}
      </button>
    </>
  );
}

export function CertificateChangedDialog(props: {
  name: string;
  server: string;
  certificate: { pinned: string; presented: string };
  onTrust: () => void;
  onClose: () => void;
}) {
  return (
    <Modal
      title="The server's certificate changed"
      onClose={props.onClose}
      testid="certificate-changed"
      footer={
        <AskFooter
          testid="certificate"
          onCancel={props.onClose}
          action="Trust the new certificate"
          danger
          onAction={props.onTrust}
          actionTestid="trust-certificate"
        />
      }
    >
      <p>
        The server of <b>{props.name}</b> at{" "}
        <span className="mono" data-testid="certificate-server">
          {props.server}
        </span>{" "}
        presented a different TLS certificate than the one DB-Hive accepted for it before.
      </p>
      <div className="fingerprints">
        <span>Pinned</span>
        <Fingerprint value={props.certificate.pinned} testid="pinned-fingerprint" />
        <span>Presented now</span>
        <Fingerprint value={props.certificate.presented} testid="presented-fingerprint" />
      </div>
      <p className="warn-text">
        A renewed certificate looks like this too, but an unexpected change can mean someone is intercepting the
        connection and would read everything you send, your password included. Trust the new certificate only if you
        know the server's certificate was replaced.
      </p>
    </Modal>
  );
}

export function UnverifiedServerDialog(props: {
  name: string;
  error: DbError;
  onAllow: () => void;
  onEdit: () => void;
  onClose: () => void;
}) {
  const close = useFocusedRef();
  return (
    <Modal
      title={`${props.name}: the password was not sent`}
      onClose={props.onClose}
      testid="unverified-server"
      footer={
        <>
          <button className="btn" onClick={props.onEdit} data-testid="unverified-edit">
            Edit connection
          </button>
          <span className="spacer" />
          <button className="btn" ref={close} onClick={props.onClose} data-testid="unverified-close">
            Close
          </button>
          <button className="btn danger" onClick={props.onAllow} data-testid="allow-unverified-password">
            Allow for this connection and connect
          </button>
        </>
      }
    >
      {/* The message says what the server asked for; the hint, what would make it safe. */}
      <p className="selectable sentence" data-testid="unverified-message">
        {props.error.message}
      </p>
      {props.error.hint !== null ? (
        <p className="muted selectable" data-testid="unverified-hint">
          {props.error.hint}
        </p>
      ) : null}
    </Modal>
  );
}

export function SqliteCreateDialog(props: { path: string; onCreate: () => void; onClose: () => void }) {
  return (
    <Modal
      title="No database file"
      onClose={props.onClose}
      testid="sqlite-create"
      footer={<AskFooter testid="sqlite-create" onCancel={props.onClose} action="Create" onAction={props.onCreate} actionTestid="sqlite-create-confirm" />}
    >
      <p className="selectable">
        There is no SQLite database at <span className="mono">{props.path}</span>. Create a new, empty database there?
      </p>
    </Modal>
  );
}
