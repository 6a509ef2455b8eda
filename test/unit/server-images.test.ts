// Image URLs in chat requests: data: passes, http(s): and file: only when allowed, within limits.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../lib/engine/types.js";
import { inlineImageUrls, type ImagePolicy } from "../../lib/server/images.js";

const OPEN: ImagePolicy = { allowRemote: true, allowLocal: true, maxBytes: 1000, timeoutMs: 500 };
const msg = (url: string): ChatMessage[] => [{ role: "user", content: [{ type: "text", text: "hi" }, { type: "image_url", image_url: { url } }] }];
const urlOf = (m: ChatMessage[]) => (m[0]!.content as { type: string; image_url?: { url: string } }[])[1]!.image_url!.url;
const bytesOf = (dataUrl: string) => Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");

let dir = "";
let server: Server;
let base = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "capibara-images-"));
  server = createServer((req, res) => {
    if (req.url === "/small") res.end(Buffer.alloc(100, 7));
    else if (req.url === "/big") res.end(Buffer.alloc(5000, 7));
    else if (req.url === "/slow") setTimeout(() => res.end("late"), 2000);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("inlineImageUrls", () => {
  it("keeps data: URLs and refuses other URLs unless allowed", async () => {
    const data = "data:image/png;base64,AAAA";
    expect(urlOf(await inlineImageUrls(msg(data), { ...OPEN, allowRemote: false, allowLocal: false }))).toBe(data);
    await expect(inlineImageUrls(msg(`${base}/small`), { ...OPEN, allowRemote: false })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      param: "messages[0].content[1].image_url",
      message: expect.stringContaining("allow_remote_images"),
    });
    await expect(inlineImageUrls(msg("file:///etc/hostname"), { ...OPEN, allowLocal: false })).rejects.toMatchObject({ message: expect.stringContaining("allow_local_images") });
    await expect(inlineImageUrls(msg("ftp://x/y.png"), OPEN)).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("fetches remote images within the byte and time limits", async () => {
    expect(bytesOf(urlOf(await inlineImageUrls(msg(`${base}/small`), OPEN)))).toEqual(Buffer.alloc(100, 7));
    await expect(inlineImageUrls(msg(`${base}/big`), OPEN)).rejects.toMatchObject({ code: "IMAGE_TOO_LARGE" });
    await expect(inlineImageUrls(msg(`${base}/slow`), OPEN)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/cannot fetch/) });
    await expect(inlineImageUrls(msg(`${base}/missing`), OPEN)).rejects.toMatchObject({ message: expect.stringContaining("HTTP 404") });
    await expect(inlineImageUrls(msg(`data:image/png;base64,${"A".repeat(4000)}`), OPEN)).rejects.toMatchObject({ code: "IMAGE_TOO_LARGE" });
  });

  it("reads local files within the byte limit", async () => {
    const small = join(dir, "small.png");
    const big = join(dir, "big.png");
    writeFileSync(small, Buffer.alloc(10, 3));
    writeFileSync(big, Buffer.alloc(2000, 3));
    expect(bytesOf(urlOf(await inlineImageUrls(msg(pathToFileURL(small).href), OPEN)))).toEqual(Buffer.alloc(10, 3));
    await expect(inlineImageUrls(msg(pathToFileURL(big).href), OPEN)).rejects.toMatchObject({ code: "IMAGE_TOO_LARGE" });
    await expect(inlineImageUrls(msg(pathToFileURL(join(dir, "none.png")).href), OPEN)).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
