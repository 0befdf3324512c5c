/**
 * `node --import <this file>`: records the start-up hold bin/portcullis.js marks on `globalThis`
 * (src/node/release-startup-memory.ts) each time it is set, appending one JSON line
 * `{ "mark": "...", "value": ... }` per assignment to the file named by PORTCULLIS_HOLDS_LOG.
 * An accessor on `globalThis`, defined before bin/portcullis.js runs: every write is seen, however
 * fast the start (a timer polling the mark missed the first on Node 24). Used by
 * test/e2e/start-holds.e2e.test.ts.
 */
import { appendFileSync } from 'node:fs';

const out = process.env.PORTCULLIS_HOLDS_LOG;
if (out) {
  for (const mark of ['portcullis.youngGenerationHeld']) {
    let value;
    Object.defineProperty(globalThis, Symbol.for(mark), {
      configurable: true,
      get: () => value,
      set(next) {
        value = next;
        appendFileSync(out, JSON.stringify({ mark, value: next }) + '\n');
      },
    });
  }
}
