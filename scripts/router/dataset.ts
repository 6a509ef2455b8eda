/**
 * Shared helpers of the router training and evaluation scripts: the example type, the
 * deterministic held-out split, and loading the project's training data, its hand-written
 * evaluation sets and the shared dev sets.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChatMessage, Domain, TopicDomain } from "../../lib/router/index.js";
import { generateTopicData } from "./generate-data.js";

export type Lang = "en" | "es";

/** One labelled topic example. */
export interface Example {
  text: string;
  label: TopicDomain;
  lang: Lang;
  split: "train" | "test";
}

/** Repository root (this file is scripts/router/dataset.ts). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** FNV-1a of a key; one item in ten is held out. */
export function holdOut(key: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 10 === 0;
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

/** A hand-written training row: `weight` is how many times it counts. */
interface HandwrittenRow {
  text: string;
  label: TopicDomain;
  lang: Lang;
  weight: number;
}

/** Generated plus hand-written topic examples (hand-written rows are split by their text). */
export function loadTopicData(): Example[] {
  const hand = readJsonl<HandwrittenRow>(`${REPO_ROOT}data/router/train/handwritten.jsonl`).flatMap(({ text, label, lang, weight }): Example[] =>
    Array.from({ length: weight }, () => ({ text, label, lang, split: holdOut(text) ? "test" : "train" })),
  );
  return [...generateTopicData(), ...hand];
}

/** A labelled request or conversation. */
export interface DevRow {
  messages: ChatMessage[];
  expected: Domain;
}

/**
 * The hand-written evaluation sets, never trained on: `requests` (single requests, all five
 * domains), `conversations` (follow-ups and topic switches, several languages, written before the
 * follow-up rule was tuned) and `conversations-later` (written after the last tuning, to check it
 * did not overfit; never tuned on).
 */
export function loadEvalSet(name: "requests" | "conversations" | "conversations-later"): DevRow[] {
  return readJsonl<DevRow>(`${REPO_ROOT}data/router/eval/${name}.jsonl`);
}

/**
 * Where a shared dev set may be: next to this checkout, or (in a git worktree) next to the main
 * checkout that owns the repository.
 */
function devSetCandidates(file: string): string[] {
  const paths = [resolve(REPO_ROOT, `../shared/router/${file}`)];
  try {
    const common = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    paths.push(resolve(dirname(common), `../shared/router/${file}`));
  } catch {
    // Not a git checkout (e.g. an unpacked tarball): only the sibling folder applies.
  }
  return [...new Set(paths)];
}

/** Loads `<repo>/../shared/router/<file>` (`dev.jsonl` or `dev-multiturn.jsonl`), or explains where it was expected. */
export function loadDevSet(file: "dev.jsonl" | "dev-multiturn.jsonl" = "dev.jsonl"): DevRow[] {
  const candidates = devSetCandidates(file);
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new Error(`${file} not found; looked at ${candidates.join(", ")}. It lives in the shared folder next to the repository (<repo>/../shared/router/${file}).`);
  }
  return readJsonl<DevRow>(path);
}
