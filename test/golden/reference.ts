/**
 * llama.cpp reference through node-llama-cpp (prebuilt CPU binaries, no build, no network): the
 * logits after a token sequence, then a greedy continuation with the logits at every step.
 */
import { getLlama, type Llama, type LlamaModel, type Token } from "node-llama-cpp";

let llama: Promise<Llama> | undefined;

function instance(): Promise<Llama> {
  llama ??= getLlama({ gpu: false, build: "never", logLevel: "error" as never, progressLogs: false });
  return llama;
}

/** What the reference produced for one prompt. */
export interface ReferenceRun {
  /** Logits after each step: [0] after the prompt, [i] after the i-th greedy token. */
  logits: Float32Array[];
  /** The greedy continuation (argmax, lowest id on ties). */
  tokens: number[];
}

export function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

function toArray(map: Map<Token, number> | undefined, nVocab: number): Float32Array {
  if (!map || map.size !== nVocab) throw new Error(`reference returned ${map?.size ?? 0} logits, expected ${nVocab}`);
  const out = new Float32Array(nVocab);
  for (const [tok, v] of map) out[tok as number] = v;
  return out;
}

/**
 * Runs `prompt` then `steps` greedy tokens through llama.cpp. Each step's logits come from the
 * same evaluation that consumes the token, so prefill is one batch and the steps are decodes.
 */
export async function referenceRun(path: string, prompt: number[], steps: number, opts: { contextSize: number; nVocab: number; threads?: number }): Promise<ReferenceRun> {
  const l = await instance();
  const model: LlamaModel = await l.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    const nVocab = opts.nVocab;
    // One thread: llama.cpp's spinning workers are 10x slower on a shared 2-core machine. No flash
    // attention: its CPU path accumulates V in F16 (see README.md).
    const ctx = await model.createContext({ contextSize: opts.contextSize, threads: opts.threads ?? 1, batchSize: 512, flashAttention: false });
    try {
      const seq = ctx.getSequence();
      const logits: Float32Array[] = [];
      const tokens: number[] = [];
      const want = { generateNext: { logits: true } } as const;
      let input: Parameters<typeof seq.controlledEvaluate>[0] = [
        ...(prompt.slice(0, -1) as Token[]),
        [prompt[prompt.length - 1] as Token, want],
      ];
      for (let i = 0; i <= steps; i++) {
        const res = await seq.controlledEvaluate(input);
        const last = toArray(res[res.length - 1]?.next?.logits, nVocab);
        logits.push(last);
        if (i === steps) break;
        const tok = argmax(last);
        tokens.push(tok);
        input = [[tok as Token, want]];
      }
      return { logits, tokens };
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}

/**
 * llama.cpp's embedding of each input (token ids are passed as they are, strings tokenised by
 * llama.cpp), pooled as the file declares: `createEmbeddingContext().getEmbeddingFor()`.
 */
export async function referenceEmbeddings(path: string, inputs: (string | number[])[], opts: { contextSize: number }): Promise<Float32Array[]> {
  const l = await instance();
  const model: LlamaModel = await l.loadModel({ modelPath: path, gpuLayers: 0 });
  try {
    const ctx = await model.createEmbeddingContext({ contextSize: opts.contextSize, batchSize: opts.contextSize, threads: 1 });
    try {
      const out: Float32Array[] = [];
      for (const input of inputs) {
        // getEmbeddingFor adds BOS/EOS when missing: token inputs must already carry them to be compared as given.
        if (typeof input !== "string" && ctx.calculateInputLength(input as Token[]) !== input.length)
          throw new Error("reference would add special tokens to a token input");
        out.push(Float32Array.from((await ctx.getEmbeddingFor(typeof input === "string" ? input : (input as Token[]))).vector));
      }
      return out;
    } finally {
      await ctx.dispose();
    }
  } finally {
    await model.dispose();
  }
}
