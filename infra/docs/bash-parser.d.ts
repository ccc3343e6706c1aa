/** The parser ships no types; this is the one entry point we use (an AST of plain objects). */
declare module "@ericcornelissen/bash-parser" {
  export default function parse(source: string, options?: { mode?: "bash" | "posix"; insertLOC?: boolean }): unknown;
}
