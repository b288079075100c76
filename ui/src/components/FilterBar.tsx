// The table tab's filter bar: column conditions as chips (added from the bar or a cell's
// menu) and the user's own WHERE, both run on the server by the core's browse query.
import { useState } from "react";
import type { Browse, ConditionOp } from "../types";
import { Icon } from "./Icons";

const OPS: { op: ConditionOp; label: string }[] = [
  { op: "eq", label: "=" },
  { op: "not_eq", label: "≠" },
  { op: "lt", label: "<" },
  { op: "gt", label: ">" },
  { op: "like", label: "LIKE" },
  { op: "is_null", label: "IS NULL" },
  { op: "is_not_null", label: "IS NOT NULL" },
];

export function FilterBar(props: { browse: Browse; columns: string[] | null; whereText: string; setWhereText: (t: string) => void; change: (b: Browse) => void }) {
  const [condition, setCondition] = useState<{ column: string; op: ConditionOp; value: string } | null>(null);
  return (
    <div className="filterbar">
      {props.browse.conditions.map((c, i) => (
        <span key={i} className="chip" data-testid="condition">
          {c.column} {OPS.find((o) => o.op === c.op)?.label} {c.op === "is_null" || c.op === "is_not_null" ? "" : c.value}
          <span className="x" title="Remove" onClick={() => props.change({ ...props.browse, offset: 0, conditions: props.browse.conditions.filter((_, j) => j !== i) })}>
            <Icon name="close" />
          </span>
        </span>
      ))}
      {condition !== null ? (
        <span className="chip editing">
          <select className="input" data-testid="condition-column" value={condition.column} onChange={(e) => setCondition({ ...condition, column: e.target.value })}>
            {(props.columns ?? []).map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
          <select className="input" data-testid="condition-op" value={condition.op} onChange={(e) => setCondition({ ...condition, op: e.target.value as ConditionOp })}>
            {OPS.map((o) => (
              <option key={o.op} value={o.op}>
                {o.label}
              </option>
            ))}
          </select>
          {condition.op !== "is_null" && condition.op !== "is_not_null" ? (
            <input
              className="input"
              data-testid="condition-value"
              value={condition.value}
              autoFocus
              onChange={(e) => setCondition({ ...condition, value: e.target.value })}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  props.change({ ...props.browse, offset: 0, conditions: [...props.browse.conditions, condition] });
                  setCondition(null);
                } else if (e.key === "Escape") setCondition(null);
              }}
            />
          ) : null}
          <button
            className="btn"
            data-testid="condition-add"
            onClick={() => {
              props.change({ ...props.browse, offset: 0, conditions: [...props.browse.conditions, condition] });
              setCondition(null);
            }}
          >
            Add
          </button>
        </span>
      ) : (
        <button className="btn ghost" data-testid="new-condition" disabled={props.columns === null} onClick={() => setCondition({ column: props.columns?.[0] ?? "", op: "eq", value: "" })}>
          + Condition
        </button>
      )}
      <span className="where-label">WHERE</span>
      <input
        className="input where"
        data-testid="where"
        placeholder="any condition, as the server reads it (Enter applies)"
        value={props.whereText}
        onChange={(e) => props.setWhereText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") props.change({ ...props.browse, offset: 0, raw_where: props.whereText.trim() === "" ? null : props.whereText });
        }}
      />
    </div>
  );
}
