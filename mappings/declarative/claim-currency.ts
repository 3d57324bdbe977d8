/**
 * Amounts in the insurer's currency only. Mapped fields carry amounts as bare numbers, so a claim in
 * another currency would reach the insurer with its figures read as the insurer's own: it is an issue.
 */
import type { Claim } from '@medplum/fhirtypes';
import type { MappingIssue } from '../adapter.js';
import { acceptsPath } from '../claim-elements.js';

/** One issue per amount (Money) of an accepted element whose currency is not `currency`. */
export function currencyIssues(claim: Claim, currency: string, accepts: readonly string[], insurerName: string): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const visit = (node: unknown, path: string, expression: string): void => {
    if (Array.isArray(node)) {
      node.forEach((entry, i) => visit(entry, path, `${expression}[${i}]`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const money = node as { currency?: unknown };
    // Only Money has a currency among R4 data types.
    if (typeof money.currency === 'string' && money.currency !== currency && acceptsPath(path, accepts)) {
      issues.push({
        code: 'mapping-value-invalid', expression: `${expression}.currency`,
        message: {
          en: `${insurerName} takes amounts in ${currency} only; this amount is in ${/^[A-Z]{3}$/.test(money.currency) ? money.currency : 'another currency'}`,
          fr: `${insurerName} ne prend que des montants en ${currency} ; ce montant est en ${/^[A-Z]{3}$/.test(money.currency) ? money.currency : 'une autre devise'}`,
        },
      });
    }
    for (const [key, value] of Object.entries(node)) {
      if (key !== 'currency' && !key.startsWith('_')) visit(value, `${path}.${key}`, `${expression}.${key}`);
    }
  };
  visit(claim, 'Claim', 'Claim');
  return issues;
}
