/**
 * Resolves references inside a Bundle the FHIR way: by fullUrl (urn:uuid:, urn:oid:, absolute URLs) and
 * by relative Type/id against each entry's resource (or the tail of its fullUrl).
 */
import type { Reference } from '@medplum/fhirtypes';

/** A resource found in the bundle, with its entry index. */
export interface ResolvedEntry {
  readonly index: number;
  readonly resource: Record<string, unknown> & { resourceType: string };
}

/** An index over a Bundle's entries, built once per request. */
export class BundleIndex {
  private readonly byFullUrl = new Map<string, ResolvedEntry>();
  private readonly byTypeId = new Map<string, ResolvedEntry>();

  constructor(entries: ReadonlyArray<{ fullUrl?: unknown; resource?: unknown }>) {
    entries.forEach((entry, index) => {
      if (entry === null || typeof entry !== 'object') return;
      const resource = entry.resource as ResolvedEntry['resource'] | undefined;
      if (!resource || typeof resource.resourceType !== 'string') return;
      const resolved = { index, resource };
      if (typeof entry.fullUrl === 'string') {
        this.byFullUrl.set(entry.fullUrl, resolved);
        const tail = /([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(\/_history\/[^/]+)?$/.exec(entry.fullUrl)?.[1];
        if (tail && !entry.fullUrl.startsWith('urn:')) this.byTypeId.set(tail, resolved);
      }
      if (typeof resource.id === 'string') this.byTypeId.set(`${resource.resourceType}/${resource.id}`, resolved);
    });
  }

  /** The entry a reference points at, or undefined when it does not resolve inside the bundle. */
  resolve(reference: Reference | undefined, expectedType?: string): ResolvedEntry | undefined {
    const ref = reference?.reference;
    if (typeof ref !== 'string' || ref.length === 0) return undefined;
    const found = this.byFullUrl.get(ref) ?? this.byTypeId.get(ref.replace(/\/_history\/[^/]+$/, ''));
    if (!found) return undefined;
    if (expectedType && found.resource.resourceType !== expectedType) return undefined;
    return found;
  }
}
