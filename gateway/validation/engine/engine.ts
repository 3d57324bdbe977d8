/**
 * The validation engine: FHIR R4 conformance of a resource (structure, cardinalities, data types and
 * formats, choice types, primitive extensions, required bindings, the core invariants listed in
 * CORE_INVARIANTS), then the profiles that apply to it, for the resource and every resource inside
 * it (Bundle entries, contained resources, Parameters). StructureDefinitions are compiled once into
 * element trees; a profile is reduced to what it adds to its base type, so checking it costs only
 * the elements it constrains. Every issue is reported, with its rule id and FHIRPath location.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { GATEWAY_ERROR_SYSTEM } from '../../fhir/outcomes.js';
import { CORE_INVARIANTS, CORE_INVARIANTS_BY_ELEMENT, STRUCTURAL_RULES, VALIDATION_RULE_SYSTEM, invariantIssueType, ruleMessage, type Language, type StructuralRule } from '../rules.js';
import { PRIMITIVE_TYPES, compileStructure, realDate, type CompiledStructure, type ElementNode } from './compile.js';
import { compareVersions, type CoreDefinitions, type StructureDefinitionLite, type Terminology } from './definitions.js';
import { compileInvariant, type CompiledInvariant } from './invariants.js';
import { ValueSetIndex } from './terminology.js';
import { versionHallmarks } from './version-hallmarks.js';

type Json = Record<string, unknown>;

/** At most this many issues per validation: every issue up to here, then one saying more were left out. */
export const MAX_ISSUES = 200;

/** How a validation is run. */
export interface ValidateOptions {
  readonly language?: Language;
  /** FHIRPath of the resource's root (default: its resourceType). */
  readonly expression?: string;
  /** Canonical urls (url or url|version) of profiles the root resource must meet. */
  readonly profiles?: readonly string[];
  /** Profiles that apply to every resource of a type, at any depth (e.g. the packs in force). */
  readonly profilesFor?: (resourceType: string, resource: Readonly<Record<string, unknown>>) => readonly string[];
}

/** Published conformance resources added to the core (the profile packs). */
export interface EngineSources {
  readonly structures: readonly StructureDefinitionLite[];
  readonly terminologies: readonly Terminology[];
  /** French texts of invariants, by key. */
  readonly frenchMessages: ReadonlyMap<string, string>;
}

/** What a profile adds to an element of its base type. */
interface ProfileChecks {
  min?: number;
  max?: number;
  fixed?: unknown;
  pattern?: unknown;
  binding?: { readonly strength: string; readonly valueSet: string };
  allowedTypes?: ReadonlySet<string>;
  targetTypes?: readonly string[];
  extensionProfiles?: readonly string[];
  invariants: CompiledInvariant[];
  /** Whether this element or anything below it has a check. */
  active: boolean;
}

interface Profile {
  readonly structure: CompiledStructure;
  readonly checks: Map<ElementNode, ProfileChecks>;
}

interface Walk {
  readonly issues: OperationOutcomeIssue[];
  readonly language: Language;
  readonly profilesFor?: (resourceType: string, resource: Readonly<Record<string, unknown>>) => readonly string[];
  omitted: number;
  /**
   * An element holds more values than it may: the resource is refused, and FHIRPath invariants are no
   * longer evaluated, whose cost grows with those values (a 10,000-item claim would cost seconds).
   */
  oversized: boolean;
  resource: Json;
  rootResource: Json;
  /** What native invariant evaluators work out once per validation (e.g. the sequences of a claim's items). */
  readonly memo: Map<unknown, unknown>;
  /** fullUrl → resourceType of the entries of the Bundle being walked. */
  bundleTypes?: Map<string, string>;
}

const ANY_RESOURCE = 'http://hl7.org/fhir/StructureDefinition/Resource';
const CORE_PREFIX = 'http://hl7.org/fhir/StructureDefinition/';

/** Validates resources against the R4 core and published profiles. */
export class ValidationEngine {
  private readonly structures = new Map<string, StructureDefinitionLite>();
  private readonly compiled = new Map<StructureDefinitionLite, CompiledStructure>();
  private readonly byUrl = new Map<string, CompiledStructure | null>();
  private readonly profiles = new Map<StructureDefinitionLite, Profile>();
  private readonly coreInvariants = new Map<ElementNode, CompiledInvariant[]>();
  private readonly regexes = new Map<string, RegExp | null>();
  private readonly valueSets: ValueSetIndex;
  private readonly french: Map<string, string>;

  constructor(core: CoreDefinitions, sources: EngineSources = { structures: [], terminologies: [], frenchMessages: new Map() }) {
    for (const sd of core.structures.values()) this.structures.set(sd.url, sd);
    for (const sd of sources.structures) {
      this.structures.set(`${sd.url}|${sd.version ?? ''}`, sd);
      const latest = this.structures.get(sd.url);
      if (!latest || compareVersions(sd.version, latest.version) > 0) this.structures.set(sd.url, sd);
    }
    this.valueSets = new ValueSetIndex([...sources.terminologies, core]);
    this.french = new Map([...Object.entries(CORE_INVARIANTS), ...sources.frenchMessages]);
  }

  /** True when the gateway knows this resource type. */
  knowsResourceType(type: unknown): boolean {
    if (typeof type !== 'string') return false;
    const sd = this.structures.get(CORE_PREFIX + type);
    return sd?.kind === 'resource' && !sd.abstract;
  }

  /** The published profile for a canonical (url or url|version), if any. */
  profile(canonical: string): StructureDefinitionLite | undefined {
    const sd = this.structures.get(canonical) ?? this.structures.get(canonical.replace(/\|$/, ''));
    return sd?.derivation === 'constraint' ? sd : undefined;
  }

  /** Compiles everything a resource type needs now rather than on its first request. */
  warm(types: readonly string[], profiles: readonly string[] = []): void {
    for (const type of types) this.structure(CORE_PREFIX + type);
    for (const canonical of profiles) {
      const sd = this.profile(canonical);
      if (sd) this.profileOf(sd);
    }
  }

  /** Every issue of a resource, its nested resources, and the profiles that apply. */
  validate(resource: unknown, options: ValidateOptions = {}): OperationOutcomeIssue[] {
    const root = isObject(resource) ? resource : {};
    const walk: Walk = { issues: [], language: options.language ?? 'en', profilesFor: options.profilesFor, omitted: 0, oversized: false, resource: root, rootResource: root, memo: new Map() };
    const expression = options.expression ?? (typeof root.resourceType === 'string' ? root.resourceType : 'Resource');
    if (!isObject(resource)) this.report(walk, 'fhir-type', expression, { type: 'Resource' });
    else this.visitResource(walk, resource, expression, options.profiles ?? []);
    if (walk.omitted > 0) this.report(walk, 'validation-issues-truncated', expression, { count: walk.omitted }, true);
    return walk.issues;
  }

  // ---- core pass ---------------------------------------------------------------------------------

  private visitResource(walk: Walk, resource: Json, path: string, explicitProfiles: readonly string[]): void {
    const type = resource.resourceType;
    if (!this.knowsResourceType(type)) {
      const hallmark = typeof type === 'string' ? versionHallmarks(type, []) : undefined;
      if (hallmark) this.report(walk, 'fhir-version-mismatch', `${path}.resourceType`, { type: type as string, version: hallmark.version, elements: hallmark.elements.join(', ') });
      else this.report(walk, 'fhir-resource-type', `${path}.resourceType`, { value: typeof type === 'string' ? `"${type.slice(0, 64)}"` : 'A resource without resourceType' });
      return;
    }
    const outer = { resource: walk.resource, rootResource: walk.rootResource, bundleTypes: walk.bundleTypes };
    walk.resource = resource;
    // %rootResource is the container of a contained resource; any other resource is its own root.
    if (!/\.contained\[\d+\]$/.test(path)) walk.rootResource = resource;
    if (type === 'Bundle') walk.bundleTypes = bundleTypes(resource);
    const structure = this.structure(CORE_PREFIX + (type as string))!;
    const unknown: string[] = [];
    this.visitObject(walk, resource, structure.root, structure, path, unknown);
    this.evaluate(walk, resource, this.invariantsOfCore(structure.root, type as string), path);
    if (unknown.length > 0) {
      const hallmark = versionHallmarks(type as string, unknown);
      if (hallmark) this.report(walk, 'fhir-version-mismatch', path, { type: type as string, version: hallmark.version, elements: hallmark.elements.join(', ') });
    }
    this.applyProfiles(walk, resource, path, type as string, explicitProfiles);
    walk.resource = outer.resource;
    walk.rootResource = outer.rootResource;
    walk.bundleTypes = outer.bundleTypes;
  }

  private applyProfiles(walk: Walk, resource: Json, path: string, type: string, explicit: readonly string[]): void {
    const declared = Array.isArray((resource.meta as Json | undefined)?.profile) ? ((resource.meta as Json).profile as unknown[]).filter((p): p is string => typeof p === 'string') : [];
    const wanted = [...new Set([...explicit, ...(walk.profilesFor?.(type, resource) ?? []), ...declared])];
    const applied = new Set<StructureDefinitionLite>();
    for (const canonical of wanted) {
      const sd = this.profile(canonical);
      if (sd && applied.has(sd)) continue; // the same profile named twice (url and url|version) is checked once
      if (sd) applied.add(sd);
      if (!sd) {
        const explicitlyAsked = explicit.includes(canonical);
        this.report(walk, 'fhir-profile-unknown', path, { value: canonical }, false, explicitlyAsked ? 'error' : 'information');
        continue;
      }
      if (sd.type !== type) {
        this.report(walk, 'fhir-profile-unknown', path, { value: `${canonical} (${sd.type}, not ${type})` }, false, 'error');
        continue;
      }
      const profile = this.profileOf(sd);
      this.walkProfile(walk, resource, profile.structure.root, profile, path);
    }
  }

  private visitObject(walk: Walk, obj: Json, node: ElementNode, structure: CompiledStructure, path: string, unknown?: string[], type?: string): void {
    const owner = this.childrenOwner(node, structure, type);
    const isResourceRoot = node === structure.root && structure.sd.kind === 'resource';
    const seenChoices = new Map<ElementNode, string[]>();
    for (const key of Object.keys(obj)) {
      if (isResourceRoot && key === 'resourceType') continue;
      if (key.startsWith('_')) {
        this.visitPrimitiveExtension(walk, obj, key, owner.node, path);
        continue;
      }
      const entry = owner.node.keys.get(key);
      if (!entry) {
        this.report(walk, 'fhir-unknown-element', `${path}.${key}`, { element: key, type: node.def.path });
        unknown?.push(key);
        continue;
      }
      if (entry.node.name.endsWith('[x]')) {
        const keys = seenChoices.get(entry.node) ?? [];
        keys.push(key);
        seenChoices.set(entry.node, keys);
      }
      this.visitElement(walk, obj, key, entry.node, entry.type, owner.structure, path);
    }
    for (const [choice, keys] of seenChoices) {
      if (keys.length > 1) {
        this.report(walk, 'fhir-choice-type', `${path}.${keys[1]}`, { element: choice.name.slice(0, -3), value: keys.join(', '), allowed: '1' });
      }
    }
    for (const child of owner.node.children) {
      if (child.min > 0 && !present(obj, child)) {
        this.report(walk, 'fhir-cardinality-min', `${path}.${child.name.replace('[x]', '')}`, { element: child.name, min: child.min });
      }
    }
  }

  /** Elements of a backbone element are in the snapshot; those of a data type in the type's own definition. */
  private childrenOwner(node: ElementNode, structure: CompiledStructure, selectedType?: string): { node: ElementNode; structure: CompiledStructure } {
    if (node.children.length > 0 || node === structure.root) return { node, structure };
    if (node.def.contentReference) {
      const target = structure.byId.get(node.def.contentReference.slice(node.def.contentReference.indexOf('#') + 1));
      if (target) return { node: target, structure };
    }
    const type = selectedType ?? node.def.types[0]?.code; // a choice element's type is the one its JSON name selects
    const typeStructure = type ? this.structure(CORE_PREFIX + type) : undefined;
    return typeStructure ? { node: typeStructure.root, structure: typeStructure } : { node, structure };
  }

  private visitElement(walk: Walk, obj: Json, key: string, node: ElementNode, type: string, structure: CompiledStructure, path: string): void {
    const value = obj[key];
    const at = `${path}.${key}`;
    if (node.isArray) {
      if (!Array.isArray(value)) {
        this.report(walk, 'fhir-array-shape', at, { element: key, shape: this.say(walk, 'a JSON array', 'un tableau JSON') });
        return;
      }
      if (value.length === 0) {
        this.report(walk, 'ele-1', at);
        return;
      }
      if (value.length > node.max) {
        this.report(walk, 'fhir-cardinality-max', at, { element: key, count: value.length, max: node.max });
        walk.oversized = true;
      }
      const extensions = obj[`_${key}`];
      value.forEach((item, i) => {
        if (item === null && Array.isArray(extensions) && isObject(extensions[i])) return;
        this.visitValue(walk, item, node, type, structure, `${at}[${i}]`);
      });
      return;
    }
    if (Array.isArray(value)) {
      this.report(walk, 'fhir-array-shape', at, { element: key, shape: this.say(walk, 'a single value, not an array', 'une valeur unique, pas un tableau') });
      return;
    }
    if (value === null && isObject(obj[`_${key}`])) return;
    this.visitValue(walk, value, node, type, structure, at);
  }

  private visitValue(walk: Walk, value: unknown, node: ElementNode, type: string, structure: CompiledStructure, path: string): void {
    if (value === null || value === '' || (isObject(value) && Object.keys(value).length === 0)) {
      this.report(walk, 'ele-1', path);
      return;
    }
    if (PRIMITIVE_TYPES.has(type)) {
      if (this.checkPrimitive(walk, value, type, path)) this.checkBinding(walk, value, type, node.def.binding, path, false);
      return;
    }
    if (!isObject(value)) {
      this.report(walk, 'fhir-type', path, { type });
      return;
    }
    if (type === 'Resource' || type === 'DomainResource') {
      this.visitResource(walk, value, path, []);
      return;
    }
    this.visitObject(walk, value, node, structure, path, undefined, type);
    if (type === 'Extension' && ('extension' in value) === Object.keys(value).some((k) => k.startsWith('value'))) {
      this.report(walk, 'ext-1', path);
    }
    this.checkBinding(walk, value, type, node.def.binding, path, false);
    if (type === 'Reference') this.checkReferenceTarget(walk, value, node.def.types.find((t) => t.code === 'Reference')?.targetProfile, path);
    this.evaluate(walk, value, this.invariantsOfCore(node, type), path);
  }

  private visitPrimitiveExtension(walk: Walk, obj: Json, key: string, node: ElementNode, path: string): void {
    const name = key.slice(1);
    const entry = node.keys.get(name);
    const at = `${path}.${key}`;
    if (!entry || !PRIMITIVE_TYPES.has(entry.type)) {
      this.report(walk, 'fhir-unknown-element', at, { element: key, type: node.def.path });
      return;
    }
    const element = this.structure(CORE_PREFIX + 'Element')!;
    const value = obj[key];
    const base = obj[name];
    const check = (item: unknown, itemPath: string) => {
      if (!isObject(item) || Object.keys(item).length === 0) {
        this.report(walk, 'fhir-primitive-extension', itemPath, { element: name, shape: this.say(walk, 'an object with id or extension', 'un objet avec id ou extension') });
        return;
      }
      this.visitObject(walk, item, element.root, element, itemPath);
    };
    if (entry.node.isArray) {
      if (!Array.isArray(value) || (Array.isArray(base) && base.length !== value.length)) {
        this.report(walk, 'fhir-primitive-extension', at, { element: name, shape: this.say(walk, 'an array as long as its values, with null where a value has no extension', 'un tableau de même longueur que les valeurs, avec null là où une valeur n\'a pas d\'extension') });
        return;
      }
      value.forEach((item, i) => {
        if (item === null) {
          if (!Array.isArray(base) || base[i] === null || base[i] === undefined) this.report(walk, 'ele-1', `${at}[${i}]`);
          return;
        }
        check(item, `${at}[${i}]`);
      });
      return;
    }
    check(value, at);
  }

  private checkPrimitive(walk: Walk, value: unknown, type: string, path: string): boolean {
    switch (type) {
      case 'boolean':
        if (typeof value !== 'boolean') return this.fail(walk, 'fhir-type', path, { type });
        return true;
      case 'integer': case 'positiveInt': case 'unsignedInt': {
        if (typeof value !== 'number' || !Number.isInteger(value)) return this.fail(walk, 'fhir-type', path, { type });
        const low = type === 'positiveInt' ? 1 : type === 'unsignedInt' ? 0 : -2147483648;
        if (value < low || value > 2147483647) return this.fail(walk, 'fhir-format', path, { type, value: String(value), hint: this.hint(walk, type) });
        return true;
      }
      case 'decimal':
        if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(walk, 'fhir-type', path, { type });
        return true;
      default: {
        if (typeof value !== 'string') return this.fail(walk, 'fhir-type', path, { type });
        const regex = this.regex(type);
        if ((regex && !regex.test(value)) || (DATE_TYPES.has(type) && !realDate(value))) {
          return this.fail(walk, 'fhir-format', path, { type, value: value.slice(0, 80), hint: this.hint(walk, type) });
        }
        if (type !== 'xhtml' && value.trim() === '') return this.fail(walk, 'ele-1', path);
        return true;
      }
    }
  }

  private regex(type: string): RegExp | null {
    if (!this.regexes.has(type)) {
      const source = this.structure(CORE_PREFIX + type)?.sd.elements.find((e) => e.path === `${type}.value`)?.regex;
      this.regexes.set(type, source ? new RegExp(`^(?:${source})$`, 'u') : null);
    }
    return this.regexes.get(type)!;
  }

  private checkBinding(walk: Walk, value: unknown, type: string, binding: ElementNode['def']['binding'], path: string, fromProfile: boolean, profileUrl?: string): void {
    if (!binding?.valueSet || (binding.strength !== 'required' && binding.strength !== 'extensible')) return;
    const expansion = this.valueSets.expand(binding.valueSet);
    if (!expansion) return;
    const vsName = binding.valueSet.split('|')[0]!;
    const rule: StructuralRule = binding.strength === 'required' ? 'fhir-binding-required' : 'fhir-binding-extensible';
    const params = (shown: string) => ({ value: shown, valueSet: profileUrl ? `${vsName} (${profileUrl})` : vsName });
    if (type === 'code' || type === 'string' || type === 'uri') {
      if (typeof value === 'string' && !expansion.codes.has(value)) this.report(walk, rule, path, params(`"${value.slice(0, 64)}"`));
      return;
    }
    const codings = type === 'Coding' ? [value] : type === 'CodeableConcept' ? ((value as Json).coding as unknown[] | undefined) ?? [] : type === 'Quantity' ? [value] : undefined;
    if (!codings) return;
    const members = codings.filter(isObject).map((c) => ({ system: c.system, code: c.code }));
    const matched = members.some((c) => typeof c.system === 'string' && typeof c.code === 'string' && expansion.members.has(`${c.system}|${c.code}`));
    if (matched) return;
    if (binding.strength === 'extensible' && !fromProfile && !members.some((c) => typeof c.system === 'string' && expansion.systems.has(c.system))) return;
    const shown = members.length > 0 ? members.map((c) => `${String(c.system ?? '(no system)')}|${String(c.code ?? '(no code)')}`).join(', ') : this.say(walk, 'A concept without a coding', 'Un concept sans code');
    this.report(walk, rule, path, params(shown));
  }

  private checkReferenceTarget(walk: Walk, value: Json, targets: readonly string[] | undefined, path: string): void {
    if (!targets || targets.length === 0 || targets.includes(ANY_RESOURCE)) return;
    const targetType = this.referencedType(walk, value);
    if (!targetType) return;
    const allowed = targets.map((t) => this.structures.get(t)?.type ?? t.slice(t.lastIndexOf('/') + 1));
    if (!allowed.includes(targetType) && !allowed.includes('Resource')) {
      this.report(walk, 'fhir-reference-target', path, { value: targetType, allowed: allowed.join(', ') });
    }
  }

  private referencedType(walk: Walk, value: Json): string | undefined {
    const reference = value.reference;
    if (typeof reference === 'string') {
      if (reference.startsWith('#')) {
        const contained = walk.resource.contained;
        const found = Array.isArray(contained) ? contained.find((c) => isObject(c) && c.id === reference.slice(1)) : undefined;
        return isObject(found) && typeof found.resourceType === 'string' ? found.resourceType : undefined;
      }
      if (walk.bundleTypes?.has(reference)) return walk.bundleTypes.get(reference);
      const match = /(?:^|\/)([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(reference);
      if (match && this.knowsResourceType(match[1])) return match[1];
    }
    return typeof value.type === 'string' && this.knowsResourceType(value.type) ? value.type : undefined;
  }

  private invariantsOfCore(node: ElementNode, type: string): CompiledInvariant[] {
    let found = this.coreInvariants.get(node);
    if (!found) {
      found = [];
      const typeRoot = this.structure(CORE_PREFIX + type);
      const sources: Array<[ElementNode, string]> = [[node, node.def.path]];
      // An element defined by reference to another (Parameters.parameter.part → #Parameters.parameter) has its invariants.
      const reference = node.def.contentReference;
      const referenced = reference ? this.structure(CORE_PREFIX + node.def.path.split('.')[0])?.byId.get(reference.slice(reference.indexOf('#') + 1)) : undefined;
      if (referenced) sources.push([referenced, referenced.def.path]);
      if (typeRoot && typeRoot.root !== node) sources.push([typeRoot.root, type]);
      for (const [source, base] of sources) {
        for (const c of source.def.constraints) {
          if (!Object.hasOwn(CORE_INVARIANTS, c.key) || !c.expression || found.some((f) => f.key === c.key)) continue;
          found.push(compileInvariant({ key: c.key, severity: c.severity, human: c.human, expression: c.expression }, base));
        }
      }
      this.coreInvariants.set(node, found);
    }
    return found;
  }

  private evaluate(walk: Walk, instance: unknown, invariants: readonly CompiledInvariant[], path: string, profileUrl?: string): void {
    if (walk.oversized) return;
    for (const invariant of invariants) {
      if (this.holds(walk, invariant, instance)) continue;
      const message = walk.language === 'fr'
        ? (CORE_INVARIANTS_BY_ELEMENT[invariant.key]?.[invariant.path] ?? this.french.get(invariant.key) ?? invariant.human)
        : invariant.human;
      this.push(walk, {
        severity: invariant.severity,
        code: invariantIssueType(invariant.severity),
        details: { coding: [{ system: GATEWAY_ERROR_SYSTEM, code: 'validation' }, { system: VALIDATION_RULE_SYSTEM, code: invariant.key }], text: message },
        diagnostics: profileUrl ? `${message} [${invariant.key}: ${invariant.expression}] (${profileUrl})` : `${message} [${invariant.key}: ${invariant.expression}]`,
        expression: [path],
      });
    }
  }

  /**
   * Whether an invariant holds. FHIRPath may throw on data the structural checks already rejected (a
   * date that is not a date): the resource is refused anyway, so the invariant is not judged. On data
   * with no error reported, a throw is a validator crash and propagates (a 500, never a pass).
   */
  private holds(walk: Walk, invariant: CompiledInvariant, instance: unknown): boolean {
    try {
      return invariant.holds(instance, walk.resource, walk.rootResource, walk.memo);
    } catch (err) {
      if (walk.issues.some((i) => i.severity === 'error')) return true;
      throw err;
    }
  }

  // ---- profile pass --------------------------------------------------------------------------------

  private walkProfile(walk: Walk, obj: Json, node: ElementNode, profile: Profile, path: string): void {
    const checks = profile.checks.get(node);
    if (!checks?.active) return;
    for (const child of node.children) {
      const childChecks = profile.checks.get(child);
      if (!childChecks?.active) continue;
      const values = valuesOf(obj, child, path);
      if (childChecks.allowedTypes) {
        for (const v of values) {
          if (!childChecks.allowedTypes.has(v.type)) {
            this.report(walk, 'fhir-choice-type', v.path, { element: child.name.slice(0, -3), value: v.key, allowed: [...childChecks.allowedTypes].join(', ') });
          }
        }
      }
      this.checkCount(walk, values.length, childChecks, child.name, `${path}.${child.name.replace('[x]', '')}`, profile);
      if (child.slices.length > 0) this.checkSlices(walk, values, child, profile, path);
      for (const v of values) this.checkProfileValue(walk, v.value, v.type, child, childChecks, profile, v.path);
    }
    // The root's invariants come last, once the cardinalities that bound their cost are known.
    if (node === profile.structure.root) this.evaluate(walk, obj, checks.invariants, path, profile.structure.sd.url);
  }

  private checkProfileValue(walk: Walk, value: unknown, type: string, node: ElementNode, checks: ProfileChecks, profile: Profile, path: string): void {
    const url = profile.structure.sd.url;
    if (checks.fixed !== undefined && !deepEqual(value, checks.fixed)) {
      this.report(walk, 'fhir-fixed-value', path, { element: node.name, expected: JSON.stringify(checks.fixed).slice(0, 200), profile: url });
    }
    if (checks.pattern !== undefined && !matchesPattern(value, checks.pattern)) {
      this.report(walk, 'fhir-fixed-value', path, { element: node.name, expected: JSON.stringify(checks.pattern).slice(0, 200), profile: url });
    }
    if (checks.binding) this.checkBinding(walk, value, type, checks.binding, path, true, url);
    if (checks.targetTypes && isObject(value)) {
      const target = this.referencedType(walk, value);
      if (target && !checks.targetTypes.includes(target)) this.report(walk, 'fhir-reference-target', path, { value: target, allowed: checks.targetTypes.join(', ') });
    }
    if (checks.invariants.length > 0) this.evaluate(walk, value, checks.invariants, path, url);
    if (checks.extensionProfiles && isObject(value)) {
      for (const canonical of checks.extensionProfiles) {
        const sd = this.profile(canonical);
        if (sd) this.walkProfile(walk, value, this.profileOf(sd).structure.root, this.profileOf(sd), path);
      }
    }
    if (isObject(value) && node.children.length > 0) this.walkProfile(walk, value, node, profile, path);
  }

  private checkCount(walk: Walk, count: number, checks: ProfileChecks, name: string, path: string, profile: Profile): void {
    const by = this.say(walk, ` by the profile ${profile.structure.sd.url}`, ` selon le profil ${profile.structure.sd.url}`);
    if (checks.min !== undefined && count < checks.min) this.report(walk, 'fhir-cardinality-min', path, { element: name, min: checks.min, profile: by });
    if (checks.max !== undefined && count > checks.max) {
      this.report(walk, 'fhir-cardinality-max', path, { element: name, count, max: checks.max, profile: by });
      walk.oversized = true;
    }
  }

  private checkSlices(walk: Walk, values: ElementValue[], node: ElementNode, profile: Profile, path: string): void {
    const matched = new Map<ElementNode, ElementValue[]>(node.slices.map((s) => [s, []]));
    const unmatched: ElementValue[] = [];
    for (const v of values) {
      const slice = node.slices.find((s) => this.inSlice(v.value, s, node));
      if (slice) matched.get(slice)!.push(v);
      else unmatched.push(v);
    }
    for (const [slice, members] of matched) {
      const checks = profile.checks.get(slice)!;
      this.checkCount(walk, members.length, checks, `${node.name}:${slice.def.sliceName}`, `${path}.${node.name}`, profile);
      for (const m of members) this.checkProfileValue(walk, m.value, m.type, slice, checks, profile, m.path);
    }
    if (node.def.slicing?.rules === 'closed') {
      for (const v of unmatched) {
        this.report(walk, 'fhir-slice-unmatched', v.path, { element: node.name, profile: profile.structure.sd.url, allowed: node.slices.map((s) => s.def.sliceName).join(', ') });
      }
    }
  }

  /** Whether a value belongs to a slice, by the slicing's value/pattern/exists discriminators (extensions by url). */
  private inSlice(value: unknown, slice: ElementNode, sliced: ElementNode): boolean {
    if (!isObject(value)) return false;
    const discriminators = sliced.def.slicing?.discriminator ?? [];
    if (discriminators.length === 0) return false;
    return discriminators.every((d) => {
      if (d.path === 'url' && slice.def.types[0]?.code === 'Extension' && slice.def.types[0].profile?.length) {
        return slice.def.types[0].profile.some((p) => p.split('|')[0] === value.url);
      }
      const expected = expectedAt(slice, d.path);
      const actual = d.path === '$this' ? value : valueAtPath(value, d.path);
      if (d.type === 'exists') return (actual !== undefined) === (expected !== false);
      if (expected === undefined) return false;
      return d.type === 'value' ? deepEqual(actual, expected) : matchesPattern(actual, expected);
    });
  }

  private profileOf(sd: StructureDefinitionLite): Profile {
    let profile = this.profiles.get(sd);
    if (!profile) {
      const structure = this.compile(sd);
      const base = this.structure(CORE_PREFIX + sd.type);
      if (!base) throw new Error(`Profile ${sd.url} constrains unknown type ${sd.type}`);
      const checks = new Map<ElementNode, ProfileChecks>();
      this.profileChecks(structure.root, structure, base, checks);
      profile = { structure, checks };
      this.profiles.set(sd, profile);
    }
    return profile;
  }

  private profileChecks(node: ElementNode, structure: CompiledStructure, base: CompiledStructure, out: Map<ElementNode, ProfileChecks>): ProfileChecks {
    const core = this.coreElementAt(base, node.def.path);
    const def = node.def;
    const checks: ProfileChecks = { invariants: [], active: false };
    const coreMin = def.sliceName ? 0 : (core?.min ?? 0);
    const coreMax = def.sliceName ? Infinity : (core?.max ?? Infinity);
    if (node.min > coreMin) checks.min = node.min;
    if (node.max < coreMax) checks.max = node.max;
    if (def.fixed !== undefined && !deepEqual(def.fixed, core?.def.fixed)) checks.fixed = def.fixed;
    if (def.pattern !== undefined && !deepEqual(def.pattern, core?.def.pattern)) checks.pattern = def.pattern;
    const binding = def.binding;
    if (binding?.valueSet && (binding.strength === 'required' || binding.strength === 'extensible')
      && (binding.valueSet !== core?.def.binding?.valueSet || binding.strength !== core.def.binding.strength)) {
      checks.binding = { strength: binding.strength, valueSet: binding.valueSet };
    }
    if (node.name.endsWith('[x]') && core && def.types.length < core.def.types.length) checks.allowedTypes = new Set(def.types.map((t) => t.code));
    const targets = def.types.find((t) => t.code === 'Reference')?.targetProfile;
    const coreTargets = core?.def.types.find((t) => t.code === 'Reference')?.targetProfile;
    if (targets && JSON.stringify(targets) !== JSON.stringify(coreTargets)) {
      checks.targetTypes = targets.map((t) => this.structures.get(t.split('|')[0]!)?.type ?? t.slice(t.lastIndexOf('/') + 1));
    }
    const extensionProfiles = def.types.filter((t) => t.code === 'Extension').flatMap((t) => t.profile ?? []);
    if (def.sliceName && extensionProfiles.length > 0) checks.extensionProfiles = extensionProfiles;
    const coreKeys = new Set(core?.def.constraints.map((c) => c.key) ?? []);
    for (const c of def.constraints) {
      // A pack's own invariants are those it publishes a French text for (a test keeps packs complete);
      // constraints a snapshot inherits from the core are the core pass's business.
      if (coreKeys.has(c.key) || !c.expression || c.bestPractice || !this.isPackKey(c.key)) continue;
      checks.invariants.push(compileInvariant({ key: c.key, severity: c.severity, human: c.human, expression: c.expression }, def.path));
    }
    let active = checks.min !== undefined || checks.max !== undefined || checks.fixed !== undefined || checks.pattern !== undefined
      || !!checks.binding || !!checks.allowedTypes || !!checks.targetTypes || !!checks.extensionProfiles || checks.invariants.length > 0;
    for (const child of node.children) active = this.profileChecks(child, structure, base, out).active || active;
    for (const slice of node.slices) {
      this.profileChecks(slice, structure, base, out);
      active = true;
    }
    checks.active = active;
    out.set(node, checks);
    return checks;
  }

  private isPackKey(key: string): boolean {
    return this.french.has(key) && !Object.hasOwn(CORE_INVARIANTS, key);
  }

  /** The core element at a path, following data types: "Claim.item.net.value" → Money.value. */
  private coreElementAt(base: CompiledStructure, path: string): ElementNode | undefined {
    let structure = base;
    let node = base.root;
    for (const segment of path.split('.').slice(1)) {
      const owner = this.childrenOwner(node, structure);
      const next = owner.node.children.find((c) => c.name === segment);
      if (!next) return undefined;
      node = next;
      structure = owner.structure;
    }
    return node;
  }

  // ---- shared --------------------------------------------------------------------------------------

  private structure(url: string): CompiledStructure | undefined {
    const known = this.byUrl.get(url);
    if (known !== undefined) return known ?? undefined;
    const sd = this.structures.get(url);
    const compiled = sd ? this.compile(sd) : undefined;
    this.byUrl.set(url, compiled ?? null);
    return compiled;
  }

  private compile(sd: StructureDefinitionLite): CompiledStructure {
    let compiled = this.compiled.get(sd);
    if (!compiled) {
      compiled = compileStructure(sd);
      this.compiled.set(sd, compiled);
    }
    return compiled;
  }

  private say(walk: Walk, en: string, fr: string): string {
    return walk.language === 'fr' ? fr : en;
  }

  private hint(walk: Walk, type: string): string {
    const hints: Record<string, [string, string]> = {
      date: [': expected YYYY, YYYY-MM or YYYY-MM-DD', ' : attendu AAAA, AAAA-MM ou AAAA-MM-JJ'],
      dateTime: [': expected YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DDThh:mm:ss with a time zone (Z or +hh:mm) when a time is given',
        ' : attendu AAAA, AAAA-MM, AAAA-MM-JJ, ou AAAA-MM-JJThh:mm:ss avec un fuseau horaire (Z ou +hh:mm) quand une heure est donnée'],
      instant: [': expected YYYY-MM-DDThh:mm:ss with a time zone', ' : attendu AAAA-MM-JJThh:mm:ss avec un fuseau horaire'],
      id: [': 1 to 64 letters, digits, "-" or "."', ' : 1 à 64 lettres, chiffres, « - » ou « . »'],
      code: [': no leading, trailing or double spaces', ' : sans espace au début, à la fin ni double'],
      positiveInt: [': expected a whole number of at least 1', ' : un entier d\'au moins 1 est attendu'],
      unsignedInt: [': expected a whole number of at least 0', ' : un entier d\'au moins 0 est attendu'],
    };
    const hint = hints[type];
    return hint ? hint[walk.language === 'fr' ? 1 : 0] : '';
  }

  private fail(walk: Walk, rule: StructuralRule, path: string, params: Record<string, string | number> = {}): false {
    this.report(walk, rule, path, params);
    return false;
  }

  private report(walk: Walk, rule: StructuralRule, path: string, params: Record<string, string | number> = {}, force = false, severity?: 'error' | 'warning' | 'information'): void {
    const definition = STRUCTURAL_RULES[rule];
    const message = ruleMessage(rule, walk.language, params);
    this.push(walk, {
      severity: severity ?? definition.severity,
      code: definition.type,
      details: { coding: [{ system: GATEWAY_ERROR_SYSTEM, code: 'validation' }, { system: VALIDATION_RULE_SYSTEM, code: rule }], text: message },
      diagnostics: message,
      expression: [path],
    }, force);
  }

  private push(walk: Walk, issue: OperationOutcomeIssue, force = false): void {
    if (!force && walk.issues.length >= MAX_ISSUES) {
      walk.omitted++;
      return;
    }
    walk.issues.push(issue);
  }
}

const DATE_TYPES = new Set(['date', 'dateTime', 'instant']);


interface ElementValue {
  readonly value: unknown;
  readonly type: string;
  readonly key: string;
  readonly path: string;
}

/** The values of an element in an object, with their JSON keys, types and paths. */
function valuesOf(obj: Json, node: ElementNode, path: string): ElementValue[] {
  const out: ElementValue[] = [];
  const collect = (key: string, type: string) => {
    const value = obj[key] ?? (obj[`_${key}`] !== undefined ? null : undefined); // a primitive given only by its extensions counts
    if (value === undefined) return;
    if (Array.isArray(value)) value.forEach((v, i) => out.push({ value: v, type, key, path: `${path}.${key}[${i}]` }));
    else out.push({ value, type, key, path: `${path}.${key}` });
  };
  if (node.name.endsWith('[x]')) {
    const stem = node.name.slice(0, -3);
    for (const key of Object.keys(obj)) {
      if (key.startsWith(stem) && key.length > stem.length && /^[A-Z]/.test(key.slice(stem.length))) {
        const type = key.slice(stem.length);
        collect(key, PRIMITIVE_TYPES.has(type[0]!.toLowerCase() + type.slice(1)) ? type[0]!.toLowerCase() + type.slice(1) : type);
      }
    }
  } else {
    collect(node.name, node.def.types[0]?.code ?? 'BackboneElement');
  }
  return out;
}

function present(obj: Json, node: ElementNode): boolean {
  if (!node.name.endsWith('[x]')) return obj[node.name] !== undefined || obj[`_${node.name}`] !== undefined;
  const stem = node.name.slice(0, -3);
  return Object.keys(obj).some((k) => k.startsWith(stem) && /^[A-Z]/.test(k.slice(stem.length)));
}

function bundleTypes(bundle: Json): Map<string, string> {
  const types = new Map<string, string>();
  if (!Array.isArray(bundle.entry)) return types;
  for (const entry of bundle.entry) {
    if (isObject(entry) && typeof entry.fullUrl === 'string' && isObject(entry.resource) && typeof entry.resource.resourceType === 'string') {
      types.set(entry.fullUrl, entry.resource.resourceType);
      if (typeof entry.resource.id === 'string') types.set(`${entry.resource.resourceType}/${entry.resource.id}`, entry.resource.resourceType);
    }
  }
  return types;
}

/** The fixed or pattern value a slice sets at a discriminator path ("system", "type.coding.code"...). */
function expectedAt(slice: ElementNode, path: string): unknown {
  if (path === '$this') return slice.def.fixed ?? slice.def.pattern;
  const segments = path.split('.');
  let node: ElementNode | undefined = slice;
  for (let i = 0; i < segments.length; i++) {
    const child: ElementNode | undefined = node?.children.find((c) => c.name === segments[i]);
    if (!child) {
      const holder = node?.def.fixed ?? node?.def.pattern;
      return holder === undefined ? undefined : valueAtPath(holder, segments.slice(i).join('.'));
    }
    node = child;
  }
  return node?.def.fixed ?? node?.def.pattern;
}

function valueAtPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(current)) current = current[0];
    if (!isObject(current)) return undefined;
    current = current[segment];
  }
  return current;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** FHIR pattern matching: every property of the pattern is in the value; each pattern array item matches some item. */
function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) return Array.isArray(value) && pattern.every((p) => value.some((v) => matchesPattern(v, p)));
  if (isObject(pattern)) return isObject(value) && Object.entries(pattern).every(([k, p]) => matchesPattern(value[k], p));
  return value === pattern;
}
