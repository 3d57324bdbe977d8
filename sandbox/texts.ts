/**
 * The sandbox insurers' own words in both languages of the Senegalese deployment. A FHIR answer carries
 * the English text in the element and the French in the FHIR translation extension on it, the way the
 * gateway stores its own dispositions, so an integrator reading either language finds the insurer's
 * sentence. The sandbox stands for an insurer: it does not import the gateway's code.
 */
import type { Extension } from '@medplum/fhirtypes';

/** A sentence in English and in French. */
export interface Words {
  readonly en: string;
  readonly fr: string;
}

export const TRANSLATION_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/translation';

/** A string element in English, with its French in the translation extension: spread it into the resource. */
export function inBothLanguages<K extends string>(name: K, words: Words): Record<K, string> & Record<`_${K}`, { extension: Extension[] }> {
  const translation: Extension = { url: TRANSLATION_EXTENSION, extension: [{ url: 'lang', valueCode: 'fr' }, { url: 'content', valueString: words.fr }] };
  return { [name]: words.en, [`_${name}`]: { extension: [translation] } } as Record<K, string> & Record<`_${K}`, { extension: Extension[] }>;
}

