/**
 * Image decoding for vision input. `sharp` (libvips, prebuilt) decodes PNG, JPEG, GIF (first frame)
 * and WebP to 8-bit RGB; alpha is dropped without compositing and gray is replicated, as llama.cpp's
 * stb_image path does. BMP, TIFF, AVIF, SVG and anything else are refused. The size is read from
 * the header and checked against a pixel limit before any pixel is decoded.
 * @module
 */
import { ImageError } from "../errors.js";
import { sniffImageFormat, startsWith } from "./image-format.js";

export { sniffImageFormat, type ImageFormat } from "./image-format.js";

/** Largest image accepted, in pixels (width x height), before decoding: about 8k x 6k. */
export const MAX_IMAGE_PIXELS = 50_000_000;

/** A decoded image: `[height][width][3]` interleaved 8-bit RGB. */
export interface DecodedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes PNG, JPEG, GIF (first frame) or WebP bytes to RGB, off the event loop (libvips threads).
 * @throws ImageError `BAD_IMAGE` for other formats, truncated or corrupt data; `IMAGE_TOO_LARGE`
 *   when width x height exceeds `maxPixels` (checked from the header, before decoding).
 */
export async function decodeImage(bytes: Uint8Array, maxPixels = MAX_IMAGE_PIXELS): Promise<DecodedImage> {
  if (!(bytes instanceof Uint8Array)) throw new ImageError("BAD_IMAGE", "image data must be a Uint8Array");
  const format = sniffImageFormat(bytes);
  if (!format) {
    const bmp = startsWith(bytes, [0x42, 0x4d]) ? " (BMP is not supported)" : "";
    throw new ImageError("BAD_IMAGE", `not an image in a supported format (PNG, JPEG, GIF, WebP)${bmp}`);
  }
  // Loaded on first use, so text-only use never needs the decoder's native binaries.
  const { default: sharp } = await import("sharp");
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  try {
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    width = meta.width ?? 0;
    height = meta.pageHeight ?? meta.height ?? 0;
  } catch (err) {
    throw new ImageError("BAD_IMAGE", `cannot read the ${format.toUpperCase()} header: ${(err as Error).message}`, { cause: err });
  }
  if (width <= 0 || height <= 0) throw new ImageError("BAD_IMAGE", `the ${format.toUpperCase()} image has no pixels`);
  if (width * height > maxPixels)
    throw new ImageError("IMAGE_TOO_LARGE", `image of ${width} x ${height} pixels exceeds the limit of ${maxPixels} pixels`);
  try {
    // failOn "truncated": a cut-off file is an error, not a partly grey image.
    const { data, info } = await sharp(input, { limitInputPixels: maxPixels, failOn: "truncated", pages: 1 })
      .removeAlpha()
      .toColourspace("srgb")
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder returned ${info.channels} channels`);
    return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    throw new ImageError("BAD_IMAGE", `cannot decode the ${format.toUpperCase()} image: ${(err as Error).message}`, { cause: err });
  }
}
