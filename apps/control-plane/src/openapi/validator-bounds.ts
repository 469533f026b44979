import type { OpenAPIObject } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; items?: Schema; $ref?: string };

/** The constraints a class-validator decorator states and a JSON schema can carry. */
const COPIED = ['pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'minItems', 'maxItems', 'format', 'enum'] as const;

function merge(into: Schema, from: Schema): void {
  if (into.$ref || from.$ref) return;
  for (const k of COPIED) if (into[k] === undefined && from[k] !== undefined) into[k] = from[k];
  if (from.type === 'integer' && (into.type === 'number' || into.type === undefined)) into.type = 'integer';
  // JSON Schema's numeric exclusive bounds (IsPositive) in OpenAPI 3.0's boolean form.
  if (typeof from.exclusiveMinimum === 'number' && into.minimum === undefined) Object.assign(into, { minimum: from.exclusiveMinimum, exclusiveMinimum: true });
  if (typeof from.exclusiveMaximum === 'number' && into.maximum === undefined) Object.assign(into, { maximum: from.exclusiveMaximum, exclusiveMaximum: true });
  if (into.items && from.items) merge(into.items, from.items);
}

/**
 * The OpenAPI document says what the validators check: every DTO's class-validator rules (bounds, lengths,
 * patterns, integer, uuid, enums, array sizes — read with class-validator-jsonschema) are written into the schema
 * Nest generated for the same class, unless its @ApiProperty already states them. One fact, one place: the rule
 * lives on the validator, and a client generated from /docs-json sends what the server takes
 * (openapi-contract.pglite.int.spec.ts generates bodies from the document to check it).
 */
export function withValidatorBounds(doc: OpenAPIObject): OpenAPIObject {
  const derived = validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/' }) as Record<string, Schema>;
  for (const [name, schema] of Object.entries((doc.components?.schemas ?? {}) as Record<string, Schema>)) {
    const from = derived[name];
    if (!from?.properties || !schema.properties) continue;
    for (const [prop, target] of Object.entries(schema.properties)) {
      const source = from.properties[prop];
      if (source) merge(target, source);
    }
  }
  return doc;
}
