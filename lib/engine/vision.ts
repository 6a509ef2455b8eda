/**
 * Image input through a vision projector (llama.cpp's `mmproj` GGUF): decoding, llama.cpp's
 * preprocessing and the encoder run natively off the event loop; this file holds the glue and the
 * prompt layout (where each image's embeddings go between the text tokens).
 * @module
 */
import { createHash } from "node:crypto";
import { ImageError, InvalidArgumentError } from "../errors.js";
import { native, type NativeVisionHandle, type NativeVisionInfo } from "../native.js";
import { decodeImage, MAX_IMAGE_PIXELS } from "./image.js";
import type { ChatMessage } from "./types.js";

/** A preprocessed image: the encoder's input, channel-planar `[3][height][width]`, normalised. */
export interface ImageTensor {
  data: Float32Array;
  width: number;
  height: number;
}

/** Facts about a loaded vision projector. */
export interface VisionInfo {
  /** `clip.projector_type` (`gemma3`). */
  projector: string;
  /** Side of the square the encoder takes, in pixels. */
  imageSize: number;
  patchSize: number;
  /** Width of the vision tower. */
  embeddingSize: number;
  layers: number;
  heads: number;
  /** Width of the image tokens (equals the text model's embedding size). */
  projectionDim: number;
  /** Positions one image takes in the context. */
  tokensPerImage: number;
  /** Bytes of projector weights. */
  weightBytes: number;
  /** Bytes of activations one encoding allocates. */
  activationBytes: number;
}

/** Strings around each image's embeddings in the prompt, by projector type (as llama.cpp's mtmd). */
const IMAGE_DELIMITERS: Readonly<Record<string, readonly [string, string]>> = {
  gemma3: ["<start_of_image>", "<end_of_image>"],
};

/** Placeholder an image part becomes while the prompt is rendered (llama.cpp's default media marker). */
export const MEDIA_MARKER = "<__media__>";

/** Encoded image bytes or an already preprocessed tensor. */
export type ImageInput = Uint8Array | ImageTensor;

/** A loaded mmproj file. @internal */
/** Bytes of encoder outputs kept for resent images (at least one image is always kept). */
const RECENT_IMAGES_BYTES = 64 * 1024 * 1024;

export class VisionProjector {
  /** Encoder outputs of recent images by the SHA-256 of their bytes, least recently used first. */
  readonly #recent = new Map<string, Promise<Float32Array>>();

  private constructor(
    readonly handle: NativeVisionHandle,
    readonly info: VisionInfo,
    readonly delimiters: readonly [string, string],
  ) {}

  /**
   * @throws UnsupportedArchError (not a projector, unsupported projector type), GgufFormatError,
   *   UnsupportedQuantError, IoError.
   */
  static async load(path: string): Promise<VisionProjector> {
    const e = native().engine;
    const handle = await e.loadVision(path);
    const n: NativeVisionInfo = e.visionInfo(handle);
    const delimiters = IMAGE_DELIMITERS[n.projector];
    if (!delimiters) {
      e.closeVision(handle);
      throw new InvalidArgumentError("INVALID_ARGUMENT", `no prompt layout for vision projector type '${n.projector}'`);
    }
    const { imageMean: _m, imageStd: _s, feedForwardSize: _f, ...info } = n;
    return new VisionProjector(handle, info, delimiters);
  }

  /** Decodes and preprocesses encoded image bytes. */
  async preprocess(bytes: Uint8Array): Promise<ImageTensor> {
    const img = await decodeImage(bytes, MAX_IMAGE_PIXELS);
    const data = await native().engine.preprocessImage(this.handle, img.rgb, img.width, img.height);
    return { data, width: this.info.imageSize, height: this.info.imageSize };
  }

  /** `[tokensPerImage][projectionDim]` embeddings of one image. */
  async encode(input: ImageInput, threads: number): Promise<Float32Array> {
    let tensor: ImageTensor;
    if (input instanceof Uint8Array) tensor = await this.preprocess(input);
    else if (input && typeof input === "object" && input.data instanceof Float32Array) tensor = input;
    else throw new InvalidArgumentError("INVALID_ARGUMENT", "encodeImage takes encoded image bytes (Uint8Array) or { data: Float32Array, width, height }");
    const S = this.info.imageSize;
    if (tensor.width !== S || tensor.height !== S || tensor.data.length !== 3 * S * S)
      throw new InvalidArgumentError("INVALID_ARGUMENT", `the image tensor must be [3][${S}][${S}], got ${tensor.width} x ${tensor.height} with ${tensor.data.length} values`);
    return native().engine.encodeImage(this.handle, tensor.data, threads);
  }

  /**
   * {@link encode} of encoded bytes whose {@link imageKey} is `key`, remembered: a chat that resends
   * an image does not encode it again. Callers must not modify the returned rows.
   */
  encodeRecent(bytes: Uint8Array, key: Int32Array, threads: number): Promise<Float32Array> {
    const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex");
    let rows = this.#recent.get(id);
    if (rows) {
      this.#recent.delete(id);  // most recently used last
    } else {
      rows = this.encode(bytes, threads);
      rows.catch(() => this.#recent.delete(id));  // a failed encoding is not remembered
    }
    this.#recent.set(id, rows);
    const keep = Math.max(1, Math.floor(RECENT_IMAGES_BYTES / (4 * this.info.tokensPerImage * this.info.projectionDim)));
    for (const old of this.#recent.keys()) {
      if (this.#recent.size <= keep) break;
      this.#recent.delete(old);
    }
    return rows;
  }

  close(): void {
    this.#recent.clear();
    native().engine.closeVision(this.handle);
  }
}

/** Key of an image's bytes for the prompt cache: the 8 words of their SHA-256. */
export function imageKey(bytes: Uint8Array): Int32Array {
  const d = createHash("sha256").update(bytes).digest();
  return new Int32Array(d.buffer, d.byteOffset, 8).slice();
}

/** Bytes of an image part, in message order; `image_url` parts must be `data:` URLs here. */
export function imageBytesOf(messages: readonly ChatMessage[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of messages) {
    if (!Array.isArray(m.content)) continue;
    for (const p of m.content) {
      if (p.type === "image") {
        if (!(p.data instanceof Uint8Array)) throw new ImageError("BAD_IMAGE", "an image part's data must be a Uint8Array");
        out.push(p.data);
      } else if (p.type === "image_url") {
        out.push(decodeDataUrl(p.image_url?.url));
      }
    }
  }
  return out;
}

/**
 * The bytes of a base64 `data:` URL.
 * @throws ImageError `BAD_IMAGE` for anything else (remote and file URLs are fetched by the server).
 */
export function decodeDataUrl(url: unknown): Uint8Array {
  if (typeof url !== "string") throw new ImageError("BAD_IMAGE", "image_url.url must be a string");
  const m = /^data:([^;,]*)(;[^,]*)?,/.exec(url);
  if (!m) throw new ImageError("BAD_IMAGE", "only data: image URLs can be passed to the model directly");
  if (!(m[2] ?? "").split(";").includes("base64")) throw new ImageError("BAD_IMAGE", "a data: image URL must be base64-encoded");
  const body = url.slice(m[0].length);
  if (!/^[A-Za-z0-9+/=\s]*$/.test(body)) throw new ImageError("BAD_IMAGE", "the data: URL is not valid base64");
  return new Uint8Array(Buffer.from(body, "base64"));
}

/** One piece of a prompt with images: text tokens or the index of an image. */
export type PromptChunk = { tokens: number[] } | { image: number };

/**
 * Splits a rendered prompt at its media markers into text and image chunks, in llama.cpp's order:
 * `...<start_of_image>` | image | `<end_of_image>...`. `tokenize(text, first)` tokenises one text
 * piece (special tokens parsed; BOS only when `first`).
 * @throws InvalidArgumentError when the markers and `nImages` disagree.
 */
export function layoutPrompt(
  text: string,
  nImages: number,
  delimiters: readonly [string, string],
  tokenize: (text: string, first: boolean) => number[],
): PromptChunk[] {
  const pieces = text.split(MEDIA_MARKER);
  if (pieces.length - 1 !== nImages)
    throw new InvalidArgumentError("INVALID_ARGUMENT", `the prompt has ${pieces.length - 1} image markers for ${nImages} images`);
  const out: PromptChunk[] = [];
  pieces.forEach((piece, i) => {
    const t = (i > 0 ? delimiters[1] : "") + piece + (i < nImages ? delimiters[0] : "");
    out.push({ tokens: tokenize(t, i === 0) });
    if (i < nImages) out.push({ image: i });
  });
  return out;
}
