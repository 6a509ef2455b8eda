// Images attached to a chat message: checked here against what the server decodes (PNG, JPEG, GIF,
// WebP, told from their first bytes as the server tells them, not from the file name or type) and
// against its limits, then sent as an OpenAI `image_url` part holding a data: URL.
import { sniffImageFormat, type ImageFormat } from "../engine/image-format.js";
import { byId, el, size } from "./dom.js";

/** The server's limits, from `/stats` `limits`. */
export interface Limits {
  body_limit_bytes: number;
  max_image_bytes: number;
}

/** An image ready to send. */
export interface Attachment {
  name: string;
  bytes: number;
  dataUrl: string;
}

/** MIME type of each format the server decodes. */
const MIME: Record<ImageFormat, string> = { png: "image/png", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" };

/**
 * The largest image one request can carry: the server's `max_image_bytes`, and its body limit once
 * the image is base64 (4 bytes per 3) with room (16 KiB) for the text of the request.
 */
export function maxImageBytes(limits: Limits): number {
  return Math.min(limits.max_image_bytes, Math.floor(((limits.body_limit_bytes - 16384) * 3) / 4));
}

/** Reads a chosen, dropped or pasted file; throws an Error saying, in words, why it cannot be sent. */
export async function readImage(file: File, limits: Limits | null): Promise<Attachment> {
  if (limits && file.size > maxImageBytes(limits)) {
    throw new Error(`${file.name} is ${size(file.size)}: this server takes images up to ${size(maxImageBytes(limits))}.`);
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const format = sniffImageFormat(bytes);
  if (!format) throw new Error(`${file.name} is not an image the server reads: attach a PNG, JPEG, GIF or WebP file.`);
  return { name: file.name, bytes: bytes.length, dataUrl: `data:${MIME[format]};base64,${base64(bytes)}` };
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * The composer's image: the "Attach image" file input, a file dropped on the page or an image
 * pasted into the message box; shows a thumbnail with a Remove button, or why a file was refused.
 */
export class ImagePicker {
  private readonly input = byId<HTMLInputElement>("image");
  private readonly preview = byId<HTMLDivElement>("attachment");
  private readonly error = byId<HTMLParagraphElement>("attach-error");
  /** Known once `/stats` has answered; until then only the server checks sizes. */
  limits: Limits | null = null;
  current: Attachment | null = null;
  /** Counts reads, so a slow read finishing after a newer choice (or a removal) is dropped. */
  private reads = 0;

  constructor(pasteTarget: HTMLElement) {
    this.input.addEventListener("change", () => {
      const file = this.input.files?.[0];
      // Cleared so that choosing the same file again is a change too.
      this.input.value = "";
      if (file) void this.take(file);
    });
    // On the whole document: a file dropped anywhere else would make the browser open it, leaving the chat.
    document.addEventListener("dragover", (e) => {
      if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
    });
    document.addEventListener("drop", (e) => {
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      e.preventDefault();
      void this.take(file);
    });
    pasteTarget.addEventListener("paste", (e) => {
      const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
      if (!file) return;
      e.preventDefault();
      void this.take(file);
    });
  }

  /** Shows a problem with the attachment or with sending it (empty: none). */
  say(message: string): void {
    this.error.textContent = message;
  }

  clear(): void {
    this.reads++;
    this.current = null;
    this.preview.replaceChildren();
    this.preview.hidden = true;
    this.error.textContent = "";
  }

  private async take(file: File): Promise<void> {
    this.error.textContent = "";
    const read = ++this.reads;
    try {
      const image = await readImage(file, this.limits);
      if (read === this.reads) this.show(image);
    } catch (err) {
      if (read === this.reads) this.say(err instanceof Error ? err.message : String(err));
    }
  }

  private show(image: Attachment): void {
    this.current = image;
    const remove = el("button", { type: "button", class: "quiet" }, "Remove image");
    remove.addEventListener("click", () => {
      this.clear();
      this.input.focus();
    });
    this.preview.replaceChildren(el("img", { src: image.dataUrl, alt: `attached image ${image.name}` }), el("span", {}, `${image.name} · ${size(image.bytes)}`), remove);
    this.preview.hidden = false;
  }
}
