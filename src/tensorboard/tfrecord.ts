/**
 * TFRecord framing, the container of TensorBoard's event files: each record is its length
 * (uint64, little-endian), the masked CRC32C of those 8 bytes, the data, and the masked CRC32C
 * of the data (both CRCs uint32, little-endian).
 */
import { maskedCrc32c } from './crc32c';

const HEADER = 12;
const FOOTER = 4;

/** One framed record holding `data`. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(HEADER + data.length + FOOTER);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, HEADER);
  out.writeUInt32LE(maskedCrc32c(data), HEADER + data.length);
  return out;
}

export interface ParsedRecords {
  records: Buffer[];
  /** Bytes of whole, checked records from the start: a torn or corrupt tail begins here. */
  validBytes: number;
  /** Why reading stopped before the end, if it did. */
  problem?: string;
}

/** The records in `bytes`, up to the first torn or corrupt one. */
export function parseRecords(bytes: Buffer): ParsedRecords {
  const records: Buffer[] = [];
  let at = 0;
  const stop = (problem: string): ParsedRecords => ({ records, validBytes: at, problem: `${problem} at byte ${at}` });
  while (at < bytes.length) {
    if (bytes.length - at < HEADER) return stop('a torn record header');
    if (bytes.readUInt32LE(at + 8) !== maskedCrc32c(bytes.subarray(at, at + 8)))
      return stop('a record length whose CRC does not match');
    const length = bytes.readBigUInt64LE(at);
    const end = BigInt(at + HEADER) + length + BigInt(FOOTER);
    if (end > BigInt(bytes.length)) return stop('a torn record');
    const data = bytes.subarray(at + HEADER, at + HEADER + Number(length));
    if (bytes.readUInt32LE(at + HEADER + data.length) !== maskedCrc32c(data))
      return stop('a record whose CRC does not match');
    records.push(data);
    at = Number(end);
  }
  return { records, validBytes: at };
}
