/**
 * The adapters this build knows, by the name an insurer's registry entry gives.
 */
import type { InsurerAdapter } from './adapter.js';
import { fhirAdapter } from './fhir-generic/adapter.js';

/** Adapters by name. */
export class AdapterRegistry {
  private readonly adapters = new Map<string, InsurerAdapter>();

  constructor(adapters: readonly InsurerAdapter[]) {
    for (const adapter of adapters) this.adapters.set(adapter.name, adapter);
  }

  /** The adapter of this name; throws naming the known ones. */
  get(name: string | undefined): InsurerAdapter {
    const adapter = name ? this.adapters.get(name) : undefined;
    if (!adapter) throw new Error(`unknown insurer adapter "${name ?? ''}" (known: ${[...this.adapters.keys()].join(', ')})`);
    return adapter;
  }
}

/** The adapters shipped with Passerelle. */
export function defaultAdapters(options: { timeoutMs: number }): AdapterRegistry {
  return new AdapterRegistry([fhirAdapter(options.timeoutMs)]);
}
