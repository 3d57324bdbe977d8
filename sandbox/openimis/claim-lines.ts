// Reading the items of an openIMIS Claim. openIMIS tells medical items (Medication) from medical
// services (ActivityDefinition) by the claim-item-reference extension, and checks that category.text
// agrees; every problem is reported with its own expression.
import type { ClaimItem, Extension, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { errorIssue } from '../outcomes.js';
import { CLAIM_ITEM_REFERENCE_URL } from './codes.js';

/** Medication lines are openIMIS "items", ActivityDefinition lines its "services". */
export type LineKind = 'item' | 'service';

/** One claimed line, as the rules need it. */
export interface ClaimLine {
  readonly kind: LineKind;
  /** Item or service code, matched against the insurer's excluded codes. */
  readonly code: string;
  readonly quantity: number;
  readonly unitPrice: number;
  /** The claim-item-reference extension as received, echoed on the ClaimResponse item. */
  readonly reference: Extension;
}

const KIND_BY_TYPE: Record<string, LineKind> = { Medication: 'item', ActivityDefinition: 'service' };

function referencedKind(extension: Extension): LineKind | undefined {
  const ref = extension.valueReference;
  const byType = ref?.type ? KIND_BY_TYPE[ref.type] : undefined;
  if (byType) {
    return byType;
  }
  const prefix = ref?.reference?.split('/')[0];
  return prefix ? KIND_BY_TYPE[prefix] : undefined;
}

/**
 * The line's code: productOrService.coding[].code, else productOrService.text, else the reference's
 * identifier.value, else the id in its `reference`.
 */
function lineCode(item: ClaimItem, extension: Extension): string | undefined {
  const candidates = [
    ...(item.productOrService?.coding ?? []).map((c) => c.code),
    item.productOrService?.text,
    extension.valueReference?.identifier?.value,
    extension.valueReference?.reference?.split('/')[1],
  ];
  return candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
}

function positiveNumber(value: unknown, allowZero: boolean): value is number {
  return typeof value === 'number' && Number.isFinite(value) && (allowZero ? value >= 0 : value > 0);
}

/** Reads one Claim.item; returns the line, or the problems found (all of them). */
export function readLine(item: ClaimItem, index: number): { line?: ClaimLine; issues: OperationOutcomeIssue[] } {
  const at = `Claim.item[${index}]`;
  const issues: OperationOutcomeIssue[] = [];
  const extension = (Array.isArray(item.extension) ? item.extension : []).find((e) => e?.url === CLAIM_ITEM_REFERENCE_URL);
  const kind = extension ? referencedKind(extension) : undefined;
  if (!extension?.valueReference) {
    issues.push(errorIssue('required', `Each item needs the extension ${CLAIM_ITEM_REFERENCE_URL} with a valueReference.`, `${at}.extension`));
  } else if (!kind) {
    issues.push(errorIssue('invalid', 'The item reference must be a Medication or an ActivityDefinition.', `${at}.extension.valueReference`));
  }
  const category = item.category?.text;
  if (kind && category !== kind) {
    issues.push(errorIssue('invalid', `category.text must be "${kind}" for a ${kind === 'item' ? 'Medication' : 'ActivityDefinition'}.`, `${at}.category`));
  } else if (!kind && category !== 'item' && category !== 'service') {
    issues.push(errorIssue('invalid', 'category.text must be "item" or "service".', `${at}.category`));
  }
  const quantity = item.quantity?.value;
  if (!positiveNumber(quantity, false)) {
    issues.push(errorIssue('invalid', 'quantity.value must be a number above 0.', `${at}.quantity`));
  }
  const unitPrice = item.unitPrice?.value;
  if (!positiveNumber(unitPrice, true)) {
    issues.push(errorIssue('invalid', 'unitPrice.value must be a number, 0 or more.', `${at}.unitPrice`));
  }
  const code = extension ? lineCode(item, extension) : undefined;
  if (kind && !code) {
    issues.push(errorIssue('required', 'The item needs a code: productOrService, or an identifier on its reference.', `${at}.productOrService`));
  }
  if (issues.length > 0 || !kind || !extension || !code || quantity === undefined || unitPrice === undefined) {
    return { issues };
  }
  return { line: { kind, code, quantity, unitPrice, reference: extension }, issues };
}
