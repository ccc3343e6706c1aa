/**
 * Generated blocks inside hand-written Markdown:
 *   <!-- generated:begin <id> --> ... <!-- generated:end <id> -->
 * Only the text between the markers is ever rewritten; prose around it stays as written.
 */

export const begin = (id: string) => `<!-- generated:begin ${id} -->`;
export const end = (id: string) => `<!-- generated:end ${id} -->`;

const BLOCK = /<!-- generated:begin (\S+) -->\n([\s\S]*?)<!-- generated:end \1 -->/g;

export function blockIds(text: string): string[] {
  return [...text.matchAll(BLOCK)].map((m) => m[1]!);
}

export function wrapBlock(id: string, content: string): string {
  return `${begin(id)}\n${content.replace(/\n*$/, "\n")}${end(id)}`;
}

export interface FillResult {
  text: string;
  /** Block ids the file should contain but does not (with no markers, nothing can be filled). */
  missing: string[];
  /** Block ids the file contains that nothing generates (stale markers). */
  unknown: string[];
}

/** Replaces every known block's content; reports blocks that are missing or unknown. */
export function fillBlocks(text: string, blocks: ReadonlyMap<string, string>): FillResult {
  const seen = new Set<string>();
  const unknown: string[] = [];
  const out = text.replace(BLOCK, (whole, id: string) => {
    const content = blocks.get(id);
    if (content === undefined) {
      unknown.push(id);
      return whole;
    }
    seen.add(id);
    return wrapBlock(id, content);
  });
  return { text: out, missing: [...blocks.keys()].filter((id) => !seen.has(id)), unknown };
}
