// App settings: how much memory and disk the stored results of all tabs may take.
import { Fragment, useEffect, useState } from "react";
import { api } from "../api";
import type { SettingsView } from "../types";
import { errorMessage } from "../types";
import { Modal } from "./Dialogs";

const MB = 1 << 20;
const GB = 1 << 30;

function inMb(bytes: number): string {
  return `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;
}

function inGb(bytes: number): string {
  return `${(bytes / GB).toFixed(bytes < 10 * GB ? 2 : 1)} GB`;
}

/** A whole number typed into a field, or null: the backend takes integers only. */
function wholeNumber(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

export function SettingsDialog(props: { onSaved: () => void; onClose: () => void }) {
  const [view, setView] = useState<SettingsView | null>(null);
  const [memory, setMemory] = useState("");
  const [disk, setDisk] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api.getSettings().then(
      (v) => {
        if (!live) return;
        setView(v);
        setMemory(String(v.settings.result_memory_mb));
        setDisk(String(v.settings.result_disk_gb));
      },
      (e: unknown) => live && setError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, []);

  const save = async () => {
    const result_memory_mb = wholeNumber(memory);
    const result_disk_gb = wholeNumber(disk);
    if (result_memory_mb === null || result_disk_gb === null) {
      setError("Enter whole numbers: megabytes of memory and gigabytes of disk.");
      return;
    }
    // The ranges are the backend's to enforce; its message is shown as it is.
    setBusy(true);
    setError(null);
    try {
      setView(await api.saveSettings({ result_memory_mb, result_disk_gb }));
      props.onSaved();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      title="Settings"
      onClose={props.onClose}
      testid="settings-dialog"
      footer={
        <>
          <span className="spacer" />
          <button className="btn" onClick={props.onClose} data-testid="settings-cancel">
            Cancel
          </button>
          <button className="btn primary" onClick={() => void save()} disabled={busy || view === null} data-testid="settings-save">
            Save
          </button>
        </>
      }
    >
      <div className="form settings-form" onKeyDown={(e) => e.key === "Enter" && void save()}>
        <div className="section">Stored results</div>
        {[
          { id: "memory-mb", label: "Memory for results (MB)", min: 64, max: 1048576, value: memory, set: setMemory },
          { id: "disk-gb", label: "Disk for results (GB)", min: 1, max: 16384, value: disk, set: setDisk },
        ].map((f) => (
          <Fragment key={f.id}>
            <label htmlFor={`set-${f.id}`}>{f.label}</label>
            <input
              id={`set-${f.id}`}
              type="number"
              min={f.min}
              max={f.max}
              step={1}
              value={f.value}
              onChange={(e) => f.set(e.target.value)}
              disabled={view === null}
              data-testid={`setting-${f.id}`}
            />
          </Fragment>
        ))}
        <span />
        <div className="note" data-testid="settings-usage">
          {view === null
            ? "Reading the settings…"
            : `In use now: ${inMb(view.memory_used)} in memory, ${inGb(view.disk_used)} on disk.`}
        </div>
        <span />
        <div className="note">
          Results larger than the memory limit spill to a temporary file; when the disk limit is reached the query
          stops with an error and keeps the rows it has.
        </div>
        {error !== null ? (
          <div className="note warn" data-testid="settings-error">
            {error}
          </div>
        ) : null}
      </div>
    </Modal>
  );
}
