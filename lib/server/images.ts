/**
 * Image URLs of chat requests: `data:` URLs pass through; `http(s):` URLs are fetched only when
 * `server.allow_remote_images` is on and `file:` URLs read only when `server.allow_local_images` is
 * on, each within the byte and time limits, and handed to the model as `data:` URLs.
 * @module
 */
import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { hasImageParts } from "../chat/content.js";
import type { ChatMessage, ContentPart } from "../engine/types.js";
import { ImageError } from "../errors.js";
import { BadRequestError } from "./errors.js";

/** What the server may do to get an image's bytes. */
export interface ImagePolicy {
  allowRemote: boolean;
  allowLocal: boolean;
  /** Largest image accepted, in bytes. */
  maxBytes: number;
  /** Time limit of one remote fetch. */
  timeoutMs: number;
}

function tooLarge(param: string, max: number): ImageError {
  return new ImageError("IMAGE_TOO_LARGE", `${param}: the image exceeds the limit of ${max} bytes`);
}

async function fetchRemote(url: string, policy: ImagePolicy, param: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(policy.timeoutMs), redirect: "follow" });
  } catch (err) {
    throw new BadRequestError(`${param}: cannot fetch the image: ${(err as Error).message}`, param);
  }
  if (!res.ok || !res.body) throw new BadRequestError(`${param}: fetching the image gave HTTP ${res.status}`, param);
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > policy.maxBytes) throw tooLarge(param, policy.maxBytes);
  const parts: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > policy.maxBytes) throw tooLarge(param, policy.maxBytes);
      parts.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new BadRequestError(`${param}: reading the image failed: ${(err as Error).message}`, param);
  }
  return Buffer.concat(parts);
}

async function readLocal(url: string, policy: ImagePolicy, param: string): Promise<Buffer> {
  let fh;
  try {
    fh = await open(fileURLToPath(url), "r");
  } catch (err) {
    throw new BadRequestError(`${param}: cannot open the image file: ${(err as Error).message}`, param);
  }
  try {
    const { size } = await fh.stat();
    if (size > policy.maxBytes) throw tooLarge(param, policy.maxBytes);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

async function inlineOne(url: string, policy: ImagePolicy, param: string): Promise<string> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "data") {
    if (url.length * 0.75 > policy.maxBytes + 64) throw tooLarge(param, policy.maxBytes);
    return url;
  }
  let bytes: Buffer;
  if (scheme === "http" || scheme === "https") {
    if (!policy.allowRemote) throw new BadRequestError(`${param}: remote image URLs are not allowed (server.allow_remote_images)`, param);
    bytes = await fetchRemote(url, policy, param);
  } else if (scheme === "file") {
    if (!policy.allowLocal) throw new BadRequestError(`${param}: local image files are not allowed (server.allow_local_images)`, param);
    bytes = await readLocal(url, policy, param);
  } else {
    throw new BadRequestError(`${param}: unsupported image URL; expected data:, http(s): or file:`, param);
  }
  return `data:application/octet-stream;base64,${bytes.toString("base64")}`;
}

/** The messages with every image URL turned into a `data:` URL, or a 400 naming the part. */
export async function inlineImageUrls(messages: ChatMessage[], policy: ImagePolicy): Promise<ChatMessage[]> {
  // Most requests carry no image: they skip a promise per message and part, as they are on the path to the first token.
  if (!hasImageParts(messages)) return messages;
  return Promise.all(
    messages.map(async (m, i) => {
      if (!Array.isArray(m.content)) return m;
      const content = await Promise.all(
        m.content.map(async (p, j): Promise<ContentPart> => {
          if (p.type !== "image_url") return p;
          const url = await inlineOne(p.image_url.url, policy, `messages[${i}].content[${j}].image_url`);
          return { type: "image_url", image_url: { ...p.image_url, url } };
        }),
      );
      return { ...m, content };
    }),
  );
}
