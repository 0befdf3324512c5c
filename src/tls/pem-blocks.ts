/**
 * Splits PEM text into its blocks (`-----BEGIN <label>-----` … `-----END <label>-----`), the first
 * step of reading a certificate chain or a private key. Text between blocks is ignored, as OpenSSL
 * ignores it (`openssl pkcs12` output carries "Bag Attributes" lines there). The scan is linear
 * (no backtracking regex over attacker-sized input) and stops after `maxBlocks` blocks.
 */

/** One block: its label (`CERTIFICATE`, `PRIVATE KEY` …) and its whole text, BEGIN to END line. */
export interface PemBlock {
  readonly label: string;
  readonly text: string;
}

export type PemBlocksResult = { readonly ok: true; readonly blocks: readonly PemBlock[] } | { readonly ok: false; readonly problem: string };

const BEGIN = '-----BEGIN ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9][A-Z0-9 ]{0,63}$/;

/**
 * The blocks of `text`, in order; at most `maxBlocks + 1` are read, so a caller that allows
 * `maxBlocks` can tell "too many" from "exactly enough". A block without its END line, or whose
 * END names another label, is a problem (messages never quote the text).
 */
export function readPemBlocks(text: string, maxBlocks: number): PemBlocksResult {
  const blocks: PemBlock[] = [];
  let at = text.indexOf(BEGIN);
  while (at !== -1 && blocks.length <= maxBlocks) {
    const labelStart = at + BEGIN.length;
    const labelEnd = text.indexOf(DASHES, labelStart);
    const label = labelEnd === -1 ? '' : text.slice(labelStart, labelEnd);
    if (!LABEL.test(label)) return { ok: false, problem: `has a malformed PEM header in block ${blocks.length + 1}` };
    const end = `-----END ${label}-----`;
    const endAt = text.indexOf(end, labelEnd + DASHES.length);
    const nextBegin = text.indexOf(BEGIN, labelEnd + DASHES.length);
    if (endAt === -1 || (nextBegin !== -1 && nextBegin < endAt)) {
      return { ok: false, problem: `has a PEM block ${blocks.length + 1} (${label}) without its END line` };
    }
    blocks.push({ label, text: `${text.slice(at, endAt + end.length)}\n` });
    at = text.indexOf(BEGIN, endAt + end.length);
  }
  return { ok: true, blocks };
}
