/**
 * Turns an untrusted request body into a JSON value the rest of the gateway can trust structurally:
 * well-formed, an object, no deeper than the configured depth, no array longer than the configured
 * length, and free of keys that alter prototypes. The walk is iterative so hostile nesting cannot
 * overflow the stack. The array limit bounds the cost of validation, whose FHIRPath invariants grow with
 * the values they range over (about 75 ms for 1,000 identifiers, 0.75 s for 9,000 on 2 busy cores).
 */
import { gatewayError } from './outcomes.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Structural limits of a request body. */
export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxArrayLength: number;
}

/** Parses a body and checks depth, array lengths and keys; throws a 400 OperationOutcomeError naming the problem. */
export function parseJsonBody(text: string, limits: JsonLimits): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? `: ${err.message}` : '';
    throw gatewayError('json-malformed', { en: `The body is not valid JSON${detail}`, fr: `Le corps de la requête n'est pas un JSON valide${detail}` });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw gatewayError('json-not-object', { en: 'The body must be a JSON object (a FHIR resource)', fr: 'Le corps de la requête doit être un objet JSON (une ressource FHIR)' });
  }
  const root = (value as { resourceType?: unknown }).resourceType;
  checkShape(value as Record<string, unknown>, limits, typeof root === 'string' && /^[A-Za-z]{1,64}$/.test(root) ? root : '$');
  return value as Record<string, unknown>;
}

/** Walks the value once: depth and forbidden keys. Arrays and objects both count as a level. */
function checkShape(root: object, { maxDepth, maxArrayLength }: JsonLimits, rootName: string): void {
  const stack: Array<{ node: object; depth: number; path: string }> = [{ node: root, depth: 1, path: rootName }];
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (depth > maxDepth) {
      throw gatewayError('json-too-deep', { en: `The body is nested deeper than ${maxDepth} levels (at ${path})`, fr: `Le corps de la requête est imbriqué sur plus de ${maxDepth} niveaux (à ${path})` }, path);
    }
    const isArray = Array.isArray(node);
    if (isArray && node.length > maxArrayLength) {
      throw gatewayError('json-array-too-long', { en: `An array holds ${node.length} elements, more than the limit of ${maxArrayLength} (at ${path})`, fr: `Un tableau contient ${node.length} éléments, au-delà de la limite de ${maxArrayLength} (à ${path})` }, path);
    }
    for (const key of Object.keys(node)) {
      if (!isArray && FORBIDDEN_KEYS.has(key)) {
        throw gatewayError('json-forbidden-key', { en: `The key "${key}" is not allowed in a request body (at ${path})`, fr: `La clé "${key}" n'est pas admise dans le corps d'une requête (à ${path})` }, `${path}.${key}`);
      }
      const child = (node as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') {
        stack.push({ node: child, depth: depth + 1, path: isArray ? `${path}[${key}]` : `${path}.${key}` });
      }
    }
  }
}
