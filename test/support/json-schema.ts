// A validator of just the JSON Schema keywords the scenario schema uses, so
// tests can check the generated schema without a validator dependency.
import type { JsonSchema } from '../../sim/scenario/schema.ts';

/** Problems of `value` against `schema`, as `PATH: what`; empty when it is valid. */
export function schemaErrors(schema: JsonSchema, value: unknown, at = '$'): string[] {
  const errors: string[] = [];
  const fail = (why: string) => errors.push(`${at}: ${why}`);
  const typeOk: Record<string, (v: unknown) => boolean> = {
    object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    array: Array.isArray,
    string: (v) => typeof v === 'string',
    number: (v) => typeof v === 'number',
    integer: (v) => Number.isInteger(v),
    boolean: (v) => typeof v === 'boolean',
    null: (v) => v === null,
  };
  if (typeof schema.type === 'string' && !typeOk[schema.type](value)) return [`${at}: not ${schema.type}`];
  if ('const' in schema && value !== schema.const) fail(`not ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail('not in enum');
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value as string)) fail('pattern');
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail('minimum');
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) fail('exclusiveMinimum');
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail('maximum');
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail('minItems');
    if (schema.items) value.forEach((item, i) => errors.push(...schemaErrors(schema.items as JsonSchema, item, `${at}[${i}]`)));
  }
  if (typeOk.object(value)) {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in record)) fail(`missing ${key}`);
    if (typeof schema.minProperties === 'number' && Object.keys(record).length < schema.minProperties) fail('minProperties');
    for (const [key, item] of Object.entries(record)) {
      const names = schema.propertyNames as JsonSchema | undefined;
      if (names) errors.push(...schemaErrors(names, key, `${at}.${key} (name)`));
      if (key in properties) errors.push(...schemaErrors(properties[key], item, `${at}.${key}`));
      else if (schema.additionalProperties === false) fail(`unexpected ${key}`);
      else if (typeof schema.additionalProperties === 'object') {
        errors.push(...schemaErrors(schema.additionalProperties as JsonSchema, item, `${at}.${key}`));
      }
    }
  }
  const passing = (options: unknown) => (options as JsonSchema[]).filter((s) => schemaErrors(s, value, at).length === 0).length;
  if (schema.anyOf && passing(schema.anyOf) === 0) fail('no anyOf branch matches');
  if (schema.oneOf && passing(schema.oneOf) !== 1) fail('not exactly one oneOf branch matches');
  return errors;
}
