// The web page at `/` in a real browser: Debian's Chromium driven by playwright-core, against the
// real server over the fake engine. Elements are found by role and label, as assistive technology
// finds them. Without /usr/bin/chromium the suite is skipped, except under CI=true, where it fails.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../lib/engine/types.js";
import type { LoadModelFn } from "../../lib/loader/index.js";
import { packageRoot } from "../../lib/native.js";
import { startServer, type RunningServer } from "../../lib/server/index.js";
import { WEB_DIR } from "../../lib/server/web.js";
import { createSystem, type CapibaraSystem } from "../../lib/system.js";
import { FakeEngine, fakeReply, fiveExpertConfig } from "../helpers/fake-engine.js";

const CHROMIUM = "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === "true";
if (!haveChromium && !inCi) console.warn(`web page tests skipped: ${CHROMIUM} is missing (apt-get install chromium); under CI=true they fail instead`);

/** Markup that would run or show an image if the page ever parsed text as HTML. */
const HTML = `<img src="x" onerror="window.__injected=1"><b>bold</b>`;

const dir = mkdtempSync(join(tmpdir(), "capibara-web-"));

interface Harness {
  engine: FakeEngine;
  system: CapibaraSystem;
  server: RunningServer;
  /** The expert whose description and answers hold HTML. */
  htmlExpert: string;
}

async function harness(apiKey: string | null = null, serverConfig: object = {}): Promise<Harness> {
  const engine = new FakeEngine({ replyTokens: 12, tokenDelayMs: 20 });
  const config = fiveExpertConfig(join(dir, String(Math.random()).slice(2)), { server: serverConfig });
  const html = config.experts[1]!;
  html.description = `${HTML} description`;
  // The fake engine's text is plain words; this expert's model prefixes every piece with markup.
  const loadModel: LoadModelFn = async (path, options) => {
    const model = await engine.loadModel(path, options);
    if (path !== html.model_path) return model;
    const generate: typeof model.generate = (prompt, o) => {
      const g = model.generate(prompt, o);
      return {
        stats: g.stats,
        async *[Symbol.asyncIterator]() {
          for await (const c of g) yield { ...c, text: HTML + c.text };
        },
      };
    };
    // Every other member is the fake model's own.
    return new Proxy(model, {
      get(target, key) {
        if (key === "generate") return generate;
        const v: unknown = Reflect.get(target, key, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  };
  const system = await createSystem(config, { loadModel });
  const server = await startServer(system, { port: 0, apiKey });
  return { engine, system, server, htmlExpert: html.name };
}

interface Opened {
  page: Page;
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

describe.skipIf(!haveChromium && !inCi)("web page in Chromium", () => {
  let browser: BrowserContext;
  let h: Harness;
  const opened: Page[] = [];

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true and ${CHROMIUM} is missing: apt-get install chromium`);
    execFileSync(process.execPath, [join(packageRoot, "lib/web/build.mjs")], { stdio: "inherit" });
    browser = await chromium.launchPersistentContext(mkdtempSync(join(dir, "profile-")), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    h = await harness();
  });
  afterEach(async () => {
    for (const page of opened.splice(0)) await page.close();
  });
  afterAll(async () => {
    await h?.server.close();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(url: string): Promise<Opened> {
    const page = await browser.newPage();
    opened.push(page);
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(url);
    return { page, errors, requests };
  }

  const models = async (server: RunningServer, key?: string) => {
    const res = await fetch(`${server.url}/v1/models`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
    return ((await res.json()) as { data: Array<{ id: string; state: string; description: string }> }).data.filter((m) => m.id !== "auto");
  };
  /** expect.poll with room for a loaded machine (vitest's default is 1 s). */
  const poll = <T>(fn: () => Promise<T> | T, timeout = 15_000) => expect.poll(fn, { timeout });
  const expertBlock = (page: Page, name: string) => page.getByRole("region", { name, exact: true });
  const lastAnswer = (page: Page) => page.getByRole("article", { name: "Answer" }).last();

  it("loads with no console errors and no external requests, with a favicon, under 200 KB", async () => {
    const { page, errors, requests } = await open(h.server.url);
    await poll(() => page.getByRole("status").first().textContent()).toBe("live");
    expect(await page.title()).toBe("capibara");
    expect(errors).toEqual([]);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => !u.startsWith(`${h.server.url}/`))).toEqual([]);
    const icon = await fetch(`${h.server.url}/favicon.svg`);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect((await icon.text()).startsWith("<svg")).toBe(true);
    const bytes = readdirSync(WEB_DIR).reduce((n, f) => n + statSync(join(WEB_DIR, f)).size, 0);
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(200 * 1024);
  });

  it("lists each expert of /v1/models in its own block, with its name and its state as a word", async () => {
    const { page } = await open(h.server.url);
    const experts = await models(h.server);
    expect(experts).toHaveLength(5);
    await poll(() => page.getByRole("region").count()).toBe(experts.length + 2);
    for (const m of experts) {
      const block = expertBlock(page, m.id);
      await poll(() => block.getByRole("heading", { name: m.id, exact: true }).count()).toBe(1);
      await poll(() => block.getByText(m.state, { exact: true }).count()).toBe(1);
    }
    const options = await page.getByLabel("Expert", { exact: true }).locator("option").allTextContents();
    expect(options).toHaveLength(experts.length + 1);
    expect(options[0]).toMatch(/^auto/);
  });

  it("a message sent with Enter streams an answer, shows the expert and the route reason; the dashboard shows the expert loaded", async () => {
    const { page, errors } = await open(h.server.url);
    const content = "Write a Python function that reverses a linked list";
    const route = h.system.route([{ role: "user", content }], "auto");
    const expert = h.system.config.experts.find((e) => e.name === route.expert)!;
    expect(expert.name).not.toBe(h.htmlExpert);
    await poll(() => expertBlock(page, expert.name).getByText("unloaded", { exact: true }).count()).toBe(1);
    h.engine.options.tokenDelayMs = 100;
    const box = page.getByLabel("Message", { exact: true });
    await box.fill(content);
    await box.press("Enter");
    const answer = lastAnswer(page);
    // Part of the answer is in the DOM while the Stop button says the stream is still running.
    await poll(() => answer.locator(".text").textContent(), 20_000).toMatch(/^\w+ \w+/);
    expect(await page.getByRole("button", { name: "Stop" }).isEnabled()).toBe(true);
    await poll(() => page.getByRole("button", { name: "Send" }).isEnabled(), 20_000).toBe(true);
    h.engine.options.tokenDelayMs = 20;
    expect(await answer.locator(".text").textContent()).toBe(fakeReply(expert.model_path!, [{ role: "user", content }], 12).join(" "));
    expect(await answer.getByText(`Expert: ${expert.name} · Reason: ${route.reason}`, { exact: true }).count()).toBe(1);
    expect(await answer.getByText(/^12 tokens · /).count()).toBe(1);
    await poll(() => expertBlock(page, expert.name).getByText("loaded", { exact: true }).count()).toBe(1);
    await poll(() => expertBlock(page, expert.name).locator("dd").nth(2).textContent()).toBe("1");
    // The routing decision is listed, with its reason.
    await poll(() => page.getByRole("list", { name: "Recent routing decisions" }).getByText(route.reason, { exact: true }).count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it("the Send button sends with the chosen expert, system prompt and max tokens; Stop aborts a stream", async () => {
    const { page } = await open(h.server.url);
    const expert = h.system.config.experts[3]!;
    await page.getByLabel("Expert", { exact: true }).selectOption(expert.name);
    await page.getByLabel("System prompt").fill("Answer briefly.");
    await page.getByLabel("Temperature").fill("0.3");
    await page.getByLabel("Max tokens").fill("3");
    await page.getByLabel("Message", { exact: true }).fill("hello there");
    await page.getByRole("button", { name: "Send" }).click();
    const answer = lastAnswer(page);
    await poll(() => answer.getByText(/^3 tokens · /).count()).toBe(1);
    const messages = [
      { role: "system" as const, content: "Answer briefly." },
      { role: "user" as const, content: "hello there" },
    ];
    expect(await answer.locator(".text").textContent()).toBe(fakeReply(expert.model_path!, messages, 3).join(" "));
    expect(await answer.getByText(`Expert: ${expert.name} · Reason: requested expert ${expert.name}`).count()).toBe(1);

    // A request the server refuses shows its error as text, and the next one goes through.
    await page.getByLabel("Temperature").fill("7");
    await page.getByLabel("Message", { exact: true }).fill("too hot");
    await page.getByRole("button", { name: "Send" }).click();
    await poll(() => lastAnswer(page).getByRole("alert").textContent()).toMatch(/^Error: 400: .*temperature/);
    await page.getByLabel("Temperature").fill("");

    h.engine.options.tokenDelayMs = 300;
    await page.getByLabel("Max tokens").fill("");
    const aborted = h.engine.abortedGenerations;
    await page.getByLabel("Message", { exact: true }).fill("tell me a long story");
    await page.getByRole("button", { name: "Send" }).click();
    await poll(() => lastAnswer(page).locator(".text").textContent(), 20_000).toMatch(/\w/);
    await page.getByRole("button", { name: "Stop" }).click();
    await poll(() => lastAnswer(page).getByText("stopped", { exact: true }).count()).toBe(1);
    await poll(() => h.engine.abortedGenerations).toBe(aborted + 1);
    h.engine.options.tokenDelayMs = 20;
    expect(await page.getByRole("button", { name: "Send" }).isEnabled()).toBe(true);
  });

  it("the Load and Unload buttons send the admin requests; loading shows as a word with progress", async () => {
    const { page } = await open(h.server.url);
    const name = h.system.config.experts[4]!.name;
    const block = expertBlock(page, name);
    await poll(() => block.getByText("unloaded", { exact: true }).count()).toBe(1);
    h.engine.options.loadDelayMs = 1500;
    await block.getByRole("button", { name: "Load", exact: true }).click();
    await poll(() => block.getByText("loading", { exact: true }).count()).toBe(1);
    expect(await block.getByRole("progressbar").isVisible()).toBe(true);
    await poll(() => block.getByText("loaded", { exact: true }).count(), 10_000).toBe(1);
    h.engine.options.loadDelayMs = 0;
    expect(h.system.stats().experts[name]!.state).toBe("loaded");
    await block.getByRole("button", { name: "Unload", exact: true }).click();
    await poll(() => block.getByText("unloaded", { exact: true }).count()).toBe(1);
    expect(h.system.stats().experts[name]!.state).toBe("unloaded");
  });

  it("shows remote experts' states as words, with nothing to load or unload", async () => {
    // The server's remote experts are another part of the system; here its answers are rewritten to have two.
    const [up, down] = [h.system.config.experts[0]!.name, h.system.config.experts[2]!.name];
    const remote: Record<string, string> = { [up]: "remote-up", [down]: "remote-down" };
    const page = await browser.newPage();
    opened.push(page);
    await page.route(/\/(v1\/models|stats)$/, async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { data?: Array<{ id: string; state: string; remote?: boolean }>; experts?: Record<string, { state: string }> };
      for (const m of body.data ?? []) if (remote[m.id]) Object.assign(m, { state: remote[m.id], remote: true });
      for (const [name, s] of Object.entries(body.experts ?? {})) if (remote[name]) s.state = remote[name]!;
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(h.server.url);
    for (const [name, state] of Object.entries(remote)) {
      const block = expertBlock(page, name);
      await poll(() => block.getByText(state, { exact: true }).count()).toBe(1);
      expect(await block.getByRole("button").count()).toBe(0);
    }
    await poll(() => page.getByRole("status").first().textContent()).toBe("live");
    await page.waitForTimeout(300);
    expect(await expertBlock(page, up).getByText("remote-up", { exact: true }).count()).toBe(1);
  });

  it("shows HTML in an expert description and in an answer as text", async () => {
    const { page, errors } = await open(h.server.url);
    const block = expertBlock(page, h.htmlExpert);
    await poll(() => block.getByText(`${HTML} description`, { exact: true }).count()).toBe(1);
    await page.getByLabel("Expert", { exact: true }).selectOption(h.htmlExpert);
    await page.getByLabel("Max tokens").fill("2");
    await page.getByLabel("Message", { exact: true }).fill("hi");
    await page.getByRole("button", { name: "Send" }).click();
    await poll(() => lastAnswer(page).getByText(/^2 tokens · /).count()).toBe(1);
    expect(await lastAnswer(page).locator(".text").textContent()).toMatch(new RegExp(`^${HTML.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\w+${HTML.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    expect(await page.locator("main img, main b").count()).toBe(0);
    expect(await page.evaluate("window.__injected")).toBeUndefined();
    expect(errors).toEqual([]);
  });

  /** The body of each chat request the page sends. */
  const chatBodies = (page: Page): Array<{ model: string; messages: ChatMessage[] }> => {
    const bodies: Array<{ model: string; messages: ChatMessage[] }> = [];
    page.on("request", (r) => {
      if (r.url().endsWith("/v1/chat/completions")) bodies.push(r.postDataJSON() as (typeof bodies)[number]);
    });
    return bodies;
  };
  const png = (side: number) => sharp({ create: { width: side, height: side, channels: 3, background: { r: 190, g: 120, b: 60 } } }).png().toBuffer();
  /** Drops a file on the page or pastes it into the message box, through a DataTransfer (playwright drags no files). */
  const dropFile = (page: Page, how: "drop" | "paste", name: string, bytes: Buffer) => {
    const event = how === "drop" ? `new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: dt })` : `new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: dt })`;
    // A string, evaluated in the page: this file's types have no DOM.
    return page.evaluate(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(${JSON.stringify(bytes.toString("base64"))}), (c) => c.charCodeAt(0))], ${JSON.stringify(name)}, { type: "image/png" }));
      document.getElementById(${JSON.stringify(how === "drop" ? "log" : "message")}).dispatchEvent(${event});
    })()`);
  };

  it("an attached PNG goes with the message as an image_url part; auto sends it to the multimodal expert and shows why; Remove drops it", async () => {
    const { page, errors } = await open(h.server.url);
    const bodies = chatBodies(page);
    const image = await png(16);
    const attach = page.getByLabel("Attach image");
    const preview = page.getByRole("img", { name: "attached image red.png" });
    await attach.setInputFiles({ name: "red.png", mimeType: "image/png", buffer: image });
    await poll(() => preview.count()).toBe(1);
    expect(await page.getByText(`red.png · ${image.length} bytes`, { exact: true }).count()).toBe(1);

    // Removed before sending: the message goes alone.
    await page.getByRole("button", { name: "Remove image" }).click();
    expect(await preview.count()).toBe(0);
    await page.getByLabel("Message", { exact: true }).fill("hello there");
    await page.getByRole("button", { name: "Send" }).click();
    await poll(() => lastAnswer(page).getByText(/^12 tokens · /).count(), 20_000).toBe(1);
    expect(bodies[0]!.messages).toEqual([{ role: "user", content: "hello there" }]);

    h.engine.options.tokenDelayMs = 100;
    await attach.setInputFiles({ name: "red.png", mimeType: "image/png", buffer: image });
    await poll(() => preview.count()).toBe(1);
    const box = page.getByLabel("Message", { exact: true });
    await box.fill("What is in this picture?");
    await box.press("Enter");
    const answer = lastAnswer(page);
    await poll(() => answer.locator(".text").textContent(), 20_000).toMatch(/^\w+ \w+/);
    expect(await page.getByRole("button", { name: "Stop" }).isEnabled()).toBe(true);
    await poll(() => page.getByRole("button", { name: "Send" }).isEnabled(), 20_000).toBe(true);
    h.engine.options.tokenDelayMs = 20;

    expect(await preview.count()).toBe(0);
    expect(await page.getByRole("article", { name: "You" }).last().getByRole("img", { name: "image red.png" }).count()).toBe(1);
    const sent = bodies[1]!;
    expect(sent.model).toBe("auto");
    expect(sent.messages.at(-1)).toEqual({
      role: "user",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${image.toString("base64")}` } },
      ],
    });
    const route = h.system.route(sent.messages, "auto");
    const expert = h.system.config.experts.find((e) => e.name === route.expert)!;
    expect(expert.domain).toBe("multimodal_expert");
    expect(route.reason).toMatch(/image/);
    expect(await answer.getByText(`Expert: ${expert.name} · Reason: ${route.reason}`, { exact: true }).count()).toBe(1);
    expect(await answer.locator(".text").textContent()).toBe(fakeReply(expert.model_path!, sent.messages, 12).join(" "));
    await poll(() => expertBlock(page, expert.name).getByText("loaded", { exact: true }).count()).toBe(1);

    // A dropped file and a pasted image are attached as a chosen one is.
    await dropFile(page, "drop", "dropped.png", image);
    await poll(() => page.getByRole("img", { name: "attached image dropped.png" }).count()).toBe(1);
    await dropFile(page, "paste", "pasted.png", image);
    await poll(() => page.getByRole("img", { name: "attached image pasted.png" }).count()).toBe(1);
    expect(await page.getByRole("img", { name: /^attached image/ }).count()).toBe(1);
    expect(errors).toEqual([]);
  });

  it("says, as text, when a file is not an image, an image is too large, or the expert cannot take images", async () => {
    // A 64 KiB body limit: an image of 36 KiB fits once, not twice, and one of 40 KiB not at all.
    const k = await harness(null, { body_limit_bytes: 65536 });
    try {
      const { page, errors } = await open(k.server.url);
      await poll(() => page.getByRole("status").first().textContent()).toBe("live");
      const attach = page.getByLabel("Attach image");
      const alert = page.locator("#attach-error");
      // The type is what the bytes say, not what the name or the browser's type says; the name stays text.
      const name = `<img src=x onerror=window.__injected=1><b>notes.png`;
      await attach.setInputFiles({ name, mimeType: "image/png", buffer: Buffer.from("just some text\n") });
      await poll(() => alert.textContent()).toBe(`${name} is not an image the server reads: attach a PNG, JPEG, GIF or WebP file.`);
      expect(await page.getByRole("alert").filter({ hasText: "is not an image" }).count()).toBe(1);
      expect(await page.locator("main img, main b").count()).toBe(0);
      expect(await page.evaluate("window.__injected")).toBeUndefined();

      const big = Buffer.concat([await png(4), Buffer.alloc(40 * 1024)]);
      await attach.setInputFiles({ name: "big.png", mimeType: "image/png", buffer: big });
      await poll(() => alert.textContent()).toBe(`big.png is ${(big.length / 1024).toFixed(1)} KiB: this server takes images up to 36.0 KiB.`);
      expect(await page.locator("main img").count()).toBe(0);

      // An expert without a vision projector: the server's error, and what to do.
      const plain = k.system.config.experts.find((e) => !e.mmproj_path)!;
      const image = await png(8);
      await page.getByLabel("Expert", { exact: true }).selectOption(plain.name);
      await attach.setInputFiles({ name: "small.png", mimeType: "image/png", buffer: image });
      await poll(() => alert.textContent()).toBe("");
      await page.getByRole("button", { name: "Send" }).click();
      await poll(() => lastAnswer(page).getByRole("alert").textContent()).toBe(
        `Error: 400: expert ${plain.name} has no vision projector (mmproj_path) (this expert cannot take images: choose auto, which sends images to the multimodal expert, or that expert)`,
      );

      // The conversation's images are sent again with each message, so the second of these does not fit.
      const fits = Buffer.concat([image, Buffer.alloc(30 * 1024 - image.length)]);
      await page.getByLabel("Expert", { exact: true }).selectOption("auto");
      await attach.setInputFiles({ name: "a.png", mimeType: "image/png", buffer: fits });
      await page.getByRole("button", { name: "Send" }).click();
      await poll(() => lastAnswer(page).getByText(/^12 tokens · /).count(), 20_000).toBe(1);
      await attach.setInputFiles({ name: "b.png", mimeType: "image/png", buffer: fits });
      await page.getByLabel("Message", { exact: true }).fill("and this one?");
      await page.getByRole("button", { name: "Send" }).click();
      await poll(() => alert.textContent()).toMatch(/^This message with the conversation's images is 80\.\d KiB, over the server's limit of 64\.0 KiB: start a new chat or attach a smaller image\.$/);
      // Nothing was sent: the message and the image wait for the user.
      expect(await page.getByLabel("Message", { exact: true }).inputValue()).toBe("and this one?");
      expect(await page.getByRole("img", { name: "attached image b.png" }).count()).toBe(1);
      // A new chat leaves room for it.
      await page.getByRole("button", { name: "New chat" }).click();
      expect(await alert.textContent()).toBe("");
      await page.getByRole("button", { name: "Send" }).click();
      await poll(() => lastAnswer(page).getByText(/^12 tokens · /).count(), 20_000).toBe(1);
      expect(await page.locator("main img").count()).toBe(1); // the thumbnail of b.png in the new chat
      expect(errors.filter((e) => !e.includes("400"))).toEqual([]);
    } finally {
      await k.server.close();
    }
  });

  it("with an API key set, asks for it and keeps it only in the tab's memory", async () => {
    const k = await harness("s3cret-key");
    try {
      const { page, errors } = await open(k.server.url);
      const key = page.getByLabel("API key");
      await key.fill("wrong");
      await page.getByRole("button", { name: "Connect" }).click();
      await poll(() => page.getByRole("alert").filter({ hasText: "That key was refused." }).count()).toBe(1);
      await key.fill("s3cret-key");
      await key.press("Enter");
      for (const m of await models(k.server, "s3cret-key")) await poll(() => expertBlock(page, m.id).count()).toBe(1);
      await page.getByLabel("Message", { exact: true }).fill("hello");
      await page.getByRole("button", { name: "Send" }).click();
      await poll(() => lastAnswer(page).getByText(/^12 tokens · /).count(), 20_000).toBe(1);
      await poll(() => page.getByRole("status").first().textContent()).toBe("live");
      const stored = await page.evaluate<string>("JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie, location.href])");
      expect(stored).not.toContain("s3cret");
      // The 401s of the wrong key are the only console errors (Chromium logs failed requests).
      expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
    } finally {
      await k.server.close();
    }
  });
});
