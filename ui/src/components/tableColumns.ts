// What a table tab shows of its table's columns: the editor each column's cells get, and
// how the tab names its rows.
import type { ColumnInfo, EditTable, Engine } from "../types";
import type { EditorSpec } from "./CellEditor";

export function keyText(t: EditTable): string {
  switch (t.key.kind) {
    case "columns":
      return `rows named by ${t.key.source.kind === "primary" ? "primary key" : `unique key ${t.key.source.index}`} (${t.key.columns.join(", ")})`;
    case "row_id":
      return `rows named by ${t.key.column} and every value read`;
    case "read_only":
      return "read-only";
  }
}

/** The editor a column's cells get: its labels, true/false, or text with a hint of the
 *  form the server reads. */
export function editorFor(engine: Engine, c: ColumnInfo | undefined): EditorSpec {
  if (c === undefined) return { options: null, hint: null };
  const t = c.data_type.toLowerCase();
  if (c.choices !== undefined && c.choices !== null) {
    return c.choices.several ? { options: null, hint: `any of ${c.choices.values.join(", ")}, comma-separated` } : { options: c.choices.values, hint: null };
  }
  if (t === "boolean" || t === "bool") return { options: engine === "postgres" ? ["true", "false"] : ["1", "0"], hint: null };
  if (t === "tinyint(1)" || t === "bit") return { options: ["1", "0"], hint: null };
  const hints: [RegExp, string][] = [
    [/^timestamp.* with time zone$|^timestamptz|^datetimeoffset/, "2024-02-29 23:59:59.5+05:30"],
    [/^timestamp|^datetime|^smalldatetime/, "2024-02-29 23:59:59.5"],
    [/^date$/, "2024-02-29"],
    [/^time/, "23:59:59"],
    [/^interval/, "1 year 2 mons 3 days 04:05:06"],
    [/^jsonb?$/, '{"key": [1, 2]}'],
    [/^uuid$|^uniqueidentifier$/, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"],
    [/\[\]$/, "{1,2,3}"],
    [/^bytea$/, "\\x00ff10"],
  ];
  return { options: null, hint: hints.find(([re]) => re.test(t))?.[1] ?? null };
}
