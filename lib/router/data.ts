/**
 * Reads the router's data files (`data/router/` in the package): vocabularies and the topic
 * model live there as data, not as code. The path is the same from `lib/router` (sources, tests)
 * and `dist/router` (the built package).
 * @module
 */
import { readFileSync } from "node:fs";

const DATA_DIR = new URL("../../data/router/", import.meta.url);

/** The bytes of `data/router/<name>`. */
export function readRouterData(name: string): Buffer {
  return readFileSync(new URL(name, DATA_DIR));
}

/**
 * Rows of a TSV file with a header line; `#` lines and blank lines are skipped. Each row maps the
 * header's column names to the cell text.
 */
export function readTsv(name: string): Array<Record<string, string>> {
  const lines = readRouterData(name).toString("utf8").split("\n");
  const body = lines.filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const header = (body.shift() ?? "").split("\t");
  return body.map((l) => {
    const cells = l.split("\t");
    return Object.fromEntries(header.map((h, i) => [h, (cells[i] ?? "").trim()]));
  });
}
