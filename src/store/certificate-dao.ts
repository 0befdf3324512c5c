/**
 * The certificates DAO: the generic one plus Kong's `snis` shorthand. A create, PUT or PATCH
 * whose input has `snis` makes the certificate's SNIs exactly those names, in the transaction of
 * the certificate write: a name another certificate has is 409 naming it, and nothing is written.
 * Without `snis` the SNIs stay as they are (`[]` removes them all). Every certificate this DAO
 * returns carries `snis`, its SNI names sorted, read with one query per page.
 *
 * The names are validated (and lowercased) by the certificate's definition, which sees `snis` in
 * its input; the row codec stores only the definition's fields, so `snis` never reaches the row.
 */
import type { Certificate, CertificateWithSnis } from '../entities/certificates.js';
import type { Sni } from '../entities/snis.js';
import { normalizeSniName } from '../tls/sni-name.js';
import { PortcullisError, type FieldError } from '../errors/portcullis-error.js';
import type { DaoContext } from './dao-context.js';
import { EntityDao, type ListOptions } from './entity-dao.js';
import type { Page } from './pagination.js';
import type { RowCodec } from './row-codec.js';
import type { EntityDefinition } from '../entities/entity.js';
import { UNREADABLE, unreadableError } from './unreadable.js';

type Input = Record<string, unknown>;

export class CertificateDao extends EntityDao<Certificate> {
  readonly #ctx: DaoContext;
  readonly #snis: EntityDao<Sni>;

  constructor(definition: EntityDefinition<Certificate>, codec: RowCodec, ctx: DaoContext, snis: EntityDao<Sni>) {
    super(definition, codec, ctx);
    this.#ctx = ctx;
    this.#snis = snis;
  }

  override async get(idOrKey: string): Promise<CertificateWithSnis | null> {
    const found = await super.get(idOrKey);
    return found ? (await this.#withSnis([found]))[0]! : null;
  }

  override async getOrFail(idOrKey: string): Promise<CertificateWithSnis> {
    return (await super.getOrFail(idOrKey)) as CertificateWithSnis;
  }

  override async list(options: ListOptions = {}): Promise<Page<CertificateWithSnis>> {
    const page = await super.list(options);
    return { ...page, data: await this.#withSnis(page.data) };
  }

  override async listAll(where?: ListOptions['where'], options: Pick<ListOptions, 'tolerant'> = {}): Promise<CertificateWithSnis[]> {
    return (await super.listAll(where, options)) as CertificateWithSnis[];
  }

  override async insert(input: Input, options: { id?: string } = {}): Promise<CertificateWithSnis> {
    return this.#ctx.write(async () => {
      const created = await super.insert(input, options);
      if (input['snis'] !== undefined) await this.#setSnis(created.id, input['snis']);
      return (await this.#withSnis([created]))[0]!;
    }, 'certificates');
  }

  override async update(idOrKey: string, patch: Input): Promise<CertificateWithSnis> {
    return this.#ctx.write(async () => {
      const updated = await super.update(idOrKey, patch);
      if (patch['snis'] !== undefined) await this.#setSnis(updated.id, patch['snis']);
      return (await this.#withSnis([updated]))[0]!;
    }, 'certificates');
  }

  override async upsert(idOrKey: string, input: Input): Promise<{ entity: CertificateWithSnis; created: boolean }> {
    return this.#ctx.write(async () => {
      // A PUT that creates goes through insert above, which sets the SNIs already.
      const { entity, created } = await super.upsert(idOrKey, input);
      if (!created && input['snis'] !== undefined) await this.#setSnis(entity.id, input['snis']);
      return { entity: (await this.#withSnis([entity]))[0]!, created };
    }, 'certificates');
  }

  /** Makes the SNIs of `certificateId` exactly `names` (validated by the definition already). */
  async #setSnis(certificateId: string, names: unknown): Promise<void> {
    const wanted = (names as string[]).map(normalizeSniName);
    const snis = this.#snis;
    const taken =
      wanted.length === 0
        ? []
        : await this.#ctx.read((db) => db.selectFrom('snis').select(['name', 'certificate_id']).where('name', 'in', wanted).execute(), 'snis');
    const conflicts: FieldError[] = [];
    for (const row of taken) {
      if (row.certificate_id === certificateId) continue;
      conflicts.push({ path: `snis.${wanted.indexOf(row.name)}`, message: `${JSON.stringify(row.name)} already belongs to certificate ${row.certificate_id}` });
    }
    if (conflicts.length > 0) {
      conflicts.sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
      throw new PortcullisError('PC_STORE_UNIQUE_VIOLATION', {
        message: `An SNI of this certificate belongs to another certificate: ${conflicts.map((c) => c.message).join('; ')}`,
        fields: conflicts,
      });
    }
    const current = await snis.listAll({ certificate: certificateId });
    for (const sni of current) if (!wanted.includes(sni.name)) await snis.delete(sni.id);
    const kept = new Set(current.map((s) => s.name));
    for (const name of wanted) if (!kept.has(name)) await snis.insert({ name, certificate: { id: certificateId } });
  }

  /** `certificates` with their SNI names, sorted; an unreadable mark (tolerant reads) is kept. */
  async #withSnis(certificates: readonly Certificate[]): Promise<CertificateWithSnis[]> {
    if (certificates.length === 0) return [];
    const ids = certificates.map((c) => c.id);
    const rows = await this.#ctx.read((db) => db.selectFrom('snis').select(['name', 'certificate_id']).where('certificate_id', 'in', ids).execute(), 'snis');
    const byCertificate = new Map<string, string[]>();
    for (const row of rows) {
      const id = String(row.certificate_id);
      const names = byCertificate.get(id);
      if (names) names.push(String(row.name));
      else byCertificate.set(id, [String(row.name)]);
    }
    return certificates.map((c) => {
      // Sorted here, not by the database, so both dialects (and every collation) agree.
      const names = (byCertificate.get(c.id) ?? []).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const shown: CertificateWithSnis = { ...c, snis: names };
      const problem = unreadableError(c);
      if (problem) Object.defineProperty(shown, UNREADABLE, { value: problem, enumerable: false });
      return shown;
    });
  }
}
