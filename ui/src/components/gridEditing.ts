// Editing in the grid of a table tab: which cell edits, what opens its editor, and the keys
// that change cells (Enter/F2 edit, Delete sets NULL, Ctrl+Delete deletes rows, a typed
// character starts an edit with it). The grid draws; the tab keeps the pending set.
import type { Cell, NewValue, SortDirection } from "../types";
import { isCut, isMissing } from "../types";
import type { EditorSpec } from "./CellEditor";

interface Pos {
  row: number;
  col: number;
}

interface Area {
  r1: number;
  r2: number;
  c1: number;
  c2: number;
}

export interface MenuItem {
  label: string;
  action: () => void;
}

/** A table tab's grid takes edits: cells show their pending values, added rows follow the
 *  stored ones, and the tab keeps the pending set (lib/pending.ts). */
export interface GridEditing {
  pending: (row: number, col: number) => NewValue | undefined;
  rowState: (row: number) => "deleted" | "added" | "conflict" | undefined;
  /** Rows added below the stored ones. */
  added: number;
  /** Why a column cannot be written (generated, the row address), or null. */
  readOnly: (col: number) => string | null;
  /** The editor a column's cells get. */
  editor: (col: number) => EditorSpec;
  /** What an added row's untouched cell shows: DEFAULT, or what the server computes. */
  placeholder: (col: number) => string;
  set: (cells: { row: number; col: number; value: NewValue }[]) => void;
  paste: (row: number, col: number, text: string) => void;
  deleteRows: (rows: number[]) => void;
  /** The stored row an added row's cell copies (a duplicated row), or null. */
  copied: (row: number, col: number) => number | null;
  menu: (row: number, col: number, area: { r1: number; r2: number; c1: number; c2: number }, shown: Cell | undefined) => MenuItem[];
}

export interface GridSort {
  keys: [number, SortDirection][];
  onSort: (col: number, add: boolean) => void;
}

export interface Editing {
  row: number;
  col: number;
  text: string;
  multiline: boolean;
}

export function pendingText(v: NewValue): string {
  return v.kind === "null" ? "NULL" : v.kind === "default" ? "DEFAULT" : v.value;
}

function cellText(c: Cell | undefined): string {
  if (c === undefined || c === null || isMissing(c)) return "";
  return typeof c === "string" ? c : c.t;
}

export function useCellEditing(a: {
  edits: GridEditing | undefined;
  stored: number;
  total: number;
  width: number;
  cellAt: (p: Pos) => Cell | undefined;
  readWhole: (p: Pos) => Promise<string>;
  notify: (message: string, kind?: "ok" | "error") => void;
  setEditing: (e: Editing | null) => void;
  finished: { current: Editing | null };
  moveTo: (p: Pos) => void;
  focusGrid: () => void;
}) {
  /** Starts editing a cell; a cut value is read whole first. */
  const beginEdit = (p: Pos, typed: string | null) => {
    const edits = a.edits;
    if (edits === undefined) return;
    const why = edits.readOnly(p.col);
    if (why !== null) {
      a.notify(why, "error");
      return;
    }
    if (edits.rowState(p.row) === "deleted") return;
    const open = (text: string) => {
      a.setEditing({ row: p.row, col: p.col, text, multiline: text.includes("\n") });
    };
    // A list starts at the cell's value, not at the key that opened it.
    if (edits.editor(p.col).options !== null) typed = null;
    const pending = edits.pending(p.row, p.col);
    if (typed !== null) {
      open(typed);
      return;
    }
    if (pending !== undefined) {
      open(pending.kind === "text" ? pending.value : "");
      return;
    }
    if (p.row >= a.stored) {
      open("");
      return;
    }
    const cell = a.cellAt(p);
    if (isCut(cell)) {
      a.readWhole(p)
        .then((text) => {
          open(text);
        })
        .catch((e: unknown) => {
          a.notify(`Could not read the value: ${String((e as { message?: string }).message ?? e)}`, "error");
        });
      return;
    }
    open(cell === null || cell === undefined || isMissing(cell) ? "" : cellText(cell));
  };

  const finishEdit = (e: Editing, move: Pos | null, started: Editing = e) => {
    // Enter or Tab finished it; the blur of the input going away must not finish it again.
    if (a.finished.current === started) return;
    a.finished.current = started;
    a.setEditing(null);
    a.edits?.set([{ row: e.row, col: e.col, value: { kind: "text", value: e.text } }]);
    if (move !== null) {
      a.moveTo({
        row: Math.min(Math.max(move.row, 0), Math.max(a.total - 1, 0)),
        col: Math.min(Math.max(move.col, 0), a.width - 1),
      });
    }
    a.focusGrid();
  };

  const selectedCells = (s: Area | null) => {
    if (s === null) return [];
    const cells: Pos[] = [];
    for (let r = s.r1; r <= s.r2; r++) for (let c = s.c1; c <= s.c2; c++) if (a.edits?.readOnly(c) === null) cells.push({ row: r, col: c });
    return cells;
  };

  /** The keys that edit; true when the key was one of them. */
  const onEditKey = (e: React.KeyboardEvent, focus: Pos, sel: Area | null): boolean => {
    const edits = a.edits;
    if (edits === undefined) return false;
    const mod = e.ctrlKey || e.metaKey;
    if (e.key === "F2" || (e.key === "Enter" && !mod)) {
      e.preventDefault();
      beginEdit(focus, null);
      return true;
    }
    if (e.key === "Delete" && mod) {
      e.preventDefault();
      const s = sel ?? { r1: focus.row, r2: focus.row };
      const rows: number[] = [];
      for (let r = s.r1; r <= s.r2; r++) rows.push(r);
      edits.deleteRows(rows);
      return true;
    }
    if (e.key === "Delete") {
      // An empty string is typed, not deleted: Delete means NULL.
      e.preventDefault();
      edits.set(selectedCells(sel ?? { r1: focus.row, r2: focus.row, c1: focus.col, c2: focus.col }).map((p) => ({ ...p, value: { kind: "null" } })));
      return true;
    }
    if (e.key.length === 1 && !mod && !e.altKey) {
      e.preventDefault();
      beginEdit(focus, e.key);
      return true;
    }
    return false;
  };

  return { beginEdit, finishEdit, onEditKey };
}
