/**
 * Reads the envelope of an SSH signature (OpenSSH PROTOCOL.sshsig, what `ssh-keygen -Y sign`
 * and git write): the signer's public key, the namespace and the hash algorithm. We parse it
 * ourselves only to say *why* a signature is refused (unknown key, wrong namespace) before
 * ssh-keygen judges the cryptography; parsing never counts as verification.
 */
import { createHash } from "node:crypto";

const ARMOR = /^-----BEGIN SSH SIGNATURE-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END SSH SIGNATURE-----\s*$/;
const MAGIC = "SSHSIG";

export interface SshSignatureEnvelope {
  version: number;
  /** The signer's public key in SSH wire format. */
  publicKey: Buffer;
  keyType: string;
  /** `SHA256:<base64>`, as ssh-keygen prints it. */
  fingerprint: string;
  namespace: string;
  hashAlgorithm: string;
}

export class SshSignatureFormatError extends Error {
  override readonly name = "SshSignatureFormatError";
}

/** The OpenSSH SHA256 fingerprint of a wire-format public key. */
export function fingerprintOf(publicKey: Buffer): string {
  return `SHA256:${createHash("sha256").update(publicKey).digest("base64").replace(/=+$/, "")}`;
}

class WireReader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  uint32(): number {
    if (this.offset + 4 > this.buf.length) throw new SshSignatureFormatError("truncated signature");
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  bytes(): Buffer {
    const len = this.uint32();
    if (this.offset + len > this.buf.length) throw new SshSignatureFormatError("truncated signature");
    const v = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return v;
  }

  string(): string {
    return this.bytes().toString("utf8");
  }

  raw(n: number): Buffer {
    if (this.offset + n > this.buf.length) throw new SshSignatureFormatError("truncated signature");
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}

/** Parses an armored SSH signature; throws SshSignatureFormatError when it is not one. */
export function parseSshSignature(armored: string): SshSignatureEnvelope {
  const match = ARMOR.exec(armored.trim() + "\n");
  if (!match?.[1]) throw new SshSignatureFormatError("not an armored SSH signature (-----BEGIN SSH SIGNATURE-----)");
  const blob = Buffer.from(match[1].replace(/\s+/g, ""), "base64");
  const r = new WireReader(blob);
  if (r.raw(MAGIC.length).toString("latin1") !== MAGIC) throw new SshSignatureFormatError("missing SSHSIG magic");
  const version = r.uint32();
  if (version !== 1) throw new SshSignatureFormatError(`unsupported SSHSIG version ${version}`);
  const publicKey = Buffer.from(r.bytes());
  const namespace = r.string();
  r.bytes(); // reserved
  const hashAlgorithm = r.string();
  r.bytes(); // the signature itself: ssh-keygen checks it
  const keyType = new WireReader(publicKey).string();
  return { version, publicKey, keyType, fingerprint: fingerprintOf(publicKey), namespace, hashAlgorithm };
}
