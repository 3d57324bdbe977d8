/**
 * One field of an insurer's record from what its expression gave: translated through the code table,
 * converted to the field's type, checked for length and form. Whatever does not fit is a coded issue;
 * messages say what is wrong without quoting the value (it may be a member number or a diagnosis).
 */
import type { Bilingual } from '../../gateway/fhir/outcomes.js';
import type { MappingIssue } from '../adapter.js';
import type { CompiledField } from './compile-spec.js';
import type { FieldSpec } from './spec-schema.js';

/** A value of an insurer's record. */
export type FieldValue = string | number | boolean;

/** Where a field is evaluated, for issues: the element expression and how the message names it. */
export interface FieldSite {
  readonly insurerName: string;
  readonly expression: string;
  /** "memberNumber", or "actCode of Claim.item[1]". */
  readonly subject: string;
  /** The same in French ("actCode de Claim.item[1]"), when it differs. */
  readonly subjectFr?: string;
}

const TYPE_LABELS: Readonly<Record<FieldSpec['type'], Bilingual>> = {
  string: { en: 'text', fr: 'du texte' }, integer: { en: 'a whole number', fr: 'un nombre entier' }, decimal: { en: 'a number', fr: 'un nombre' },
  date: { en: 'a full date (YYYY-MM-DD)', fr: 'une date complète (AAAA-MM-JJ)' }, boolean: { en: 'true or false', fr: 'true ou false' },
};

/**
 * The field's value from what its expression gave (empty values ignored), or the issues that keep it
 * out. undefined with no issue: an optional field without a value. required: the spec's, or what its
 * requiredWhen condition gave.
 */
export function fieldValue(field: CompiledField, given: readonly unknown[], site: FieldSite, required = field.spec.required): { value?: FieldValue; issues: MappingIssue[] } {
  const spec = field.spec;
  const values = given.filter((v) => v !== null && v !== undefined && v !== '');
  const sujet = site.subjectFr ?? site.subject;
  const issue = (code: MappingIssue['code'], message: Bilingual) => ({ issues: [{ code, expression: site.expression, message }] });
  if (values.length === 0) {
    return required ? issue('mapping-required-missing', {
      en: `${site.insurerName} needs ${site.subject} and the claim gives none`,
      fr: `${site.insurerName} exige une valeur pour ${sujet}, que la demande ne donne pas`,
    }) : { issues: [] };
  }
  if (values.length > 1 && spec.join === undefined) {
    return issue('mapping-value-invalid', {
      en: `${site.subject} has ${values.length} values in the claim and ${site.insurerName} takes one`,
      fr: `${sujet} a ${values.length} valeurs dans la demande et ${site.insurerName} n'en prend qu'une`,
    });
  }
  const converted: FieldValue[] = [];
  for (const value of values) {
    if (value !== null && typeof value === 'object') {
      // The expression stops on an element instead of a value: the spec is wrong, not the claim.
      throw new Error(`mapping field ${spec.name}: its path gives an element (an object), not a value; end the path on a primitive`);
    }
    let translated: unknown = value;
    if (spec.codes) {
      const key = String(value);
      if (!Object.hasOwn(spec.codes, key)) {
        return issue('mapping-code-unmapped', {
          en: `${site.insurerName} has no equivalent for the code given for ${site.subject}: it is not in the mapping's code table`,
          fr: `${site.insurerName} n'a pas d'équivalent pour le code donné pour ${sujet} : il ne figure pas dans la table de codes de la correspondance`,
        });
      }
      translated = spec.codes[key];
    }
    const typed = convert(translated, spec.type);
    if (typed === undefined) return issue('mapping-value-invalid', {
      en: `${site.subject} is not ${TYPE_LABELS[spec.type].en} as ${site.insurerName} takes it`,
      fr: `${sujet} n'est pas ${TYPE_LABELS[spec.type].fr} comme l'attend ${site.insurerName}`,
    });
    converted.push(typed);
  }
  const value = spec.join === undefined ? converted[0]! : converted.map(String).join(spec.join);
  const text = String(value);
  if (spec.maxLength !== undefined && [...text].length > spec.maxLength) {
    return issue('mapping-value-invalid', {
      en: `${site.subject} is ${[...text].length} characters long, ${site.insurerName} takes at most ${spec.maxLength}`,
      fr: `${sujet} compte ${[...text].length} caractères, ${site.insurerName} en prend au plus ${spec.maxLength}`,
    });
  }
  if (field.pattern && !field.pattern.test(text)) {
    return issue('mapping-value-invalid', {
      en: `${site.subject} does not have the form ${site.insurerName} takes (${spec.pattern})`,
      fr: `${sujet} n'a pas la forme attendue par ${site.insurerName} (${spec.pattern})`,
    });
  }
  return { value, issues: [] };
}

/** A value converted to a field type; undefined when it is not one. */
export function convert(value: unknown, type: FieldSpec['type']): FieldValue | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    case 'integer': {
      const n = numberOf(value);
      return n !== undefined && Number.isSafeInteger(n) ? n : undefined;
    }
    case 'decimal':
      return numberOf(value);
    case 'date':
      // A dateTime keeps its date as written (its own time zone): the day the provider recorded.
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}(T|$)/.test(value) ? value.slice(0, 10) : undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return value === 'true' ? true : value === 'false' ? false : undefined;
  }
}

/** A finite number, from a number or a decimal string (what CSV files and FHIR decimals give). */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}
