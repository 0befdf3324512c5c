/**
 * Checks one mapped body as the Admin API would before anything is written: the entity's input
 * schema, then its normalisation and cross-field checks (a route's RE2 regex, a service's
 * host), with each problem reported at its decK path. Validators are compiled once per import.
 */
import type { BaseEntity, EntityDefinition } from '../entities/entity.js';
import { createValidator, type Validator } from '../schema/validator.js';
import { deckPath, type DeckReader } from './deck-path.js';

export interface InputChecker {
  /** Records the problems of `input` at `path` (decK notation); true when it has none. */
  check<E extends BaseEntity>(definition: EntityDefinition<E>, input: Record<string, unknown>, path: string): boolean;
}

export function createInputChecker(reader: DeckReader): InputChecker {
  const validators = new Map<EntityDefinition<any>, Validator<unknown>>();
  const validatorOf = (definition: EntityDefinition<any>) => {
    let v = validators.get(definition);
    if (!v) validators.set(definition, (v = createValidator(definition.inputSchema)));
    return v;
  };
  return {
    check(definition, input, path) {
      const errors = validatorOf(definition).errors(input);
      if (errors.length === 0 && definition.check) {
        const whole = { ...definition.defaults, ...(definition.normalize ? definition.normalize(input) : input) };
        errors.push(...definition.check(whole as never));
      }
      for (const e of errors) reader.problem(deckPath(path, e.path), e.message);
      return errors.length === 0;
    },
  };
}
