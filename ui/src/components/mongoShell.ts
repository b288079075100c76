// The editor's language for MongoDB tabs: the mongosh subset the driver parses
// (docs/mongo.md), highlighted as such, and completion of collection names after `db.`,
// collection methods after `db.name.`, and `$` operators.
import { StreamLanguage, type StringStream } from "@codemirror/language";
import type { Completion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import { tags } from "@lezer/highlight";
import type { SchemaSource } from "./SqlEditor";

interface ShellState {
  inComment: boolean;
  /** The last token was a value, so a `/` divides instead of opening a regex. */
  afterValue: boolean;
}

const keywords = new Set(["db", "new", "show", "use", "it"]);
const atoms = new Set(["true", "false", "null", "undefined", "NaN", "Infinity", "MinKey", "MaxKey"]);
const constructors = new Set([
  "ObjectId",
  "ISODate",
  "Date",
  "NumberInt",
  "NumberLong",
  "NumberDecimal",
  "UUID",
  "BinData",
  "Timestamp",
  "RegExp",
]);

function token(stream: StringStream, state: ShellState): string | null {
  if (state.inComment) {
    if (stream.skipTo("*/")) {
      stream.match("*/");
      state.inComment = false;
    } else {
      stream.skipToEnd();
    }
    return "blockComment";
  }
  if (stream.eatSpace()) return null;
  if (stream.match("//")) {
    stream.skipToEnd();
    return "lineComment";
  }
  if (stream.match("/*")) {
    state.inComment = true;
    return token(stream, state) ?? "blockComment";
  }
  const quote = stream.peek();
  if (quote === '"' || quote === "'") {
    stream.next();
    let escaped = false;
    for (let c = stream.next(); c !== undefined; c = stream.next()) {
      if (c === quote && !escaped) break;
      escaped = !escaped && c === "\\";
    }
    state.afterValue = true;
    return "string";
  }
  if (quote === "/" && !state.afterValue) {
    stream.next();
    let escaped = false;
    let inClass = false;
    for (let c = stream.next(); c !== undefined; c = stream.next()) {
      if (!escaped && c === "[") inClass = true;
      else if (!escaped && c === "]") inClass = false;
      else if (c === "/" && !escaped && !inClass) break;
      escaped = !escaped && c === "\\";
    }
    stream.match(/^[a-z]*/);
    state.afterValue = true;
    return "regexp";
  }
  if (stream.match(/^-?(?:0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i)) {
    state.afterValue = true;
    return "number";
  }
  if (stream.match(/^\$[\w$]*/)) {
    state.afterValue = true;
    return "operatorKeyword";
  }
  const word = stream.match(/^[A-Za-z_][\w$]*/);
  if (word !== null && typeof word !== "boolean") {
    const w = word[0];
    state.afterValue = true;
    if (keywords.has(w)) return "keyword";
    if (atoms.has(w)) return "atom";
    if (constructors.has(w)) return "typeName";
    // A name before `:` is a document's key.
    return stream.match(/^\s*:/, false) ? "propertyName" : "variableName";
  }
  const c = stream.next() ?? "";
  state.afterValue = c === ")" || c === "]" || c === "}";
  return "([{}]),.:;".includes(c) ? "punctuation" : "operator";
}

export const mongoShell = StreamLanguage.define<ShellState>({
  name: "mongosh",
  startState: () => ({ inComment: false, afterValue: false }),
  copyState: (s) => ({ ...s }),
  token,
  tokenTable: { operatorKeyword: tags.operatorKeyword, atom: tags.atom },
  languageData: { commentTokens: { line: "//", block: { open: "/*", close: "*/" } }, closeBrackets: { brackets: ["(", "[", "{", "'", '"'] } },
});

const dbMethods = [
  "getCollection",
  "getCollectionNames",
  "getSiblingDB",
  "createCollection",
  "runCommand",
  "adminCommand",
  "dropDatabase",
];
const collectionMethods = [
  "find",
  "findOne",
  "aggregate",
  "countDocuments",
  "estimatedDocumentCount",
  "distinct",
  "insertOne",
  "insertMany",
  "updateOne",
  "updateMany",
  "replaceOne",
  "deleteOne",
  "deleteMany",
  "findOneAndUpdate",
  "findOneAndReplace",
  "findOneAndDelete",
  "bulkWrite",
  "createIndex",
  "dropIndex",
  "getIndexes",
  "drop",
];
const cursorMethods = ["sort", "skip", "limit", "batchSize", "count", "explain"];
const operators = [
  // stages
  "$match", "$project", "$group", "$sort", "$limit", "$skip", "$unwind", "$lookup", "$addFields", "$set", "$unset",
  "$count", "$facet", "$bucket", "$sample", "$replaceRoot", "$out", "$merge", "$graphLookup", "$sortByCount",
  // query
  "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$and", "$or", "$nor", "$not", "$exists", "$type",
  "$regex", "$expr", "$elemMatch", "$size", "$all", "$text", "$search",
  // update
  "$inc", "$push", "$pull", "$addToSet", "$pop", "$rename", "$min", "$max", "$mul", "$currentDate", "$setOnInsert",
  // accumulators and expressions
  "$sum", "$avg", "$first", "$last", "$concat", "$cond", "$ifNull", "$toString", "$dateToString",
];

const plainName = /^[A-Za-z_$][\w$]*$/;

/** Completion for MongoDB tabs; collection names come from the connection's current database. */
export function shellCompletion(source: SchemaSource) {
  return async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const op = ctx.matchBefore(/\$[\w$]*/);
    if (op !== null) {
      return { from: op.from, options: operators.map((label): Completion => ({ label, type: "keyword" })), validFor: /^\$[\w$]*$/ };
    }
    const show = ctx.matchBefore(/^\s*show\s+\w*/);
    if (show !== null) {
      const from = show.to - (/\w*$/.exec(show.text)?.[0].length ?? 0);
      return { from, options: ["dbs", "databases", "collections"].map((label) => ({ label, type: "keyword" })) };
    }
    const call = ctx.matchBefore(/\)\s*\.\w*/);
    if (call !== null) {
      const from = call.to - (/\w*$/.exec(call.text)?.[0].length ?? 0);
      return { from, options: cursorMethods.map((label): Completion => ({ label, type: "method" })), validFor: /^\w*$/ };
    }
    const member = ctx.matchBefore(/\bdb\.(?:[A-Za-z_$][\w$]*\.)?[\w$]*/);
    if (member === null) return null;
    const parts = member.text.split(".");
    const word = parts[parts.length - 1] ?? "";
    const from = member.to - word.length;
    if (parts.length === 3) {
      return { from, options: collectionMethods.map((label): Completion => ({ label, type: "method" })), validFor: /^\w*$/ };
    }
    const collections = await source.tables(null).catch(() => []);
    const options: Completion[] = collections.map((t) => ({
      label: t.name,
      type: "class",
      detail: t.kind.replace("_", " "),
      // A name that is not an identifier is reached as db["name"].
      ...(plainName.test(t.name) ? {} : { apply: (view, _c, f, to) => view.dispatch({ changes: { from: f - 1, to, insert: `[${JSON.stringify(t.name)}]` } }) }),
    }));
    for (const label of dbMethods) options.push({ label, type: "method", boost: -1 });
    return { from, options, validFor: /^[\w$]*$/ };
  };
}
