/**
 * The adapters this build knows, by the name an insurer's registry entry gives.
 */
import type { InsurerAdapter } from './adapter.js';
import type { EligibilitySettings } from '../gateway/eligibility/settings.js';
import type { DeliverySettings } from '../gateway/participants/registry.js';
import { fhirAdapter } from './fhir-generic/adapter.js';
import { openImisAdapter } from './openimis/adapter.js';
import { mappingAdapter } from './declarative/adapter.js';

/** What of an insurer's registration its adapter has a say on. */
export interface InsurerRegistration {
  readonly adapter?: string;
  readonly adapterSettings?: Readonly<Record<string, unknown>>;
  readonly eligibility?: EligibilitySettings;
  readonly delivery?: DeliverySettings;
}

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

  /** Checks an insurer's registration: its adapter, the adapter's settings, and what its eligibility and delivery settings ask of it. */
  check(registration: InsurerRegistration): void {
    const { eligibility, delivery } = registration;
    const adapter = this.get(registration.adapter);
    adapter.checkSettings(registration.adapterSettings ?? {});
    if (adapter.answersByPolling?.(registration.adapterSettings ?? {}) && !delivery?.pollIntervalSeconds) {
      throw new Error(`the ${adapter.name} adapter's insurer never notifies the gateway: set delivery.pollIntervalSeconds (how often to ask it for answers)`);
    }
    if (eligibility?.mode === 'live' && !adapter.checkEligibility) {
      throw new Error(`the ${adapter.name} adapter cannot ask the insurer live: set eligibility.mode to "synced" and import its roster`);
    }
    if (eligibility?.syncIntervalMinutes && !adapter.fetchChangedCoverage) {
      throw new Error(`the ${adapter.name} adapter cannot pull changed coverage: remove eligibility.syncIntervalMinutes and import rosters instead`);
    }
  }
}

/** The adapters shipped with Passerelle. */
export function defaultAdapters(options: { timeoutMs: number }): AdapterRegistry {
  return new AdapterRegistry([fhirAdapter(options.timeoutMs), openImisAdapter(options.timeoutMs), mappingAdapter({ defaultTimeoutMs: options.timeoutMs })]);
}
