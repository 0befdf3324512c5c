/**
 * `node --import <this file>`: records the start-up hold bin/portcullis.js marks on `globalThis`
 * (src/node/release-startup-memory.ts) as they change, appending one JSON line
 * `{ "mark": "...", "value": ... }` per change to the file named by PORTCULLIS_HOLDS_LOG.
 * Polled every millisecond from before bin/portcullis.js runs. Used by test/e2e/start-holds.e2e.test.ts.
 */
import { appendFileSync } from 'node:fs';

const out = process.env.PORTCULLIS_HOLDS_LOG;
if (out) {
  const marks = ['portcullis.youngGenerationHeld'];
  const last = new Map(marks.map((mark) => [mark, undefined]));
  setInterval(() => {
    for (const mark of marks) {
      const value = globalThis[Symbol.for(mark)];
      if (value === last.get(mark)) continue;
      last.set(mark, value);
      appendFileSync(out, JSON.stringify({ mark, value }) + '\n');
    }
  }, 1).unref();
}
