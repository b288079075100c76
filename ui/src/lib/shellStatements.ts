// Where mongosh statements end, for "run the statement under the cursor": at a ';' or at a
// line break outside brackets, strings and comments, unless the next line goes on with
// '.' (a chained call), as JavaScript's semicolon insertion reads it. The server-side parser
// (dbhive_drivers::mongo::shell) has the last word; this only picks the text to send.
import { pickAt, type Statement } from "./statements";

export function splitShellStatements(src: string): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  let depth = 0;
  const push = (end: number) => {
    const text = src.slice(start, end);
    const trimmed = text.trim();
    if (trimmed !== "" && trimmed !== ";" && !/^(\s|\/\/[^\n]*\n?|\/\*[\s\S]*?\*\/)*;?\s*$/.test(text)) {
      const lead = text.length - text.trimStart().length;
      out.push({ from: start + lead, to: start + lead + trimmed.length, text: trimmed });
    }
    start = end;
  };
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      const nl = src.indexOf("\n", i);
      i = nl === -1 ? n : nl;
      continue;
    }
    if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end === -1 ? n : end + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      i++;
      while (i < n && src[i] !== c && (c === "`" || src[i] !== "\n")) i += src[i] === "\\" ? 2 : 1;
      i++;
      continue;
    }
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth = Math.max(0, depth - 1);
    else if (c === ";" && depth === 0) {
      push(i + 1);
    } else if (c === "\n" && depth === 0) {
      // A line that starts with '.' continues the chain above it.
      const rest = src.slice(i + 1);
      const next = /^\s*(\/\/[^\n]*\n\s*)*(.)/.exec(rest);
      if (next?.[2] !== ".") push(i + 1);
    }
    i++;
  }
  push(n);
  return out;
}

/** The statement the cursor is in, or the closest one before it. */
export function shellStatementAt(src: string, cursor: number): Statement | null {
  return pickAt(splitShellStatements(src), cursor);
}
