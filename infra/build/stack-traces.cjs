// @ts-check
/**
 * Stack traces of the compiled CLI in TypeScript positions, formatted exactly as Node formats them
 * with source maps enabled (what tsx runs with), at a fraction of the cost.
 *
 * The Pulumi SDK formats `new Error().stack` for every resource (its source position, recorded in
 * the graph and used by SARIF) and for every promise it creates (a debug trace). Node's own
 * source-map support looks each frame's file up through URL conversions on every capture, which cost
 * about a third of a preview. This is Node 20's `prepareStackTraceWithSourceMaps` (lib/internal/
 * source_map/prepare_stack_trace.js) with the lookup cached per file name: the same maps (inline or
 * `.map` files, `sourceRoot`, `names`), the same frame text, so the graph's source positions are
 * byte-identical to the tsx path's.
 *
 * Traces are interned: the SDK stores a trace on each of the hundreds of promises a resource
 * creates, nearly all from the same few call paths, and those strings were most of a preview's
 * memory (about 300 KiB per resource). Equal traces — same V8 frames — now share one string.
 */
const { readFileSync } = require("node:fs");
const { SourceMap } = require("node:module");
const { fileURLToPath, pathToFileURL } = require("node:url");

const MAP_COMMENT = /\/[*/][#@]\s*sourceMappingURL=(?<url>[^\s*]+)\s*(?:\*\/\s*)?$/;
const DATA_URL = /^data:application\/json[^,]*?(?<base64>;base64)?,(?<data>.*)$/;

/**
 * The source map of a loaded file, as Node's cache would hold it (sources made absolute URLs).
 * @param {string} file
 * @returns {SourceMap | null}
 */
function loadMap(file) {
  if (!file.startsWith("/")) return null; // node: internals, <anonymous>, eval
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const tail = text.slice(Math.max(0, text.lastIndexOf("\n", text.length - 2)));
  const url = MAP_COMMENT.exec(tail.trim())?.groups?.url;
  if (!url) return null;
  try {
    const fileUrl = pathToFileURL(file).href;
    let payload;
    let base = fileUrl;
    const inline = DATA_URL.exec(url);
    if (inline?.groups) {
      const data = inline.groups.data ?? "";
      payload = JSON.parse(inline.groups.base64 ? Buffer.from(data, "base64").toString("utf8") : decodeURIComponent(data));
    } else {
      base = new URL(url, fileUrl).href;
      payload = JSON.parse(readFileSync(fileURLToPath(base), "utf8"));
    }
    // As Node's sourcesToAbsolute: sourceRoot + source, resolved against the map's URL.
    payload.sources = (payload.sources ?? []).map((/** @type {string} */ s) => new URL(`${payload.sourceRoot ?? ""}${s}`, base).href);
    return new SourceMap(payload);
  } catch {
    return null;
  }
}

/**
 * Node's getOriginalSymbolName.
 * @param {SourceMap} sm @param {NodeJS.CallSite} site @param {NodeJS.CallSite | undefined} caller
 */
function originalSymbolName(sm, site, caller) {
  const enclosing = /** @type {{ name?: string }} */ (sm.findEntry((site.getEnclosingLineNumber() ?? 0) - 1, (site.getEnclosingColumnNumber() ?? 0) - 1));
  if (enclosing.name) return enclosing.name;
  if (caller && site.getFileName() === caller.getFileName()) {
    return /** @type {{ name?: string }} */ (sm.findEntry((caller.getLineNumber() ?? 0) - 1, (caller.getColumnNumber() ?? 0) - 1)).name;
  }
  return undefined;
}

/**
 * Node's serializeJSStackFrame.
 * @param {SourceMap} sm @param {NodeJS.CallSite} site @param {NodeJS.CallSite | undefined} caller
 */
function serializeFrame(sm, site, caller) {
  const entry = /** @type {{ originalLine?: number; originalColumn?: number; originalSource?: string }} */ (sm.findEntry((site.getLineNumber() ?? 0) - 1, (site.getColumnNumber() ?? 0) - 1));
  const { originalLine, originalColumn, originalSource } = entry;
  if (originalSource === undefined || originalLine === undefined || originalColumn === undefined) return `${site}`;
  const name = originalSymbolName(sm, site, caller);
  const source = originalSource.startsWith("file://") ? fileURLToPath(originalSource) : originalSource;
  const fnName = site.getFunctionName() ?? site.getMethodName();
  const prefix = site.isAsync() ? "async " : site.isConstructor() ? "new " : "";
  const typeName = site.getTypeName();
  const originalName = `${typeName !== null && typeName !== "global" ? `${typeName}.` : ""}${fnName || "<anonymous>"}`;
  const mappedName = name && name !== originalName ? name : originalName;
  return `${prefix}${mappedName} (${source}:${originalLine + 1}:${originalColumn + 1})`;
}

/** Node's header: `Name [CODE]: message` for its own errors, else Error.prototype.toString. @param {unknown} error */
function header(error) {
  try {
    const e = /** @type {{ name?: unknown; code?: unknown; message?: unknown }} */ (error);
    if (error instanceof Error && typeof e.code === "string" && e.code.startsWith("ERR_") && Object.getOwnPropertySymbols(error).length > 0) return `${e.name} [${e.code}]: ${e.message}`;
    return Error.prototype.toString.call(error);
  } catch {
    return "Error";
  }
}

/** Distinct traces kept; past this the cache starts over (a program with unbounded distinct stacks). */
const MAX_INTERNED = 20_000;

/** Installs the formatter for every error of this process. */
function installSourceMappedStacks() {
  /** @type {Map<string, SourceMap | null>} */
  const maps = new Map();
  /** @param {string} file */
  const mapOf = (file) => {
    let map = maps.get(file);
    if (map === undefined) maps.set(file, (map = loadMap(file)));
    return map;
  };
  /** @type {Map<string, string>} */
  const interned = new Map();
  Error.prepareStackTrace = (error, trace) => {
    const head = header(error);
    // V8's own text of each frame names the function, receiver type, file, line and column: equal
    // keys give equal mapped traces.
    const natives = trace.map(String);
    const key = `${head}\n${natives.join("\n")}`;
    const known = interned.get(key);
    if (known !== undefined) return known;
    const lines = [head];
    for (let i = 0; i < trace.length; i++) {
      const site = /** @type {NodeJS.CallSite} */ (trace[i]);
      let frame = natives[i];
      try {
        const file = site.getFileName() ?? site.getEvalOrigin();
        const sm = file ? mapOf(file) : null;
        if (sm) frame = serializeFrame(sm, site, trace[i + 1]);
      } catch {
        // keep V8's text for this frame
      }
      lines.push(`    at ${frame}`);
    }
    const text = lines.join("\n");
    if (interned.size >= MAX_INTERNED) interned.clear();
    interned.set(key, text);
    return text;
  };
}

module.exports = { installSourceMappedStacks };
