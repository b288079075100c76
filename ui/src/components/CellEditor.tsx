// The editor a table tab's cell opens: a list for enums and booleans, a line for most
// values, a box for text with line breaks (Shift+Enter opens it; Ctrl+Enter saves there).

export interface EditorSpec {
  /** The values to pick from (an enum, a boolean); null: free text. */
  options: string[] | null;
  /** How the server wants the value written (a date, a set's labels...). */
  hint: string | null;
}

export type EditMove = "down" | "right" | "left" | null;

export function CellEditor(props: {
  text: string;
  multiline: boolean;
  spec: EditorSpec;
  onChange: (text: string, multiline: boolean) => void;
  onDone: (move: EditMove, text?: string) => void;
  onCancel: () => void;
}) {
  const { spec } = props;
  const stop = (ev: React.SyntheticEvent) => {
    ev.stopPropagation();
  };
  if (spec.options !== null && !props.multiline) {
    const options = spec.options.includes(props.text) || props.text === "" ? spec.options : [props.text, ...spec.options];
    return (
      <select
        className="cell-editor"
        data-testid="cell-editor"
        autoFocus
        value={props.text}
        onMouseDown={stop}
        onChange={(ev) => {
          props.onDone(null, ev.target.value);
        }}
        onKeyDown={(ev) => {
          ev.stopPropagation();
          if (ev.key === "Escape") {
            ev.preventDefault();
            props.onCancel();
          } else if (ev.key === "Enter" || ev.key === "Tab") {
            ev.preventDefault();
            props.onDone(ev.key === "Enter" ? "down" : ev.shiftKey ? "left" : "right", (ev.target as HTMLSelectElement).value);
          }
        }}
        onBlur={() => props.onDone(null)}
      >
        {props.text === "" ? <option value="">(choose)</option> : null}
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  }
  if (props.multiline) {
    return (
      <textarea
        className="cell-editor multiline"
        data-testid="cell-editor"
        autoFocus
        value={props.text}
        placeholder={spec.hint ?? undefined}
        title="Ctrl+Enter saves, Esc cancels"
        onMouseDown={stop}
        onChange={(ev) => props.onChange(ev.target.value, true)}
        onKeyDown={(ev) => {
          ev.stopPropagation();
          if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
            ev.preventDefault();
            props.onDone("down");
          } else if (ev.key === "Escape") {
            ev.preventDefault();
            props.onCancel();
          }
        }}
        onBlur={() => props.onDone(null)}
      />
    );
  }
  return (
    <input
      className="cell-editor"
      data-testid="cell-editor"
      autoFocus
      value={props.text}
      placeholder={spec.hint ?? undefined}
      title={`${spec.hint !== null ? `${spec.hint} · ` : ""}Enter saves, Shift+Enter opens a box for several lines, Esc cancels`}
      onMouseDown={stop}
      onChange={(ev) => props.onChange(ev.target.value, false)}
      onKeyDown={(ev) => {
        ev.stopPropagation();
        if (ev.key === "Enter" && ev.shiftKey) {
          ev.preventDefault();
          props.onChange(props.text, true);
        } else if (ev.key === "Enter") {
          ev.preventDefault();
          props.onDone("down");
        } else if (ev.key === "Tab") {
          ev.preventDefault();
          props.onDone(ev.shiftKey ? "left" : "right");
        } else if (ev.key === "Escape") {
          ev.preventDefault();
          props.onCancel();
        }
      }}
      onBlur={() => props.onDone(null)}
    />
  );
}
