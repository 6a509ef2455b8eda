/**
 * Text helpers shared by the router and the training scripts: code detection, the prose left once
 * code and quotations are removed, and accent folding.
 * @module
 */

const FENCE = /```[^\n]*\n?[\s\S]*?(?:```|$)/g;
const INLINE_CODE = /`[^`\n]+`/g;
const URL = /\bhttps?:\/\/\S+/g;
/** Quoted segments: the words a user asks about, not the language they write in. */
const QUOTED = /"[^"\n]{1,200}"|“[^”\n]{1,200}”|«[^»\n]{1,200}»|„[^“”\n]{1,200}[“”]|(?<![\p{L}\p{N}])'[^'\n]{1,200}'(?![\p{L}\p{N}])|‘[^’\n]{1,200}’|「[^」\n]{1,200}」/gu;

/**
 * A line that looks like source code: statement/block punctuation, assignment, a keyword that opens
 * a definition, a shell prompt, SQL, a preprocessor line, an HTML/XML tag, a YAML/Make rule, a shell
 * pipe into a common filter, or a command-line flag.
 */
const CODE_LINE = [
  /[;{}]\s*$/,
  /^\s*(?:def|class|import|from\s+\S+\s+import|function|const|let|var|fn|func|package|public|private|static|return|if\s*\(|for\s*\(|while\s*\(|#include|#define|using\s+namespace|SELECT|INSERT|UPDATE|DELETE|CREATE\s+TABLE|FROM\s+\S+:|RUN|COPY|WORKDIR|ENTRYPOINT)\b/,
  /^\s*(?:\$|>>>|PS>)\s+\S/,
  /\b\w+\s*(?:=|\+=|-=|:=|=>|->)\s*[\w"'([{]/,
  /\b\w+(?:\.\w+)*\([^()]*\)\s*(?:;|:|\{|$)/,
  /<\/?[a-z][\w-]*(?:\s[^<>]*)?>/i,
  /^\s*[\w.-]+:\s*$|^\s*-\s+(?:name|uses|run):/,
  /^\t\S/,
  /\s\|\s*(?:grep|sort|uniq|wc|head|tail|awk|sed|xargs|cut|tr|jq|less|tee|bash|sh)\b/,
  /(?:^|\s)-{1,2}[a-zA-Z][\w-]*(?=\s|$)/,
];

/** Code found in a message. */
export interface CodeSignals {
  /** Number of fenced (```) blocks. */
  fences: number;
  /** Number of inline `code` spans. */
  inline: number;
  /** Lines outside fences that look like code. */
  codeLines: number;
  /** True when the message carries a code snippet (a fence, two code-like lines, or one dense with code syntax). */
  hasSnippet: boolean;
}

/** Looks for code in `text` (fences, inline spans, unfenced code lines). */
export function codeSignals(text: string): CodeSignals {
  const fences = text.match(FENCE)?.length ?? 0;
  const rest = text.replace(FENCE, "\n");
  const inline = rest.match(INLINE_CODE)?.length ?? 0;
  let codeLines = 0;
  let denseLine = false;
  for (const line of rest.split("\n", 400)) {
    if (line.trim().length < 2) continue;
    let hits = 0;
    for (const re of CODE_LINE) if (re.test(line)) hits++;
    if (hits > 0) codeLines++;
    // One line with two kinds of code syntax is code pasted inline: "if (x = 5) { alert(x) }".
    if (hits >= 2) denseLine = true;
  }
  return { fences, inline, codeLines, hasSnippet: fences > 0 || codeLines >= 2 || denseLine };
}

/**
 * The prose of a message: fenced code, inline code, URLs and quoted phrases removed, so that
 * language identification sees the language the user writes in.
 */
export function proseOf(text: string): string {
  return text.replace(FENCE, " ").replace(INLINE_CODE, " ").replace(URL, " ").replace(QUOTED, " ");
}

/** The quoted phrases of a message, without their quote marks (at most `max`). */
export function quotedPhrases(text: string, max = 5): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(QUOTED)) {
    out.push(m[0].slice(1, -1));
    if (out.length >= max) break;
  }
  return out;
}

/** Lower-cases and strips diacritics (users often omit Spanish accents). */
export function fold(text: string): string {
  return text.toLowerCase().normalize("NFD").replace(/\p{M}+/gu, "");
}
