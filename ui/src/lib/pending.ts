// A table tab's pending changes: what the user edited, added and deleted since the rows
// were read, kept until Commit or Discard. Every edit makes a new snapshot, so undo and
// redo are a step through the list, and nothing typed is lost by a failed commit.
import type { GridChange, NewValue } from "../types";

export interface AddedRow {
  /** Values by column name; a column left out takes its default. */
  values: Record<string, NewValue>;
  /** The stored row it duplicates, if any. */
  copyOf: number | null;
}

export interface Pending {
  /** Stored row -> column name -> new value. */
  updates: Record<number, Record<string, NewValue>>;
  deleted: number[];
  added: AddedRow[];
}

export const nothingPending: Pending = { updates: {}, deleted: [], added: [] };

export function count(p: Pending): number {
  const edited = Object.keys(p.updates).filter((r) => !p.deleted.includes(Number(r))).length;
  return edited + p.deleted.length + p.added.length;
}

/** Sets `column` of grid row `row`: a stored row below `total`, else an added one. */
export function setCell(p: Pending, total: number, row: number, column: string, value: NewValue): Pending {
  if (row >= total) {
    const at = row - total;
    const added = p.added.map((a, i) => (i === at ? { ...a, values: { ...a.values, [column]: value } } : a));
    return { ...p, added };
  }
  return { ...p, updates: { ...p.updates, [row]: { ...(p.updates[row] ?? {}), [column]: value } } };
}

/** Puts an edit of a stored cell back to the value read. */
export function revertCell(p: Pending, row: number, column: string): Pending {
  const cells = { ...(p.updates[row] ?? {}) };
  // A computed key: the edited column's name.
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
  delete cells[column];
  const updates = { ...p.updates };
  if (Object.keys(cells).length === 0) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
    delete updates[row];
  } else updates[row] = cells;
  return { ...p, updates };
}

export function addRow(p: Pending, row: AddedRow = { values: {}, copyOf: null }): Pending {
  return { ...p, added: [...p.added, row] };
}

/** Deletes grid rows: stored ones are marked, added ones dropped. Marking a row already
 *  marked unmarks it. */
export function toggleDelete(p: Pending, total: number, rows: number[]): Pending {
  const stored = rows.filter((r) => r < total);
  const addedGone = new Set(rows.filter((r) => r >= total).map((r) => r - total));
  const allMarked = stored.length > 0 && stored.every((r) => p.deleted.includes(r));
  const deleted = allMarked ? p.deleted.filter((r) => !stored.includes(r)) : [...new Set([...p.deleted, ...stored])];
  return { ...p, deleted, added: p.added.filter((_, i) => !addedGone.has(i)) };
}

/** The changes in the order they run, and for each the grid row it came from. Deletes go
 *  first (a new row may reuse a deleted row's key), then updates, then inserts. */
export function changes(p: Pending, total: number): { changes: GridChange[]; rows: number[] } {
  const out: GridChange[] = [];
  const rows: number[] = [];
  for (const r of [...p.deleted].sort((a, b) => a - b)) {
    out.push({ kind: "delete", row: r });
    rows.push(r);
  }
  for (const [key, cells] of Object.entries(p.updates)) {
    const r = Number(key);
    if (p.deleted.includes(r)) continue;
    out.push({ kind: "update", row: r, set: Object.entries(cells) });
    rows.push(r);
  }
  p.added.forEach((a, i) => {
    out.push({ kind: "insert", values: Object.entries(a.values), copy_of: a.copyOf });
    rows.push(total + i);
  });
  return { changes: out, rows };
}

/** The snapshots of a tab's pending set: undo and redo step through them. */
export interface History {
  states: Pending[];
  at: number;
}

export const freshHistory: History = { states: [nothingPending], at: 0 };

export function current(h: History): Pending {
  return h.states[h.at] ?? nothingPending;
}

export function push(h: History, next: Pending): History {
  return { states: [...h.states.slice(0, h.at + 1), next], at: h.at + 1 };
}

export function undo(h: History): History {
  return h.at > 0 ? { ...h, at: h.at - 1 } : h;
}

export function redo(h: History): History {
  return h.at < h.states.length - 1 ? { ...h, at: h.at + 1 } : h;
}

/** Cells of a block copied from a spreadsheet: tab-separated, one row per line, with
 *  Excel's quoting of cells that hold tabs, newlines or quotes. */
export function parseBlock(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
        continue;
      }
      if (ch === '"') quoted = false;
      else cell += ch;
      i++;
      continue;
    }
    if (ch === '"' && cell === "") quoted = true;
    else if (ch === "\t") {
      row.push(cell);
      cell = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += ch;
    i++;
  }
  if (cell !== "" || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
