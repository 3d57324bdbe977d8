/** Literal references to resources the gateway holds: `Type/{id}`, relative or absolute. */

const ID = '[A-Za-z0-9\\-.]{1,64}';

/** The id of a literal reference to a resource of this type (`Claim/{id}`, or an absolute URL ending so); undefined otherwise. */
export function referencedId(reference: unknown, type: string): string | undefined {
  if (typeof reference !== 'string') return undefined;
  return new RegExp(`(?:^|/)${type}/(${ID})$`).exec(reference)?.[1];
}

/** The type and id of a literal reference (`Type/{id}`, relative or absolute); undefined otherwise. */
export function typedReference(reference: unknown): { type: string; id: string } | undefined {
  if (typeof reference !== 'string') return undefined;
  const match = new RegExp(`(?:^|/)([A-Z][A-Za-z]{1,63})/(${ID})$`).exec(reference);
  return match ? { type: match[1]!, id: match[2]! } : undefined;
}
