// The result grid: virtualized both ways, pages fetched from the backend as they scroll
// into view, resizable columns, NULL shown apart from '', rectangular selection and copy.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { api } from "../api";
import type { Cell, Column } from "../types";
import { isCut, isMissing } from "../types";
import { copyText } from "../lib/clipboard";
import { formatCount } from "../lib/format";
import { CellEditor } from "./CellEditor";
import { useCellEditing, pendingText, type Editing, type GridEditing, type GridSort, type MenuItem } from "./gridEditing";

export type { GridEditing, GridSort, MenuItem };

const ROW_H = 24;
const HEADER_H = 28;
const PAGE = 200;
/** The row-number column: wide enough for the largest row number (7 digits at a million). */
function gutterWidth(total: number): number {
  // 8 px per digit of the 13 px monospace font, plus the cell's padding and border.
  return Math.max(64, 26 + String(total).length * 8);
}

export interface GridResult {
  index: number;
  columns: Column[];
  kinds: string[];
  total: number;
  first: Cell[][] | null;
  complete: boolean;
}

interface Pos {
  row: number;
  col: number;
}

export type CopyFormat = "tsv" | "csv" | "json";

function initialWidth(column: Column, kind: string | undefined): number {
  const byKind = kind === "number" ? 96 : kind === "date" ? 190 : kind === "bool" ? 70 : kind === "json" ? 240 : 170;
  const byName = column.name.length * 8 + 36;
  return Math.min(Math.max(byKind, byName, 64), 420);
}

function cellText(c: Cell | undefined): string {
  if (c === undefined || c === null || isMissing(c)) return "";
  return typeof c === "string" ? c : c.t;
}

export function DataGrid(props: {
  queryId: string;
  result: GridResult;
  onOpenCell: (row: number, col: number) => void;
  onContextMenu: (x: number, y: number, items: { label: string; action: () => void }[]) => void;
  onPainted?: () => void;
  notify: (message: string, kind?: "ok" | "error") => void;
  editing?: GridEditing;
  sort?: GridSort;
}) {
  const { queryId, result } = props;
  const edits = props.editing;
  const [editing, setEditing] = useState<Editing | null>(null);
  const finished = useRef<Editing | null>(null);
  const scroller = useRef<HTMLDivElement | null>(null);
  // Pages fetched from the store; page 0 comes with the query events until fetched.
  const [pages, setPages] = useState(new Map<number, Cell[][]>());
  const inflight = useRef(new Set<number>());
  const [view, setView] = useState({ top: 0, left: 0, height: 400, width: 800 });
  const [resized, setResized] = useState<Record<number, number>>({});
  const [anchor, setAnchor] = useState<Pos | null>(null);
  const [focus, setFocus] = useState<Pos | null>(null);
  const painted = useRef(false);
  const widths = useMemo(
    // A MongoDB row's document column is not drawn (the JSON view shows it).
    () => result.columns.map((c, i) => (c.document === true ? 0 : resized[i] ?? initialWidth(c, result.kinds[i]))),
    [result.columns, result.kinds, resized],
  );
  const pageAt = (p: number): Cell[][] | undefined => pages.get(p) ?? (p === 0 && result.first !== null ? result.first : undefined);

  useLayoutEffect(() => {
    if (!painted.current && (result.first?.length ?? 0) > 0 && props.onPainted !== undefined) {
      painted.current = true;
      const done = props.onPainted;
      requestAnimationFrame(() => {
        done();
      });
    }
  }, [result.first, props.onPainted]);

  const measure = useCallback(() => {
    const el = scroller.current;
    if (el) setView({ top: el.scrollTop, left: el.scrollLeft, height: el.clientHeight, width: el.clientWidth });
  }, []);
  useLayoutEffect(() => {
    measure();
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => {
      observer.disconnect();
    };
  }, [measure]);

  const stored = result.total;
  // Added rows are drawn below the stored ones.
  const total = stored + (edits?.added ?? 0);
  const gutter = gutterWidth(total);
  const firstRow = Math.max(0, Math.floor((view.top - HEADER_H) / ROW_H) - 6);
  const lastRow = Math.min(total, Math.ceil((view.top + view.height) / ROW_H) + 6);

  // Columns on screen, from their cumulative widths.
  const offsets = useMemo(() => {
    const acc = [0];
    for (const w of widths) acc.push((acc[acc.length - 1] ?? 0) + w);
    return acc;
  }, [widths]);
  const contentWidth = gutter + (offsets[offsets.length - 1] ?? 0);
  let firstCol = 0;
  while (firstCol < widths.length - 1 && gutter + (offsets[firstCol + 1] ?? 0) < view.left) firstCol++;
  let lastCol = firstCol;
  while (lastCol < widths.length && gutter + (offsets[lastCol] ?? 0) < view.left + view.width) lastCol++;

  // Fetch the pages on screen that are missing, or were partial when fetched.
  useEffect(() => {
    const wanted: number[] = [];
    for (let p = Math.floor(firstRow / PAGE); p <= Math.floor(Math.max(lastRow - 1, 0) / PAGE); p++) {
      // A page fetched (or sent) while its rows were still arriving is fetched again.
      const have = pageAt(p);
      const short = have === undefined || have.length < Math.min(PAGE, stored - p * PAGE);
      if (short && !inflight.current.has(p) && p * PAGE < stored) wanted.push(p);
    }
    for (const p of wanted) {
      inflight.current.add(p);
      api
        .fetchRows(queryId, result.index, p * PAGE, PAGE)
        .then((rows) => {
          setPages((m) => new Map(m).set(p, rows));
        })
        .catch((e: unknown) => {
          props.notify(`Could not load rows: ${String((e as { message?: string }).message ?? e)}`, "error");
        })
        .finally(() => {
          inflight.current.delete(p);
        });
    }
    // pageAt reads pages and result.first, both listed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [firstRow, lastRow, stored, queryId, result.index, result.first, pages, props.notify]);

  const rowAt = (r: number): Cell[] | undefined => pageAt(Math.floor(r / PAGE))?.[r % PAGE];

  const sel = useMemo(() => {
    if (anchor === null || focus === null) return null;
    return {
      r1: Math.min(anchor.row, focus.row),
      r2: Math.max(anchor.row, focus.row),
      c1: Math.min(anchor.col, focus.col),
      c2: Math.max(anchor.col, focus.col),
    };
  }, [anchor, focus]);

  const copy = async (format: CopyFormat, header: boolean, area?: { r1: number; r2: number; c1: number; c2: number }) => {
      const s = area ?? sel;
      if (s === null) return;
      const columns: number[] = [];
      for (let c = s.c1; c <= s.c2; c++) columns.push(c);
      try {
        const text = await api.copyRows({
          query_id: queryId,
          result: result.index,
          first_row: s.r1,
          end_row: s.r2 + 1,
          columns,
          format,
          header,
        });
        await copyText(text);
        const rows = s.r2 - s.r1 + 1;
        props.notify(`Copied ${formatCount(rows)} ${rows === 1 ? "row" : "rows"} as ${format.toUpperCase()}`, "ok");
      } catch (e) {
        props.notify(`Copy failed: ${String((e as { message?: string }).message ?? e)}`, "error");
      }
  };

  const scrollTo = (p: Pos) => {
    const el = scroller.current;
    if (!el) return;
    const top = HEADER_H + p.row * ROW_H;
    if (top < el.scrollTop + HEADER_H) el.scrollTop = top - HEADER_H;
    else if (top + ROW_H > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_H - el.clientHeight;
    const left = gutter + (offsets[p.col] ?? 0);
    const right = gutter + (offsets[p.col + 1] ?? 0);
    if (left - gutter < el.scrollLeft) el.scrollLeft = left - gutter;
    else if (right > el.scrollLeft + el.clientWidth) el.scrollLeft = right - el.clientWidth;
  };

  const { beginEdit, finishEdit, onEditKey } = useCellEditing({
    edits,
    stored,
    total,
    width: result.columns.length,
    cellAt: (p) => rowAt(p.row)?.[p.col],
    readWhole: (p) => api.cellValue(queryId, result.index, p.row, p.col).then((v) => v.text ?? ""),
    notify: props.notify,
    setEditing,
    finished,
    moveTo: (p) => {
      setFocus(p);
      setAnchor(p);
      scrollTo(p);
    },
    focusGrid: () => scroller.current?.focus(),
  });

  const onKeyDown = (e: React.KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    if (editing !== null) return;
    if (focus !== null && onEditKey(e, focus, sel)) return;
    if (mod && e.key.toLowerCase() === "c") {
      e.preventDefault();
      void copy("tsv", false);
      return;
    }
    if (mod && e.key.toLowerCase() === "a") {
      e.preventDefault();
      setAnchor({ row: 0, col: 0 });
      setFocus({ row: Math.max(total - 1, 0), col: result.columns.length - 1 });
      return;
    }
    if (focus === null) return;
    if (e.key === "ContextMenu" || (e.shiftKey && e.key === "F10")) {
      e.preventDefault();
      const box = scroller.current?.getBoundingClientRect();
      const x = (box?.left ?? 0) + gutter + (offsets[focus.col] ?? 0) - view.left + 20;
      const y = (box?.top ?? 0) + HEADER_H + (focus.row + 1) * ROW_H - view.top;
      menuAt(focus, x, y);
      return;
    }
    if (e.key === "Enter") {
      e.preventDefault();
      props.onOpenCell(focus.row, focus.col);
      return;
    }
    const moves: Record<string, Pos> = {
      ArrowUp: { row: focus.row - 1, col: focus.col },
      ArrowDown: { row: focus.row + 1, col: focus.col },
      ArrowLeft: { row: focus.row, col: focus.col - 1 },
      ArrowRight: { row: focus.row, col: focus.col + 1 },
      PageDown: { row: focus.row + Math.floor(view.height / ROW_H) - 1, col: focus.col },
      PageUp: { row: focus.row - Math.floor(view.height / ROW_H) + 1, col: focus.col },
      Home: { row: mod ? 0 : focus.row, col: 0 },
      End: { row: mod ? total - 1 : focus.row, col: result.columns.length - 1 },
    };
    const next = moves[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const p = {
      row: Math.min(Math.max(next.row, 0), Math.max(total - 1, 0)),
      col: Math.min(Math.max(next.col, 0), result.columns.length - 1),
    };
    setFocus(p);
    if (!e.shiftKey) setAnchor(p);
    scrollTo(p);
  };

  const startResize = (col: number, e: React.MouseEvent) => {
    e.preventDefault();
    e.stopPropagation();
    const startX = e.clientX;
    const startW = widths[col] ?? 100;
    const move = (ev: MouseEvent) => {
      setResized((r) => ({ ...r, [col]: Math.max(40, startW + ev.clientX - startX) }));
    };
    const up = () => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  };

  const dragging = useRef(false);
  const onCellDown = (p: Pos, e: React.MouseEvent) => {
    if (e.button !== 0) return;
    dragging.current = true;
    setFocus(p);
    if (!e.shiftKey || anchor === null) setAnchor(p);
    scroller.current?.focus();
  };
  useEffect(() => {
    const up = () => {
      dragging.current = false;
    };
    window.addEventListener("mouseup", up);
    return () => {
      window.removeEventListener("mouseup", up);
    };
  }, []);

  const menuFor = (p: Pos, e: React.MouseEvent) => {
    e.preventDefault();
    menuAt(p, e.clientX, e.clientY);
  };

  const menuAt = (p: Pos, x: number, y: number) => {
    if (p.row >= stored && edits !== undefined) {
      // An added row has nothing stored to view or copy.
      setAnchor(p);
      setFocus(p);
      props.onContextMenu(x, y, edits.menu(p.row, p.col, { r1: p.row, r2: p.row, c1: p.col, c2: p.col }, undefined));
      return;
    }
    const inside = sel !== null && p.row >= sel.r1 && p.row <= sel.r2 && p.col >= sel.c1 && p.col <= sel.c2;
    const area = sel !== null && inside ? sel : { r1: p.row, r2: p.row, c1: p.col, c2: p.col };
    if (!inside) {
      setAnchor(p);
      setFocus(p);
    }
    const allCols = { r1: area.r1, r2: area.r2, c1: 0, c2: result.columns.length - 1 };
    props.onContextMenu(x, y, [
      ...(edits?.menu(p.row, p.col, area, rowAt(p.row)?.[p.col]) ?? []),
      { label: "View value…", action: () => props.onOpenCell(p.row, p.col) },
      { label: "Copy value", action: () => void copy("tsv", false, { r1: p.row, r2: p.row, c1: p.col, c2: p.col }) },
      { label: "Copy selection as TSV", action: () => void copy("tsv", true, area) },
      { label: "Copy selection as CSV", action: () => void copy("csv", true, area) },
      { label: "Copy selection as JSON", action: () => void copy("json", true, area) },
      { label: "Copy rows as TSV", action: () => void copy("tsv", true, allCols) },
      { label: "Copy rows as JSON", action: () => void copy("json", true, allCols) },
    ]);
  };

  /** An added row's untouched cell: the value it copies, else what the server will put. */
  const copiedCell = (r: number, c: number): Cell | undefined => {
    const from = edits?.copied(r, c) ?? null;
    return from !== null ? rowAt(from)?.[c] : edits?.placeholder(c);
  };

  const leftPad = gutter + (offsets[firstCol] ?? 0);
  const rightPad = contentWidth - gutter - (offsets[lastCol] ?? 0);
  const visibleCols: number[] = [];
  for (let c = firstCol; c < lastCol; c++) if (result.columns[c]?.document !== true) visibleCols.push(c);

  const rows = [];
  for (let r = firstRow; r < lastRow; r++) {
    const isAdded = r >= stored;
    const row = isAdded ? [] : rowAt(r);
    const state = edits?.rowState(r);
    rows.push(
      <div key={r} className={`grid-row${state !== undefined ? ` ${state}` : ""}`} style={{ top: HEADER_H + r * ROW_H, width: contentWidth }} data-row={r}>
        <div className="gc rn" style={{ width: gutter }} title={state === "deleted" ? "deleted on commit" : state === "added" ? "added on commit" : state === "conflict" ? "changed by someone else since it was read" : undefined}>
          {isAdded ? "+" : r + 1}
        </div>
        <div style={{ width: leftPad - gutter, flex: "none" }} />
        {visibleCols.map((c) => {
          // A row fetched before its result gained a column has no cell there: the
          // document lacked that field (not NULL).
          const pending = edits?.pending(r, c);
          const cell: Cell | undefined =
            pending !== undefined
              ? pending.kind === "null"
                ? null
                : pendingText(pending)
              : isAdded
                ? copiedCell(r, c)
                : row !== undefined && c >= row.length
                  ? { m: 1 }
                  : row?.[c];
          const kind = result.kinds[c];
          const selected = sel !== null && r >= sel.r1 && r <= sel.r2 && c >= sel.c1 && c <= sel.c2;
          const focused = focus !== null && focus.row === r && focus.col === c;
          let cls = "gc";
          if (row === undefined) cls += " loading";
          else if (isMissing(cell)) cls += " missing";
          else if (cell === null || cell === undefined) cls += " null";
          else if (kind === "number") cls += " num";
          else if (kind === "bool") cls += " bool";
          if (isCut(cell)) cls += " cut";
          if (pending !== undefined) cls += " edited";
          if (isAdded && pending === undefined && edits?.copied(r, c) === null) cls += " placeholder";
          if (selected) cls += " sel";
          if (focused) cls += " focus";
          return (
            <div
              key={c}
              className={cls}
              style={{ width: widths[c] }}
              data-col={c}
              onMouseDown={(e) => {
                onCellDown({ row: r, col: c }, e);
              }}
              onMouseEnter={() => {
                if (dragging.current) setFocus({ row: r, col: c });
              }}
              onDoubleClick={() => {
                if (edits !== undefined) beginEdit({ row: r, col: c }, null);
                else props.onOpenCell(r, c);
              }}
              onContextMenu={(e) => {
                menuFor({ row: r, col: c }, e);
              }}
              title={isCut(cell) ? `${formatCount(cell.n)} characters — double-click to see all` : isMissing(cell) ? "this document has no such field" : undefined}
            >
              {editing !== null && editing.row === r && editing.col === c ? (
                <CellEditor
                  text={editing.text}
                  multiline={editing.multiline}
                  spec={edits?.editor(c) ?? { options: null, hint: null }}
                  onChange={(text, multiline) => {
                    setEditing({ ...editing, text, multiline });
                  }}
                  onDone={(move, text) => {
                    const done = text === undefined ? editing : { ...editing, text };
                    finishEdit(done, move === "down" ? { row: r + 1, col: c } : move === "right" ? { row: r, col: c + 1 } : move === "left" ? { row: r, col: c - 1 } : null, editing);
                  }}
                  onCancel={() => {
                    finished.current = editing;
                    setEditing(null);
                    scroller.current?.focus();
                  }}
                />
              ) : row === undefined ? (
                "…"
              ) : isMissing(cell) ? (
                ""
              ) : cell === null || cell === undefined ? (
                "NULL"
              ) : (
                cellText(cell)
              )}
            </div>
          );
        })}
        <div style={{ width: rightPad, flex: "none" }} />
      </div>,
    );
  }

  return (
    <div
      className="grid"
      ref={scroller}
      tabIndex={0}
      onScroll={measure}
      onKeyDown={onKeyDown}
      onPaste={(e) => {
        if (edits === undefined || focus === null || editing !== null) return;
        e.preventDefault();
        edits.paste(focus.row, focus.col, e.clipboardData.getData("text/plain"));
      }}
      data-testid="grid"
      data-total={total}
    >
      <div className="grid-inner" style={{ height: HEADER_H + total * ROW_H, width: contentWidth }}>
        <div className="grid-header" style={{ width: contentWidth }}>
          <div className="gc rn" style={{ width: gutter }} />
          <div style={{ width: leftPad - gutter, flex: "none" }} />
          {visibleCols.map((c) => {
            const col = result.columns[c];
            if (col === undefined) return null;
            return (
              <div
                key={c}
                className="gc"
                style={{ width: widths[c] }}
                title={`${col.name} — ${col.type_name || "no declared type"}${props.sort !== undefined ? " · click to sort, Shift+click to add a sort key" : ""}`}
                data-testid="grid-header"
                data-name={col.name}
                onClick={(e) => {
                  if (props.sort !== undefined) {
                    props.sort.onSort(c, e.shiftKey);
                    return;
                  }
                  setAnchor({ row: 0, col: c });
                  setFocus({ row: Math.max(total - 1, 0), col: c });
                }}
              >
                <span className="name">{col.name}</span>
                {sortMark(props.sort, c)}
                <span className="type">{col.type_name}</span>
                <span
                  className="resize"
                  onMouseDown={(e) => {
                    startResize(c, e);
                  }}
                />
              </div>
            );
          })}
        </div>
        {rows}
      </div>
    </div>
  );
}

/** The header's sort arrow, numbered when there are several keys. */
function sortMark(sort: GridSort | undefined, col: number) {
  if (sort === undefined) return null;
  const at = sort.keys.findIndex(([c]) => c === col);
  const key = sort.keys[at];
  if (key === undefined) return null;
  return (
    <span className="sort" data-testid="sort-mark">
      {key[1] === "asc" ? "▲" : "▼"}
      {sort.keys.length > 1 ? at + 1 : ""}
    </span>
  );
}
