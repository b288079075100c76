// Splitting a script into statements the way the servers will: semicolons inside quotes,
// dollar quotes, comments and trigger bodies do not end a statement.

export interface Statement {
  from: number;
  to: number;
  text: string;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_$]/.test(c);
}

/** Statements of `sql` with their offsets (UTF-16, as the editor counts). */
export function splitStatements(sql: string): Statement[] {
  const out: Statement[] = [];
  let start = 0;
  let i = 0;
  let blockDepth = 0; // BEGIN/CASE ... END inside CREATE TRIGGER / function bodies
  const n = sql.length;
  const push = (end: number) => {
    const text = sql.slice(start, end);
    if (text.trim() !== "" && !/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*;?\s*$/.test(text)) {
      const lead = text.length - text.trimStart().length;
      out.push({ from: start + lead, to: end, text: text.trim() });
    }
    start = end;
  };
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const nl = sql.indexOf("\n", i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === "/" && sql[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          depth--;
          i += 2;
        } else i++;
      }
      continue;
    }
    if (c === "'" || c === '"' || c === "`") {
      const backslashEscapes = c === "'" && (sql[i - 1] === "E" || sql[i - 1] === "e") && !isWordChar(sql[i - 2]);
      i++;
      while (i < n) {
        if (backslashEscapes && sql[i] === "\\") {
          i += 2;
          continue;
        }
        if (sql[i] === c) {
          if (sql[i + 1] === c) {
            i += 2;
            continue;
          }
          break;
        }
        i++;
      }
      i++;
      continue;
    }
    if (c === "$" && !isWordChar(sql[i - 1])) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const tag = m[0];
        const close = sql.indexOf(tag, i + tag.length);
        i = close === -1 ? n : close + tag.length;
        continue;
      }
    }
    if (isWordChar(c) && !isWordChar(sql[i - 1])) {
      let j = i;
      while (j < n && isWordChar(sql[j])) j++;
      const word = sql.slice(i, j).toUpperCase();
      const head = sql.slice(start, i).toUpperCase();
      if (/\bCREATE\b[\s\S]*\bTRIGGER\b/.test(head) || blockDepth > 0) {
        if (word === "BEGIN" || word === "CASE") blockDepth++;
        else if (word === "END" && blockDepth > 0) blockDepth--;
      }
      i = j;
      continue;
    }
    if (c === ";" && blockDepth === 0) {
      push(i + 1);
    }
    i++;
  }
  push(n);
  return out;
}

/** The statement the cursor is in, or the closest one before it. */
export function statementAt(sql: string, cursor: number): Statement | null {
  return pickAt(splitStatements(sql), cursor);
}

/** Of statements in order, the one the cursor is in, or the closest one before it. */
export function pickAt(all: Statement[], cursor: number): Statement | null {
  let best: Statement | null = null;
  for (const s of all) {
    if (s.from <= cursor) best = s;
    if (cursor <= s.to && cursor >= s.from) return s;
  }
  return best ?? all[0] ?? null;
}

/** UTF-16 offset of the 1-based code point position `position` in `text`. */
export function codePointOffset(text: string, position: number): number {
  let offset = 0;
  let count = 1;
  for (const ch of text) {
    if (count === position) return offset;
    offset += ch.length;
    count++;
  }
  return offset;
}
