/**
 * Builds the built-in demo: five small random-weight GGUF files, one per architecture, each with a
 * real tokenizer vocabulary shipped in the package (`data/demo/`), cached on disk and reused. Their
 * output is noise; they exist so that `capibara serve` works with no configuration.
 * @module
 */
import { demoCacheDir, demoConfig, type DemoArch, type DemoModelBuilder } from "../config/demo.js";
import type { LocalConfig } from "../config/schema.js";
import { AbortError } from "../errors.js";
import { GgufWriter } from "../gguf/writer.js";
import { quantize, type TensorType } from "../kernels.js";
import type { TokenizerData } from "../tokenizer/index.js";
import { join } from "node:path";
import { writeRandomMmproj, type MmprojSpec } from "./mmproj.js";
import { buildModel, DIMS, type RecipeVocab } from "./recipes.js";
import { loadDemoVocab, writeTokenizerKeys, type DemoVocabName } from "./vocab.js";

/**
 * The vocabulary of each demo architecture: the Llama-2 SentencePiece vocabulary for the SPM
 * architectures, the Qwen2 byte-level BPE vocabulary for the others, under the pre-tokenizer each
 * architecture's real models use (llama.cpp takes any BPE vocabulary with these names).
 */
const DEMO_VOCAB: Record<DemoArch, { file: DemoVocabName; pre?: string }> = {
  phi3: { file: "qwen2-bpe", pre: "gpt-4o" },
  llama: { file: "llama2-spm" },
  qwen2: { file: "qwen2-bpe", pre: "qwen2" },
  gemma3: { file: "llama2-spm" },
  "command-r": { file: "qwen2-bpe", pre: "command-r" },
};

/** The demo multimodal expert's vision projector: 224 px, 16 tokens per image, into the demo models' width. */
export const DEMO_MMPROJ: MmprojSpec = {
  imageSize: 224,
  patchSize: 14,
  embeddingSize: 64,
  feedForwardSize: 128,
  layers: 2,
  heads: 2,
  projectionDim: DIMS.nEmbd,
  type: "q8_0",
  seed: 3,
};

/** A step of {@link buildDemoModels}. */
export interface DemoBuildProgress {
  arch: DemoArch;
  /** `building` before a missing model is written, `built` after. */
  phase: "building" | "built";
}

/** Options of {@link buildDemoModels} and {@link createDemoBuilder}. */
export interface DemoBuildOptions {
  /** Stops the build before the next model. */
  signal?: AbortSignal;
  /** Called around each model actually built (cached ones are skipped silently). */
  onProgress?: (p: DemoBuildProgress) => void;
}

function recipeVocab(d: TokenizerData): RecipeVocab {
  return { tokens: d.tokens, apply: (w: GgufWriter) => writeTokenizerKeys(w, d) };
}

/**
 * A {@link DemoModelBuilder} writing Q8_0 models with the recipes and the shipped vocabularies
 * (each vocabulary file is read once per builder).
 * @throws {@link AbortError} (`ABORTED`) when `signal` is aborted before a model.
 */
export function createDemoBuilder(options: DemoBuildOptions = {}): DemoModelBuilder {
  const vocabs = new Map<DemoVocabName, TokenizerData>();
  const builder: DemoModelBuilder = async (arch, dir) => {
    if (options.signal?.aborted) throw new AbortError("ABORTED", "the demo build was aborted");
    options.onProgress?.({ arch, phase: "building" });
    const v = DEMO_VOCAB[arch];
    let data = vocabs.get(v.file);
    if (!data) vocabs.set(v.file, (data = loadDemoVocab(v.file)));
    const vocab = recipeVocab(v.pre ? { ...data, pre: v.pre } : data);
    const path = await buildModel(arch, "q8_0", { dir, vocab, tag: "demo", quantize: (type, x) => quantize(type as TensorType, x) });
    options.onProgress?.({ arch, phase: "built" });
    return path;
  };
  builder.mmproj = async (dir) => {
    const path = join(dir, "mmproj.gguf");
    await writeRandomMmproj(path, DEMO_MMPROJ);
    return path;
  };
  return builder;
}

/**
 * Makes sure the five demo models exist in `dir` (default `$CAPIBARA_CACHE/demo`, else
 * `~/.cache/capibara/demo`), building the missing ones, and returns the demo configuration. Each
 * model is written in a private folder and renamed into place, so concurrent processes and
 * interrupted builds never leave a truncated file; file names carry the demo version.
 * @throws {@link ConfigError} (`CONFIG_INVALID`) when a model cannot be built (the cause says why).
 */
export async function buildDemoModels(dir: string = demoCacheDir(), options: DemoBuildOptions = {}): Promise<LocalConfig> {
  return demoConfig(createDemoBuilder(options), dir);
}
