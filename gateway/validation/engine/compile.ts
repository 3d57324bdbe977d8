/**
 * Compiles a StructureDefinition snapshot once into a tree the walker follows without searching:
 * each element knows its children, its slices, and the JSON property names it answers to (a choice
 * element value[x] answers to valueString, valueQuantity, ...).
 */
import type { ElementDefinitionLite, StructureDefinitionLite } from './definitions.js';

/** One element of a compiled structure. */
export interface ElementNode {
  readonly def: ElementDefinitionLite;
  /** Last segment of the path, e.g. "item" or "value[x]". */
  readonly name: string;
  /** Whether the element is a JSON array (its base cardinality repeats). */
  readonly isArray: boolean;
  readonly min: number;
  readonly max: number;
  readonly children: ElementNode[];
  readonly slices: ElementNode[];
  /** JSON property name → child element and the type that name selects. */
  readonly keys: Map<string, { readonly node: ElementNode; readonly type: string }>;
}

/** A compiled StructureDefinition. */
export interface CompiledStructure {
  readonly sd: StructureDefinitionLite;
  readonly root: ElementNode;
  readonly byId: ReadonlyMap<string, ElementNode>;
}

/** Compiles a snapshot into its element tree. */
export function compileStructure(sd: StructureDefinitionLite): CompiledStructure {
  const byId = new Map<string, ElementNode>();
  let root: ElementNode | undefined;
  for (const def of sd.elements) {
    const node: ElementNode = {
      def, name: def.path.slice(def.path.lastIndexOf('.') + 1),
      isArray: def.baseMax !== '1' && def.baseMax !== '0',
      min: def.min, max: def.max === '*' ? Infinity : Number(def.max),
      children: [], slices: [], keys: new Map(),
    };
    byId.set(def.id, node);
    const parentId = parentOf(def.id);
    if (parentId === undefined) {
      root ??= node;
      continue;
    }
    const parent = byId.get(parentId);
    if (!parent) continue; // an element whose parent the snapshot lacks: ignored, never guessed
    if (def.sliceName && parentId === def.id.slice(0, def.id.lastIndexOf(':'))) parent.slices.push(node);
    else parent.children.push(node);
  }
  if (!root) throw new Error(`StructureDefinition ${sd.url} has an empty snapshot`);
  for (const node of byId.values()) indexKeys(node);
  return { sd, root, byId };
}

/** The id of the parent element: "Claim.item:x.net" → "Claim.item:x"; a slice's parent is its sliced element. */
function parentOf(id: string): string | undefined {
  const lastDot = id.lastIndexOf('.');
  const lastColon = id.lastIndexOf(':');
  if (lastColon > lastDot) return id.slice(0, lastColon);
  return lastDot < 0 ? undefined : id.slice(0, lastDot);
}

function indexKeys(node: ElementNode): void {
  for (const child of node.children) {
    if (child.name.endsWith('[x]')) {
      const stem = child.name.slice(0, -3);
      for (const type of child.def.types) node.keys.set(stem + type.code[0]!.toUpperCase() + type.code.slice(1), { node: child, type: type.code });
    } else {
      node.keys.set(child.name, { node: child, type: child.def.types[0]?.code ?? 'BackboneElement' });
    }
  }
}

/** The FHIR types whose JSON value is not an object. */
/** The calendar day exists (the R4 regular expressions accept 1985-02-30); true for a value without a day. */
export function realDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value);
  if (!m) return true;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export const PRIMITIVE_TYPES = new Set([
  'base64Binary', 'boolean', 'canonical', 'code', 'date', 'dateTime', 'decimal', 'id', 'instant', 'integer', 'markdown', 'oid',
  'positiveInt', 'string', 'time', 'unsignedInt', 'uri', 'url', 'uuid', 'xhtml', 'integer64',
]);
