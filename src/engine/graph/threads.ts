/** A serialized tensorflow.ConfigProto: intra_op_parallelism_threads (field 2) and inter_op_parallelism_threads (5). */
export function threadConfig(intra: number, inter: number): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      if (v < 128) return [...out, v];
      out.push((v % 128) | 128);
    }
  };
  return new Uint8Array([0x10, ...varint(intra), 0x28, ...varint(inter)]);
}
