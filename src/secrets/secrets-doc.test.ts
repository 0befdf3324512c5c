/**
 * Keeps docs/secrets.md true to the code:
 * - every ```yaml vault-example block is a vault definition Portcullis accepts: the config-file
 *   form (`vaults: [...]`) against the config file's vault schema and the backends a config file
 *   may use; the entity form (one mapping, the body of `POST /vaults`) against the entity schema
 *   and every backend, `store` included;
 * - the fenced block right after each example holds references to its vaults that the resolver
 *   accepts as written (shape, prefix, options, versions), without calling any backend;
 * - every backend has a `### \`<name>\`` section with an example of its own, and every key of
 *   every backend schema, and of the common settings, is a row of its table with its default,
 *   marked required, encrypted and referenceable as the schema says.
 * A new backend or config key therefore cannot go undocumented, nor can a section be dropped.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import Value from 'typebox/value';
import type { TObject } from 'typebox';
import { BUILTIN_BACKENDS } from './backends/index.js';
import { createStoreBackend } from './backends/store/store-backend.js';
import { createSecretResolver } from './secret-resolver.js';
import type { VaultBackendFactory } from './vault-backend.js';
import { validateVaultDefinition } from './vault-set.js';
import { VaultSettingsSchema } from './vault-settings.js';
import { ConfigVaultSchema } from '../config/schema.js';
import { VaultInput } from '../entities/vaults.js';
import { createLogger } from '../observability/logger.js';
import { createValidator } from '../schema/validator.js';
import type { Store } from '../store/store.js';

const LINES = readFileSync(new URL('../../docs/secrets.md', import.meta.url), 'utf8').split('\n');

// The store backend's factory needs a store only to read secrets; this test uses its schema alone.
const unusable = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error('the docs test never reads a store');
    },
  },
);
const STORE_BACKEND = createStoreBackend({ vaults: unusable, vaultSecrets: unusable } as unknown as Pick<Store, 'vaults' | 'vaultSecrets'>);
const ALL_BACKENDS: readonly VaultBackendFactory[] = [...BUILTIN_BACKENDS, STORE_BACKEND as VaultBackendFactory];

interface Block {
  readonly info: string;
  readonly body: string;
  /** 0-based line of the opening fence. */
  readonly line: number;
}

interface Heading {
  readonly level: number;
  readonly text: string;
  readonly line: number;
}

/** The fenced blocks and the headings outside them. */
function scan(lines: readonly string[]): { blocks: Block[]; headings: Heading[] } {
  const blocks: Block[] = [];
  const headings: Heading[] = [];
  let open: { info: string; line: number; body: string[] } | null = null;
  lines.forEach((text, line) => {
    if (open) {
      if (/^```\s*$/.test(text)) {
        blocks.push({ info: open.info, body: open.body.join('\n'), line: open.line });
        open = null;
      } else open.body.push(text);
      return;
    }
    const fence = /^```(.*)$/.exec(text);
    if (fence) open = { info: fence[1]!.trim(), line, body: [] };
    const heading = /^(#{1,6}) (.+)$/.exec(text);
    if (heading) headings.push({ level: heading[1]!.length, text: heading[2]!, line });
  });
  assert.equal(open, null, 'docs/secrets.md has a fenced block that is never closed');
  return { blocks, headings };
}

const { blocks: BLOCKS, headings: HEADINGS } = scan(LINES);

/** The lines [start, end) of the section under the level-3 heading starting with `title`. */
function section(title: string): { start: number; end: number } | null {
  const index = HEADINGS.findIndex((h) => h.level === 3 && h.text.startsWith(title));
  if (index === -1) return null;
  const next = HEADINGS.slice(index + 1).find((h) => h.level <= 3);
  return { start: HEADINGS[index]!.line, end: next?.line ?? LINES.length };
}

/** The table row of `key` in a section: its cells, without the outer pipes. */
function row(range: { start: number; end: number }, key: string): string[] | null {
  const found = LINES.slice(range.start, range.end).find((l) => l.startsWith(`| \`${key}\` |`));
  return found
    ? found
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim())
    : null;
}

interface Example {
  readonly block: Block;
  /** `config`: the config file's `vaults:`; `entity`: the body of `POST /vaults`. */
  readonly form: 'config' | 'entity';
  readonly definitions: readonly Record<string, unknown>[];
  /** The fenced block after it: the references in use. */
  readonly uses: Block | undefined;
}

const EXAMPLES: Example[] = BLOCKS.flatMap((block, i): Example[] => {
  if (block.info !== 'yaml vault-example') return [];
  const parsed = parse(block.body) as unknown;
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  assert.ok(isMap(parsed), `the vault example at line ${block.line + 1} is not a YAML mapping`);
  const uses = BLOCKS[i + 1];
  if (!Object.hasOwn(parsed, 'vaults')) return [{ block, form: 'entity', definitions: [parsed], uses }];
  assert.deepEqual(Object.keys(parsed), ['vaults'], `the vault example at line ${block.line + 1} holds more than \`vaults:\``);
  const vaults = parsed['vaults'];
  assert.ok(Array.isArray(vaults) && vaults.length > 0 && vaults.every(isMap), `the vault example at line ${block.line + 1} lists no vault`);
  return [{ block, form: 'config', definitions: vaults, uses }];
});

/** What `validateVaultDefinition` takes, from an example's mapping. */
function asDefinition(d: Record<string, unknown>): { prefix: string; name: string; config: Record<string, unknown> } {
  return { prefix: String(d['prefix']), name: String(d['name']), config: (d['config'] ?? {}) as Record<string, unknown> };
}

const configVault = createValidator(ConfigVaultSchema);
const entityBody = createValidator(VaultInput);

describe('docs/secrets.md', () => {
  it('has vault examples', () => {
    assert.ok(EXAMPLES.length >= ALL_BACKENDS.length, `only ${EXAMPLES.length} \`yaml vault-example\` blocks`);
  });

  for (const example of EXAMPLES) {
    const where = `line ${example.block.line + 1}`;
    const prefixes = example.definitions.map((d) => String(d['prefix']));

    it(`the vault example at ${where} (${prefixes.join(', ')}) is a definition Portcullis accepts`, () => {
      for (const definition of example.definitions) {
        if (example.form === 'config') {
          // A config file may not use `store`: its vaults are checked against the built-in backends.
          assert.deepEqual(configVault.errors(Value.Default(ConfigVaultSchema, structuredClone(definition))), []);
        } else {
          assert.deepEqual(entityBody.errors(definition), []);
        }
        const backends = example.form === 'config' ? BUILTIN_BACKENDS : ALL_BACKENDS;
        const def = asDefinition(definition);
        assert.deepEqual(validateVaultDefinition(def, backends).errors, [], `vault "${def.prefix}"`);
      }
    });

    it(`the vault example at ${where} is followed by references to its vaults that resolve as written`, async () => {
      assert.ok(example.uses, `no block of references after the example at ${where}`);
      const uses = example.uses;
      assert.ok(!HEADINGS.some((h) => h.line > example.block.line && h.line < uses.line), `a heading separates the example at ${where} from its references`);
      const references = uses.body.match(/\{vault:\/\/[^{}\s"']*\}/g) ?? [];
      assert.ok(
        references.some((r) => prefixes.some((p) => r.startsWith(`{vault://${p}/`))),
        `the block after the example at ${where} uses none of ${prefixes.join(', ')}`,
      );
      const resolver = createSecretResolver({ logger: createLogger({ level: 'silent' }), env: {}, backends: ALL_BACKENDS, maxValueSize: 256 * 1024 });
      try {
        resolver.setVaults(
          example.definitions.map((d) => {
            const def = asDefinition(d);
            return { ...def, config: validateVaultDefinition(def, ALL_BACKENDS).config, origin: 'config' as const };
          }),
        );
        for (const reference of references) assert.equal(resolver.check(reference), null, reference);
      } finally {
        await resolver.close();
      }
    });
  }

  for (const backend of ALL_BACKENDS) {
    const schema = backend.configSchema as TObject;

    it(`has a section for the ${backend.name} backend with an example of its own`, () => {
      const range = section(`\`${backend.name}\``);
      assert.ok(range, `no "### \`${backend.name}\`" section`);
      const own = EXAMPLES.filter((e) => e.block.line > range.start && e.block.line < range.end);
      assert.ok(
        own.some((e) => e.definitions.some((d) => d['name'] === backend.name)),
        `the ${backend.name} section has no \`yaml vault-example\` of a ${backend.name} vault`,
      );
    });

    it(`documents every config key of the ${backend.name} backend as its schema defines it`, () => {
      const range = section(`\`${backend.name}\``);
      assert.ok(range, `no "### \`${backend.name}\`" section`);
      for (const [key, property] of Object.entries(schema.properties)) {
        const cells = row(range, key);
        assert.ok(cells, `${backend.name}: config key \`${key}\` has no row in its table`);
        const flags = property as { default?: unknown; encrypted?: boolean; referenceable?: boolean };
        const text = cells.join(' | ');
        if (flags.default !== undefined)
          assert.ok(cells[1]?.includes(`\`${String(flags.default)}\``), `${backend.name}.${key}: default ${String(flags.default)}`);
        else if (schema.required?.includes(key)) assert.match(cells[1] ?? '', /required/, `${backend.name}.${key} is required`);
        if (flags.encrypted) assert.match(text, /encrypted/i, `${backend.name}.${key} is encrypted`);
        if (flags.referenceable) assert.ok(text.includes('{vault://env/'), `${backend.name}.${key} may be a {vault://env/…} reference`);
      }
    });
  }

  it('documents every common vault setting with its default', () => {
    const range = section('Common settings');
    assert.ok(range, 'no "### Common settings" section');
    for (const [key, property] of Object.entries(VaultSettingsSchema.properties)) {
      const cells = row(range, key);
      assert.ok(cells, `setting \`${key}\` has no row`);
      assert.ok(cells[1]?.includes(`\`${String((property as { default?: unknown }).default)}\``), `${key}: its default`);
    }
  });
});
