/**
 * A zip archive of a few small files, stored (not compressed), as Python's zipfile writes by
 * default: Keras' `.keras` is such a zip. src/native/zip.ts reads zips; this only writes them.
 * No zip64: our members are a few MB.
 */
import { crc32 } from 'node:zlib';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
/** 1980-01-01 00:00 in DOS format: a fixed stamp, so the same model gives the same bytes. */
const DOS_DATE = (1 << 5) | 1;

export interface ZipMember {
  name: string;
  data: Uint8Array;
}

function header(signature: number, m: ZipMember, crc: number, central: number | undefined): Buffer {
  const name = Buffer.from(m.name);
  const isCentral = central !== undefined;
  const h = Buffer.alloc((isCentral ? 46 : 30) + name.length);
  let at = 0;
  const u16 = (v: number) => (at = h.writeUInt16LE(v, at));
  const u32 = (v: number) => (at = h.writeUInt32LE(v >>> 0, at));
  u32(signature);
  if (isCentral) u16(20); // made by
  u16(20); // needed to extract: 2.0
  u16(0x800); // flags: names are UTF-8
  u16(0); // stored
  u16(0); // time
  u16(DOS_DATE);
  u32(crc);
  u32(m.data.length);
  u32(m.data.length);
  u16(name.length);
  u16(0); // extra field
  if (isCentral) {
    u16(0); // comment
    u16(0); // disk
    u16(0); // internal attributes
    u32(0o100644 * 0x10000); // external: a regular file, rw-r--r--
    u32(central);
  }
  name.copy(h, at);
  return h;
}

/** The archive's bytes. */
export function zipStored(members: ZipMember[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const crc = crc32(m.data);
    const local = header(LOCAL, m, crc, undefined);
    central.push(header(CENTRAL, m, crc, offset));
    parts.push(local, m.data);
    offset += local.length + m.data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dir, end]);
}
