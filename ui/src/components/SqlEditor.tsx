// The query editor: CodeMirror 6 with the connection's SQL dialect (or mongosh), schema-aware completion,
// run / run all / cancel keys, and a marker where the server said the error is.
import { useEffect, useLayoutEffect, useRef } from "react";
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection, Decoration, type DecorationSet, placeholder } from "@codemirror/view";
import { EditorState, StateEffect, StateField, Prec, type Extension } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { sql, PostgreSQL, SQLite, MySQL, MSSQL, StandardSQL, keywordCompletionSource, type SQLDialect } from "@codemirror/lang-sql";
import {
  autocompletion,
  closeCompletion,
  completionKeymap,
  closeBrackets,
  closeBracketsKeymap,
  type Completion,
  type CompletionContext,
  type CompletionResult,
} from "@codemirror/autocomplete";
import { syntaxHighlighting, HighlightStyle, bracketMatching, indentOnInput } from "@codemirror/language";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { tags } from "@lezer/highlight";
import type { ColumnInfo, Engine, TableInfo, TableRef } from "../types";
import { mongoShell, shellCompletion } from "./mongoShell";

export interface SchemaSource {
  tables: (schema: string | null) => Promise<TableInfo[]>;
  columns: (table: TableRef) => Promise<ColumnInfo[]>;
}

export interface ErrorMark {
  from: number;
  to: number;
}

function dialectOf(engine: Engine): SQLDialect {
  switch (engine) {
    case "postgres":
      return PostgreSQL;
    case "sqlite":
      return SQLite;
    case "mysql":
      return MySQL;
    case "mssql":
      return MSSQL;
    default:
      return StandardSQL;
  }
}

const setError = StateEffect.define<ErrorMark | null>();
const errorField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    let next = tr.docChanged ? Decoration.none : marks.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setError)) {
        if (e.value === null) {
          next = Decoration.none;
        } else {
          const docLen = tr.state.doc.length;
          const from = Math.min(e.value.from, docLen);
          const to = Math.min(Math.max(e.value.to, from + 1), docLen);
          const line = tr.state.doc.lineAt(from);
          const ranges = [Decoration.line({ class: "cm-error-line" }).range(line.from)];
          if (to > from) ranges.push(Decoration.mark({ class: "cm-error-mark" }).range(from, to));
          next = Decoration.set(ranges, true);
        }
      }
    }
    return next;
  },
  provide: (f) => EditorView.decorations.from(f),
});

const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: "var(--cm-keyword)", fontWeight: "600" },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: "var(--cm-string)" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: "var(--cm-number)" },
  { tag: tags.operatorKeyword, color: "var(--cm-keyword)" },
  { tag: [tags.lineComment, tags.blockComment], color: "var(--cm-comment)", fontStyle: "italic" },
  { tag: [tags.typeName, tags.standard(tags.name)], color: "var(--cm-type)" },
  { tag: [tags.operator, tags.punctuation], color: "var(--cm-operator)" },
  { tag: [tags.name, tags.special(tags.name)], color: "var(--cm-name)" },
]);

const theme = EditorView.theme({
  "&": { backgroundColor: "var(--panel)", color: "var(--text)" },
  ".cm-content": { caretColor: "var(--accent)", padding: "6px 0" },
  ".cm-gutters": { backgroundColor: "var(--cm-gutter)", color: "var(--faint)", border: "none", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "var(--cm-active)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--cm-active)", color: "var(--text)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": { backgroundColor: "var(--select-strong) !important" },
  ".cm-cursor": { borderLeftColor: "var(--accent)", borderLeftWidth: "2px" },
  ".cm-tooltip": { backgroundColor: "var(--panel)", border: "1px solid var(--border)", borderRadius: "6px", boxShadow: "var(--shadow)" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": { backgroundColor: "var(--select)", color: "var(--text)" },
  ".cm-completionDetail": { color: "var(--faint)", fontStyle: "normal", marginLeft: "1em" },
  ".cm-placeholder": { color: "var(--faint)" },
});

/** The quote marks an engine reads as identifier quotes, its own first. MySQL quotes with
 * backticks, and takes double quotes too under ANSI_QUOTES; the others follow standard SQL. */
function identQuotes(engine: Engine): string[] {
  return engine === "mysql" ? ["`", '"'] : ['"'];
}

/** A regex source for one identifier, quoted in any of `quotes` or bare. */
function identPattern(quotes: string[], body: "+" | "*"): string {
  const quoted = quotes.map((q) => `${q}(?:[^${q}]|${q}${q})${body}${q}`);
  return `(?:${[...quoted, String.raw`[\w$]+`].join("|")})`;
}

function unquote(name: string, engine: Engine): string {
  for (const q of identQuotes(engine)) {
    if (name.length >= 2 && name.startsWith(q) && name.endsWith(q)) return name.slice(1, -1).replaceAll(q + q, q);
  }
  return name;
}

/** The name as the engine needs it written: bare when it is a plain lower-case word, else
 * quoted in the engine's own way (a quote inside doubled). */
function quoteIfNeeded(name: string, engine: Engine): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name)) return name;
  const q = identQuotes(engine)[0] ?? '"';
  return `${q}${name.replaceAll(q, q + q)}${q}`;
}

/** Tables named in FROM / JOIN of the text, with their aliases. */
function referencedTables(text: string, engine: Engine): { table: TableRef; alias: string | null }[] {
  const out: { table: TableRef; alias: string | null }[] = [];
  const ident = identPattern(identQuotes(engine), "+");
  const re = new RegExp(String.raw`\b(?:FROM|JOIN|UPDATE|INTO)\s+(${ident}(?:\.${ident})?)(?:\s+(?:AS\s+)?(${ident}))?`, "gi");
  const reserved = new Set(["where", "on", "join", "left", "right", "inner", "outer", "full", "cross", "group", "order", "limit", "set", "values", "using", "natural", "union", "having", "window"]);
  for (const m of text.matchAll(re)) {
    const name = m[1] ?? "";
    const parts: string[] = name.match(new RegExp(ident, "g")) ?? [];
    const [first = "", second = ""] = parts;
    const table: TableRef =
      parts.length === 2
        ? { database: null, schema: unquote(first, engine), name: unquote(second, engine) }
        : { database: null, schema: null, name: unquote(first, engine) };
    const alias = m[2] !== undefined && !reserved.has(m[2].toLowerCase()) ? unquote(m[2], engine) : null;
    out.push({ table, alias });
  }
  return out;
}

function schemaCompletion(source: SchemaSource, engine: Engine) {
  const quotes = identQuotes(engine);
  // An optional qualifier and a dot, then the start of a name, perhaps with its opening quote.
  const opening = `[${quotes.join("")}]?` + String.raw`[\w$]*`;
  const before = new RegExp(String.raw`(?:${identPattern(quotes, "*")}\.)?${opening}$`);
  const validFor = new RegExp(`^${opening}$`);
  const quote = (name: string) => quoteIfNeeded(name, engine);
  return async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const word = ctx.matchBefore(before);
    if (word === null || (word.from === word.to && !ctx.explicit)) return null;
    const text = ctx.state.doc.toString();
    const dot = word.text.lastIndexOf(".");
    const refs = referencedTables(text, engine);
    if (dot >= 0) {
      const qualifier = unquote(word.text.slice(0, dot), engine);
      const from = word.from + dot + 1;
      const ref =
        refs.find((r) => r.alias?.toLowerCase() === qualifier.toLowerCase()) ??
        refs.find((r) => r.table.name.toLowerCase() === qualifier.toLowerCase());
      if (ref !== undefined) {
        const cols = await source.columns(ref.table).catch(() => []);
        return {
          from,
          options: cols.map((c): Completion => ({ label: quote(c.name), type: "property", detail: c.data_type, boost: 5 })),
          validFor,
        };
      }
      const tables = await source.tables(qualifier).catch(() => []);
      return {
        from,
        options: tables.map((t): Completion => ({ label: quote(t.name), type: "class", detail: t.kind.replace("_", " ") })),
        validFor,
      };
    }
    const [tables, ...columnLists] = await Promise.all([
      source.tables(null).catch(() => []),
      ...refs.slice(0, 6).map((r) => source.columns(r.table).catch(() => [])),
    ]);
    const options: Completion[] = tables.map((t) => ({ label: quote(t.name), type: "class", detail: t.kind.replace("_", " ") }));
    const seen = new Set<string>();
    for (const cols of columnLists) {
      for (const c of cols) {
        if (seen.has(c.name)) continue;
        seen.add(c.name);
        options.push({ label: quote(c.name), type: "property", detail: c.data_type, boost: 3 });
      }
    }
    return { from: word.from, options, validFor };
  };
}

export function SqlEditor(props: {
  engine: Engine;
  initial: string;
  /** Called with the editor once it exists, and with null when it goes. */
  onReady: (view: EditorView | null) => void;
  schema: SchemaSource;
  errorMark: ErrorMark | null;
  onChange: (doc: string) => void;
  onRun: (all: boolean) => void;
  onCancel: () => boolean;
}) {
  const host = useRef<HTMLDivElement | null>(null);
  const view = useRef<EditorView | null>(null);
  const callbacks = useRef(props);
  useLayoutEffect(() => {
    callbacks.current = props;
  });

  useEffect(() => {
    if (host.current === null) return;
    const dialect = dialectOf(props.engine);
    // MongoDB tabs speak the mongosh subset, every other engine its SQL dialect.
    const language: Extension[] =
      props.engine === "mongodb"
        ? [
            mongoShell,
            autocompletion({ override: [shellCompletion(props.schema)], activateOnTyping: true }),
            placeholder("Write a shell command here, e.g. db.orders.find({status: 'open'}). Ctrl+Enter runs the statement under the cursor."),
          ]
        : [
            sql({ dialect, upperCaseKeywords: true }),
            autocompletion({ override: [schemaCompletion(props.schema, props.engine), keywordCompletionSource(dialect, true)], activateOnTyping: true }),
            placeholder("Write SQL here. Ctrl+Enter runs the statement under the cursor."),
          ];
    const extensions: Extension[] = [
      lineNumbers(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      closeBrackets(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      syntaxHighlighting(highlight),
      ...language,
      errorField,
      theme,
      Prec.highest(
        keymap.of([
          {
            key: "Mod-Enter",
            run: (v) => {
              closeCompletion(v);
              callbacks.current.onRun(false);
              return true;
            },
          },
          {
            key: "Shift-Mod-Enter",
            run: (v) => {
              closeCompletion(v);
              callbacks.current.onRun(true);
              return true;
            },
          },
          { key: "Escape", run: () => callbacks.current.onCancel() },
        ]),
      ),
      keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...completionKeymap, indentWithTab]),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) callbacks.current.onChange(u.state.doc.toString());
      }),
    ];
    const editor = new EditorView({
      state: EditorState.create({ doc: props.initial, extensions }),
      parent: host.current,
    });
    view.current = editor;
    callbacks.current.onReady(editor);
    return () => {
      callbacks.current.onReady(null);
      view.current = null;
      editor.destroy();
    };
    // The editor is created once per tab; later prop changes go through refs and effects.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (editor === null) return;
    editor.dispatch({ effects: setError.of(props.errorMark) });
    if (props.errorMark !== null) {
      editor.dispatch({ selection: { anchor: Math.min(props.errorMark.from, editor.state.doc.length) }, scrollIntoView: true });
    }
  }, [props.errorMark]);

  return <div className="editor" ref={host} data-testid="editor" />;
}
