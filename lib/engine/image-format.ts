/**
 * Image formats told from their leading bytes. Pure (no Node APIs), so the web page bundles the same
 * test the server's decoder applies.
 * @module
 */

/** Image formats accepted by `decodeImage`, by their leading bytes. */
export type ImageFormat = "png" | "jpeg" | "gif" | "webp";

/** True when `b` holds `sig` at offset `at`. */
export function startsWith(b: Uint8Array, sig: number[], at = 0): boolean {
  return b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
}

/** The format of encoded image bytes, or null when they are none we decode. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return "gif";
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}
