// DOM helpers. Everything shown goes in as text (textContent, never innerHTML), so expert
// descriptions, answers and error messages holding HTML stay text.

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (as attributes, not markup) and text or element children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing from the page`);
  return node as T;
}

export function mib(bytes: number): string {
  return bytes > 0 ? `${(bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0)} MiB` : "—";
}

/** Bytes as a person reads them, to a tenth of a KiB or MiB. */
export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  return bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`;
}

export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}
