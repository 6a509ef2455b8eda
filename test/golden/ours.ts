/**
 * The same run as reference.ts through capibara's native session: the prompt in one eval (batched
 * prefill), then one decode per token. `forced` feeds the reference's tokens instead of our own
 * argmax (teacher forcing), so logits are compared along the same sequence even after a near-tie.
 */
import { native } from "../../lib/native.js";
import { argmax, type ReferenceRun } from "./reference.js";

export async function ourRun(
  path: string,
  prompt: number[],
  steps: number,
  opts: { contextSize: number; threads?: number; forced?: number[] },
): Promise<ReferenceRun> {
  const e = native().engine;
  const model = await e.loadModel(path);
  try {
    const s = e.createSession(model, { contextSize: opts.contextSize, threads: opts.threads ?? 2 });
    try {
      const logits: Float32Array[] = [];
      const tokens: number[] = [];
      let input = Int32Array.from(prompt);
      for (let i = 0; i <= steps; i++) {
        const l = (await e.sessionEval(s, input, true))!;
        logits.push(l);
        if (i === steps) break;
        tokens.push(argmax(l));
        input = Int32Array.of(opts.forced?.[i] ?? argmax(l));
      }
      return { logits, tokens };
    } finally {
      e.sessionDispose(s);
    }
  } finally {
    e.closeModel(model);
  }
}
