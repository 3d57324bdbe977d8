/** The values of an element path ("Claim.item.quantity") in a resource, arrays flattened: what an invariant set on that element is evaluated on. */
export function instancesAt(resource: unknown, elementPath: string): unknown[] {
  let values: unknown[] = [resource];
  for (const name of elementPath.split('.').slice(1)) {
    values = values.flatMap((v) => {
      const child = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[name] : undefined;
      return child === undefined ? [] : Array.isArray(child) ? child : [child];
    });
  }
  return values;
}
