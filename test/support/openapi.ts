// Validates REST answers against a published OpenAPI 3.0 document (the dialects' reference specs in
// ../shared/ref/<system>/), so each dialect test can say "this body is what the spec describes".
// OpenAPI 3.0 schemas are JSON Schema with a few differences, adapted here before ajv sees them:
// `nullable: true` becomes a type union with null, `discriminator` (ajv accepts it only in a narrow
// form) is dropped so the base schema validates, and `#/components/schemas/X` refs resolve inside
// the document. Spec schemas rarely list `required` fields, so a body missing half its fields would
// pass: `requireDeclared` makes every declared property required, which is what a dashboard that
// reads those fields needs (name the properties a system really leaves out in `optional`).
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM interop.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

type Schema = Record<string, unknown>;

/** OpenAPI's own formats for numbers and bytes, which JSON Schema does not define: the type already
 * says what is checked (a JSON number cannot tell int32 from int64), so they are accepted as named. */
const OPENAPI_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'binary'];

/** An ajv that knows OpenAPI's formats (without them it warns once per use). */
export function openApiAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const format of OPENAPI_FORMATS) ajv.addFormat(format, true);
  return ajv;
}

export interface OpenApiOptions {
  /** Treat every declared property of every object schema as required. */
  requireDeclared?: boolean;
  /** Property names that may be missing even with requireDeclared (fields the system omits). */
  optional?: readonly string[];
  /** Every property may be null (a serializer that writes absent values as null, like Jackson's
   * default, which the spec does not mark `nullable`). */
  allowNull?: boolean;
}

export interface OpenApiValidator {
  /** The response schema of `method path` (spec path syntax, `/jobs/{jobid}`) for `status`. */
  responseSchema(method: string, path: string, status?: number): Schema | undefined;
  /** The spec paths with their methods, e.g. `GET /jobs/{jobid}`. */
  operations(): string[];
  /** Problems of `body` against the response schema of `method path`, as readable lines; [] when it
   * validates. Throws when the spec has no JSON response for it. */
  validate(method: string, path: string, body: unknown, status?: number): string[];
}

/** `schema`, or null. */
function orNull(schema: Schema): Schema {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  if (Array.isArray(schema.type)) return schema;
  return { anyOf: [{ type: 'null' }, schema] };
}

/** OpenAPI 3.0 → JSON Schema (draft 7 as ajv reads it), in a copy. */
function adapt(node: unknown, options: OpenApiOptions): unknown {
  if (Array.isArray(node)) return node.map((item) => adapt(item, options));
  if (node === null || typeof node !== 'object') return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'discriminator' || key === 'nullable' || key === 'example') continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Schema).map(([name, schema]) => {
          const adapted = adapt(schema, options);
          return [name, options.allowNull ? orNull(adapted as Schema) : adapted];
        }),
      );
      continue;
    }
    out[key] = adapt(value, options);
  }
  if (options.requireDeclared && out.properties) {
    const optional = new Set(options.optional ?? []);
    const declared = Object.keys(out.properties as Schema).filter((name) => !optional.has(name));
    out.required = [...new Set([...((out.required as string[] | undefined) ?? []), ...declared])];
  }
  if (source.nullable === true) return orNull(out);
  return out;
}

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
  );
}

/** Loads an OpenAPI 3.0 YAML file and answers validations of response bodies against it. */
export function loadOpenApi(file: string, options: OpenApiOptions = {}): OpenApiValidator {
  const doc = parse(readFileSync(file, 'utf8')) as {
    paths: Record<
      string,
      Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema }> }> }>
    >;
    components?: {
      schemas?: Record<string, Schema>;
      responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
    };
  };
  const ajv = openApiAjv();
  addFormats(ajv);
  const id = 'openapi';
  ajv.addSchema({ $id: id, components: adapt(doc.components ?? {}, options) } as Schema);
  const compiled = new Map<string, ReturnType<Ajv['compile']>>();

  const responseSchema = (method: string, path: string, status = 200): Schema | undefined => {
    const responses = doc.paths[path]?.[method.toLowerCase()]?.responses;
    let response = responses?.[String(status)] as {
      $ref?: string;
      content?: Record<string, { schema?: Schema }>;
    };
    // A response may be a reference into components.responses (Nomad's generated spec does this).
    const ref = response?.$ref?.match(/^#\/components\/responses\/(.+)$/)?.[1];
    if (ref) response = doc.components?.responses?.[ref] ?? {};
    return response?.content?.['application/json']?.schema;
  };

  return {
    responseSchema,
    operations: () =>
      Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    validate(method, path, body, status = 200) {
      const key = `${method} ${path} ${status}`;
      let check = compiled.get(key);
      if (!check) {
        const schema = responseSchema(method, path, status);
        if (!schema) throw new Error(`the spec has no JSON ${status} response for ${method} ${path}`);
        // Refs inside the response schema point into the components registered under `id`.
        const rebased = JSON.parse(
          JSON.stringify(adapt(schema, options)).replaceAll('"#/components/', `"${id}#/components/`),
        ) as Schema;
        check = ajv.compile(rebased);
        compiled.set(key, check);
      }
      return check(body) ? [] : describe(check.errors);
    },
  };
}
