/**
 * Shared helpers of the router training and evaluation scripts: the example type, the
 * deterministic held-out split, and loading the project's training data and the shared dev set.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChatMessage, Domain, TopicDomain } from "../../lib/router/index.js";

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

/** Generated plus hand-written topic examples (hand-written rows are split by their text). */
export function loadTopicData(): Example[] {
  const generated = readJsonl<Example>(`${REPO_ROOT}data/router/generated.jsonl`);
  const hand = readJsonl<Omit<Example, "split">>(`${REPO_ROOT}data/router/handwritten.jsonl`).map(
    (e): Example => ({ ...e, split: holdOut(e.text) ? "test" : "train" }),
  );
  return [...generated, ...hand];
}

/** A labelled request of the shared dev set. */
export interface DevRow {
  messages: ChatMessage[];
  expected: Domain;
}

/** Hand-written requests in the style of real traffic, all five domains, never used for training. */
export function loadValidationSet(): DevRow[] {
  return readJsonl<DevRow>(`${REPO_ROOT}data/router/validation.jsonl`);
}

/**
 * Where the shared dev set may be: next to this checkout, or (in a git worktree) next to the main
 * checkout that owns the repository.
 */
function devSetCandidates(): string[] {
  const paths = [resolve(REPO_ROOT, "../shared/router/dev.jsonl")];
  try {
    const common = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    paths.push(resolve(dirname(common), "../shared/router/dev.jsonl"));
  } catch {
    // Not a git checkout (e.g. an unpacked tarball): only the sibling folder applies.
  }
  return [...new Set(paths)];
}

/** Loads `<repo>/../shared/router/dev.jsonl`, or explains where it was expected. */
export function loadDevSet(): DevRow[] {
  const candidates = devSetCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new Error(`dev set not found; looked at ${candidates.join(", ")}. It lives in the shared folder next to the repository (<repo>/../shared/router/dev.jsonl).`);
  }
  return readJsonl<DevRow>(path);
}
