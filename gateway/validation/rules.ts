/**
 * The catalogue of validation rule ids (docs/validation-rules.md; a test keeps the two in step). Every
 * issue the validation engine reports carries one of these ids, or the key of a FHIRPath invariant
 * (core R4 invariants listed in CORE_INVARIANTS, pack invariants from the published packs), with a
 * message in English or French.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/** Code system of the validation rule ids (OperationOutcome.issue.details.coding[1]). */
export const VALIDATION_RULE_SYSTEM = 'https://fhir.passerelle.sn/CodeSystem/validation-rule';

export type Language = 'en' | 'fr';

type IssueType = OperationOutcomeIssue['code'];
type Severity = 'fatal' | 'error' | 'warning' | 'information';
type Params = Readonly<Record<string, string | number>>;

interface RuleDefinition {
  readonly severity: Severity;
  readonly type: IssueType;
  readonly en: string;
  readonly fr: string;
}

/** The engine's structural rules; messages take {placeholders}. */
export const STRUCTURAL_RULES = {
  'fhir-resource-type': { severity: 'error', type: 'not-supported',
    en: '{value} is not a FHIR R4 resource type', fr: '{value} n\'est pas un type de ressource FHIR R4' },
  'fhir-version-mismatch': { severity: 'error', type: 'not-supported',
    en: 'This {type} looks like FHIR {version} ({elements}); Passerelle accepts FHIR R4 (4.0.1) only',
    fr: 'Ce {type} ressemble à du FHIR {version} ({elements}) ; Passerelle n\'accepte que FHIR R4 (4.0.1)' },
  'fhir-unknown-element': { severity: 'error', type: 'structure',
    en: 'Unknown element "{element}" in {type}', fr: 'Élément inconnu « {element} » dans {type}' },
  'fhir-cardinality-min': { severity: 'error', type: 'required',
    en: 'Missing required element "{element}" (at least {min}){profile}', fr: 'Élément obligatoire « {element} » absent (au moins {min}){profile}' },
  'fhir-cardinality-max': { severity: 'error', type: 'structure',
    en: '"{element}" holds {count} values; at most {max} allowed{profile}', fr: '« {element} » contient {count} valeurs ; {max} au plus sont permises{profile}' },
  'fhir-array-shape': { severity: 'error', type: 'structure',
    en: '"{element}" must be {shape}', fr: '« {element} » doit être {shape}' },
  'fhir-type': { severity: 'error', type: 'value',
    en: 'Invalid value: expected a FHIR {type}', fr: 'Valeur invalide : un {type} FHIR est attendu' },
  'fhir-format': { severity: 'error', type: 'value',
    en: 'Invalid {type} "{value}"{hint}', fr: '{type} invalide « {value} »{hint}' },
  'ele-1': { severity: 'error', type: 'structure',
    en: 'Empty element: every FHIR element must have a value or children (null, "", {} and [] are not allowed)',
    fr: 'Élément vide : tout élément FHIR doit avoir une valeur ou des enfants (null, "", {} et [] sont interdits)' },
  'ext-1': { severity: 'error', type: 'structure',
    en: 'An extension must have either extensions or a value[x], not both (and not neither)',
    fr: 'Une extension doit avoir soit des extensions, soit une valeur value[x], ni les deux ni aucune' },
  'fhir-choice-type': { severity: 'error', type: 'structure',
    en: '{element}[x] is given more than once or as a type that is not allowed here ({value}); allowed: {allowed}',
    fr: '{element}[x] est donné plusieurs fois ou sous un type non permis ici ({value}) ; types permis : {allowed}' },
  'fhir-primitive-extension': { severity: 'error', type: 'structure',
    en: '"_{element}" must be {shape}', fr: '« _{element} » doit être {shape}' },
  'fhir-binding-required': { severity: 'error', type: 'code-invalid',
    en: '{value} is not in the value set {valueSet} (required binding)',
    fr: '{value} n\'appartient pas au jeu de valeurs {valueSet} (liaison obligatoire)' },
  'fhir-binding-extensible': { severity: 'warning', type: 'code-invalid',
    en: '{value} is not in the value set {valueSet} (extensible binding): use a code from it when one fits',
    fr: '{value} n\'appartient pas au jeu de valeurs {valueSet} (liaison extensible) : utilisez-en un code s\'il convient' },
  'fhir-reference-target': { severity: 'error', type: 'value',
    en: 'Reference to a {value} is not allowed here; allowed: {allowed}', fr: 'Une référence vers {value} n\'est pas permise ici ; permis : {allowed}' },
  'fhir-fixed-value': { severity: 'error', type: 'value',
    en: '"{element}" must be {expected} (profile {profile})', fr: '« {element} » doit valoir {expected} (profil {profile})' },
  'fhir-slice-unmatched': { severity: 'error', type: 'structure',
    en: 'This {element} matches none of the slices the profile {profile} allows ({allowed})',
    fr: 'Ce {element} ne correspond à aucune des tranches permises par le profil {profile} ({allowed})' },
  'fhir-profile-unknown': { severity: 'warning', type: 'not-supported',
    en: 'The profile {value} is not published by this gateway and was not checked',
    fr: 'Le profil {value} n\'est pas publié par cette passerelle et n\'a pas été vérifié' },
  'validation-issues-truncated': { severity: 'warning', type: 'too-costly',
    en: '{count} more issues were not listed', fr: '{count} autres problèmes n\'ont pas été listés' },
} as const satisfies Record<string, RuleDefinition>;

export type StructuralRule = keyof typeof STRUCTURAL_RULES;

/**
 * The core R4 invariants the engine evaluates (key → French text; the English is the definition's
 * own). ele-1 and ext-1 are checked natively (STRUCTURAL_RULES); best-practice and narrative (XHTML)
 * invariants are not evaluated.
 */
export const CORE_INVARIANTS: Readonly<Record<string, string>> = {
  'dom-2': 'Si la ressource est contenue dans une autre ressource, elle ne doit pas contenir de ressources imbriquées',
  'dom-3': 'Une ressource contenue doit être référencée depuis ailleurs dans la ressource ou référencer la ressource qui la contient',
  'dom-4': 'Une ressource contenue ne doit pas avoir de meta.versionId ni de meta.lastUpdated',
  'dom-5': 'Une ressource contenue ne doit pas porter d\'étiquettes de sécurité',
  'per-1': 'Si elle est présente, la date de début doit être antérieure ou égale à la date de fin',
  'qty-3': 'Si un code d\'unité est présent, le système doit l\'être aussi',
  'att-1': 'Si la pièce jointe contient des données, elle doit avoir un contentType',
  'rng-2': 'Si elles sont présentes, la borne basse doit être inférieure ou égale à la borne haute',
  'ref-1': 'Une référence locale (#id) doit désigner une ressource contenue',
  'cpt-2': 'Un système est obligatoire si une valeur est fournie',
  'org-1': 'L\'organisation doit avoir au moins un identifiant ou un nom',
  'pat-1': 'Un contact doit avoir un nom, un moyen de contact, une adresse ou une organisation',
  'ces-1': 'Il faut une catégorie ou un code de service (productOrService), mais pas les deux',
  'inv-1': 'Un paramètre doit avoir une valeur, une ressource ou des parties, exactement l\'un des trois',
  'bdl-1': 'total n\'est permis que dans un résultat de recherche ou un historique',
  'bdl-2': 'entry.search n\'est permis que dans un résultat de recherche',
  'bdl-3': 'entry.request est obligatoire dans un lot, une transaction ou un historique, et interdit ailleurs',
  'bdl-4': 'entry.response est obligatoire dans une réponse de lot, de transaction ou un historique, et interdite ailleurs',
  'bdl-5': 'Une entrée doit avoir une ressource, ou une requête ou une réponse',
  'bdl-7': 'fullUrl doit être unique dans le Bundle (sauf historique)',
  'bdl-8': 'fullUrl ne peut pas désigner une version (_history)',
  'bdl-9': 'Un document doit avoir un identifiant avec système et valeur',
  'bdl-10': 'Un document doit avoir une date (timestamp)',
  'bdl-11': 'Un document doit commencer par une Composition',
  'bdl-12': 'Un message doit commencer par un MessageHeader',
};

/**
 * French texts of core invariants whose key R4 gives to several elements with different rules (key →
 * element path → text); CORE_INVARIANTS holds the text of the first.
 */
export const CORE_INVARIANTS_BY_ELEMENT: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'inv-1': {
    'Task': 'La date de dernière modification (lastModified) doit être postérieure ou égale à la date de création (authoredOn)',
    'TestReport.setup.action': 'Une action de préparation doit contenir une opération ou une assertion, mais pas les deux',
  },
};

/** Severity and type of an invariant's issues. */
export function invariantIssueType(severity: Severity): IssueType {
  return severity === 'error' ? 'invariant' : 'business-rule';
}

/** Fills a rule's message in the given language. */
export function ruleMessage(rule: StructuralRule, language: Language, params: Params = {}): string {
  const template = STRUCTURAL_RULES[rule][language];
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? ''));
}

/** Picks the language from an Accept-Language header (French when it is preferred, English otherwise). */
export function languageOf(acceptLanguage: string | undefined, fallback: Language = 'en'): Language {
  if (!acceptLanguage) return fallback;
  let best: { lang: Language; q: number } | undefined;
  for (const part of acceptLanguage.split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? 1);
    const lang: Language | undefined = tag?.startsWith('fr') ? 'fr' : tag?.startsWith('en') ? 'en' : undefined;
    if (lang && Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? fallback;
}
