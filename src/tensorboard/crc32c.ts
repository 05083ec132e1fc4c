/**
 * CRC32C (Castagnoli), as TFRecord framing uses it, from SheetJS's `crc-32` (pure JavaScript, no
 * native build, so it works wherever Node does). Its `crc32c` entry has no typings of its own.
 */
const CRC32C: { buf(data: Uint8Array, seed?: number): number } = require('crc-32/crc32c');

/** The CRC32C of `data`, as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array): number {
  return CRC32C.buf(data) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits plus a constant, so that CRCs of CRCs stay unlike. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
