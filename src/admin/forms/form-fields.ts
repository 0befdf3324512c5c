/**
 * Turns the fields of a form body (`application/x-www-form-urlencoded` or `multipart/form-data`)
 * into the object a JSON body would hold, with Kong's conventions, so `curl --data name=…`
 * tutorials work unchanged:
 *
 *   name=web                      → { name: "web" }
 *   config.minute=5               → { config: { minute: "5" } }      (dots nest)
 *   paths[]=/a&paths[]=/b         → { paths: ["/a", "/b"] }          (`[]` appends)
 *   hosts[1]=a&hosts[2]=b         → { hosts: ["a", "b"] }            (indexes order, from 1)
 *   methods=GET&methods=POST      → { methods: ["GET", "POST"] }     (a repeated name is a list)
 *
 * Values stay text; `form-coercion.ts` converts them to the types the route's schema wants. A name
 * that would write through the prototype (`__proto__`, `constructor`, `prototype`), mixes a list and
 * an object, nests deeper than `maxDepth` or comes after `maxFields` fields is refused (400 naming it).
 */
import { PortcullisError } from '../../errors/portcullis-error.js';

export interface FormLimits {
  readonly maxFields: number;
  readonly maxDepth: number;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);
/** `name`, then any number of `.key`, `[]` or `[<index>]`. */
const STEP = /\.([^.[\]]+)|\[(\d{0,6})\]/y;

type Step = { kind: 'key'; key: string } | { kind: 'append' } | { kind: 'index'; index: number };
type Node = Record<string, unknown>;

const refuse = (path: string, message: string) =>
  new PortcullisError('PC_VALIDATION_FAILED', { message: `The body is not valid: ${path} ${message}`, fields: [{ path, message }] });

/** Parses a field name into its steps, or throws 400 naming it. */
export function parseFieldName(name: string): Step[] {
  const head = /^[^.[\]]+/.exec(name)?.[0];
  if (head === undefined) throw refuse(name || '(empty)', 'is not a valid field name');
  const steps: Step[] = [{ kind: 'key', key: head }];
  STEP.lastIndex = head.length;
  while (STEP.lastIndex < name.length) {
    const m = STEP.exec(name);
    if (!m) throw refuse(name, 'is not a valid field name (use a.b, a[] or a[1])');
    if (m[1] !== undefined) steps.push({ kind: 'key', key: m[1] });
    else if (m[2] === '') steps.push({ kind: 'append' });
    else steps.push({ kind: 'index', index: Number(m[2]) });
  }
  for (const s of steps) if (s.kind === 'key' && FORBIDDEN.has(s.key)) throw refuse(name, `may not use "${s.key}"`);
  return steps;
}

/** Builds the body object from form fields, in their order. */
export function formFieldsToObject(fields: Iterable<readonly [string, string]>, limits: FormLimits): Node {
  const root: Node = Object.create(null) as Node;
  // Indexed lists (`a[2]`) are collected as index → value and ordered at the end.
  const indexed = new Map<object, Map<number, unknown>>();
  let count = 0;
  for (const [name, value] of fields) {
    if (++count > limits.maxFields) throw refuse('(root)', `has more than ${limits.maxFields} fields`);
    const steps = parseFieldName(name);
    if (steps.length > limits.maxDepth) throw refuse(name, `is nested deeper than ${limits.maxDepth} levels`);
    let parent: Node = root;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const next = steps[i + 1];
      if (step.kind !== 'key') throw refuse(name, 'has a list step where a name is expected');
      const last = next === undefined;
      const existing = parent[step.key];
      if (last) {
        // A repeated plain name becomes a list (Kong's `--data methods=GET --data methods=POST`).
        if (existing === undefined) parent[step.key] = value;
        else if (Array.isArray(existing)) existing.push(value);
        else if (typeof existing === 'string') parent[step.key] = [existing, value];
        else throw refuse(name, 'is both a value and an object');
        break;
      }
      if (next.kind === 'key') {
        if (existing === undefined) parent[step.key] = Object.create(null) as Node;
        else if (typeof existing !== 'object' || existing === null || Array.isArray(existing)) throw refuse(name, 'is both a value and an object');
        parent = parent[step.key] as Node;
        continue;
      }
      // A list step: `a[]` or `a[1]`, which must end the name (lists of objects are sent as JSON).
      if (steps[i + 2] !== undefined) throw refuse(name, 'may not nest inside a list (send such a body as JSON)');
      const list = existing === undefined ? [] : existing;
      if (!Array.isArray(list)) throw refuse(name, 'is both a value and a list');
      parent[step.key] = list;
      if (next.kind === 'append') list.push(value);
      else {
        let slots = indexed.get(list);
        if (!slots) indexed.set(list, (slots = new Map()));
        slots.set(next.index, value);
      }
      break;
    }
  }
  for (const [list, slots] of indexed) {
    const ordered = [...slots.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
    (list as unknown[]).push(...ordered);
  }
  return root;
}
