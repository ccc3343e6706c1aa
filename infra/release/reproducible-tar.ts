/**
 * A reproducible .tar.gz: same inputs, same bytes. Entries sorted, every mtime the commit time,
 * owner/group and permissions normalised (portable mode), gzip header without a timestamp.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { create } from "tar";

export async function reproducibleTarGz(cwd: string, files: string[], out: string, mtime: Date): Promise<string> {
  const sorted = [...files].sort();
  const chunks: Buffer[] = [];
  const stream = create({ cwd, portable: true, mtime, noDirRecurse: true, gzip: false }, sorted);
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  // zlib writes mtime 0 and a fixed OS byte, so the compressed bytes depend on content only.
  writeFileSync(out, gzipSync(Buffer.concat(chunks), { level: 9 }));
  return sha256File(out);
}

export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}
