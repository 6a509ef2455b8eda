/**
 * Makes tiled benchmark weights distinct. Benchmarks tile a small pool of quantised rows (quantising a
 * billion elements would take hours), but repeated pages flatter a memory-bound benchmark: on this
 * VM, F16 decode of pool-tiled weights measured above the machine's read bandwidth, as if identical
 * pages were served from one physical copy. XORing seeded random bits into the bytes of every block
 * that take any value (quants, sub-block scales, low mantissa bits) makes every row different while
 * keeping the block scales, so magnitudes stay as the pool made them.
 * @module
 */
import { InvalidArgumentError } from "../lib/errors.js";

/** Per type: block bytes, and the [start, end) byte ranges of a block that may hold any bits, with a mask. */
const FREE_BYTES: Readonly<Record<string, { block: number; ranges: readonly (readonly [number, number])[]; mask: number }>> = {
  f32: { block: 4, ranges: [[0, 2]], mask: 0xff },
  f16: { block: 2, ranges: [[0, 1]], mask: 0xff }, // low 8 of the 10 mantissa bits
  bf16: { block: 2, ranges: [[0, 1]], mask: 0x7f }, // the 7 mantissa bits, not the exponent's lowest
  q8_0: { block: 34, ranges: [[2, 34]], mask: 0xff },
  q4_0: { block: 18, ranges: [[2, 18]], mask: 0xff },
  q4_1: { block: 20, ranges: [[4, 20]], mask: 0xff }, // after d and m
  q5_0: { block: 22, ranges: [[2, 22]], mask: 0xff }, // qh and qs
  q5_1: { block: 24, ranges: [[4, 24]], mask: 0xff },
  iq4_nl: { block: 18, ranges: [[2, 18]], mask: 0xff },
  iq4_xs: { block: 136, ranges: [[8, 136]], mask: 0xff }, // after d and the sub-block scales
  q2_K: { block: 84, ranges: [[16, 80]], mask: 0xff }, // qs, between the scales and d/dmin
  q3_K: { block: 110, ranges: [[0, 96]], mask: 0xff }, // hmask and qs, before the scales and d
  q4_K: { block: 144, ranges: [[4, 144]], mask: 0xff },
  q5_K: { block: 176, ranges: [[4, 176]], mask: 0xff },
  q6_K: { block: 210, ranges: [[0, 208]], mask: 0xff },
};

/** XORs seeded random bits into the free bytes of every block of `data` (in place) and returns it. */
export function distinctRows(type: string, data: Uint8Array, seed: number): Uint8Array {
  const layout = FREE_BYTES[type];
  if (!layout) throw new InvalidArgumentError("INVALID_ARGUMENT", `distinctRows: no block layout for type ${type}`);
  if (data.length % layout.block !== 0) throw new InvalidArgumentError("INVALID_ARGUMENT", `distinctRows: ${data.length} bytes is not whole ${type} blocks`);
  let s = seed >>> 0 || 1;
  let bits = 0;
  let left = 0;
  for (let b = 0; b < data.length; b += layout.block) {
    for (const [start, end] of layout.ranges) {
      for (let i = b + start; i < b + end; i++) {
        if (left === 0) {
          // xorshift32: four random bytes per step
          s ^= s << 13;
          s ^= s >>> 17;
          s ^= s << 5;
          bits = s >>> 0;
          left = 4;
        }
        data[i]! ^= bits & layout.mask;
        bits >>>= 8;
        left--;
      }
    }
  }
  return data;
}
