import { loadDemoVocab } from "./lib/demo/index.js";
import { GrammarCache, GrammarMatcher } from "./lib/grammar/compiled.js";
import { jsonSchemaToGbnf } from "./lib/grammar/json-schema.js";
import { Tokenizer } from "./lib/tokenizer/index.js";
import { SCHEMAS, compact } from "./test/fixtures/grammar/schemas.js";
const tok = Tokenizer.fromData(loadDemoVocab("qwen2-bpe"));
const cache = new GrammarCache(tok);
for (const pass of [0, 1]) for (const c of SCHEMAS) {
  const g = await cache.get(jsonSchemaToGbnf(c.schema));
  let worst = 0, sum = 0, n = 0, wt = "";
  for (const v of c.valid) {
    const tokens = tok.tokenize(compact(v), { addSpecial: false, parseSpecial: false });
    const m = new GrammarMatcher(g, tok.size);
    let prefix = "";
    for (const t of tokens) {
      const t0 = process.hrtime.bigint();
      const cnt = m.computeMask();
      const dt = Number(process.hrtime.bigint() - t0) / 1000;
      sum += dt; n++;
      if (dt > worst) { worst = dt; wt = prefix + " |allowed " + cnt; }
      m.accept(t); prefix += tok.detokenize([t]);
    }
  }
  if (pass === 1 && worst > 1000) console.log(c.name.padEnd(30), (sum / n).toFixed(0).padStart(7), worst.toFixed(0).padStart(7), wt.slice(-60));
}
