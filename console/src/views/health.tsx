/** Each insurer's health: queue depth, answer latency, error rate, circuit state. */
import { api } from '../api.js';
import { Loaded, Table } from '../components.js';
import { t, type MessageKey } from '../i18n.js';
import { usePoll } from '../poll.js';

interface Health {
  windowMinutes: number;
  insurers: Array<{
    insurer: string; name: string; queue: Record<'waiting' | 'active' | 'failed' | 'delayed', number>; circuit: string; eligibilityCircuit: string | null;
    answerSeconds: { p50: number | null; p99: number | null }; errorRate: number | null; deadLetters: number; stuck: number;
  }>;
}

const CIRCUIT: Record<string, MessageKey> = { open: 'circuitOpen', closed: 'circuitClosed', 'half-open': 'circuitHalfOpen' };
const seconds = (n: number | null) => (n === null ? '—' : t('seconds', { n: n.toFixed(2) }));
const circuit = (state: string | null) => (state === null ? '—' : <span class={`circuit circuit-${state}`}>{t(CIRCUIT[state] ?? 'circuitClosed')}</span>);

export function InsurerHealth() {
  const polled = usePoll(() => api<Health>('/admin/insurer-health'), 'health');
  return (
    <section>
      <h2>{t('navHealth')}</h2>
      <Loaded polled={polled}>{(health) => (
        <>
          <p class="muted">{t('windowNote', { minutes: health.windowMinutes })}</p>
          <Table label={t('navHealth')} headings={['insurer', 'waiting', 'active', 'delayed', 'failed', 'latencyP50', 'latencyP99', 'errorRate', 'deadLetters', 'stuckClaims', 'circuit', 'eligibilityCircuit']}
            rows={health.insurers.map((i) => [
              <a href={`#/participants/${i.insurer}`}>{i.name}</a>, i.queue.waiting, i.queue.active, i.queue.delayed, i.queue.failed,
              seconds(i.answerSeconds.p50), seconds(i.answerSeconds.p99), i.errorRate === null ? '—' : `${(i.errorRate * 100).toFixed(1)} %`,
              i.deadLetters, i.stuck, circuit(i.circuit), circuit(i.eligibilityCircuit),
            ])} />
        </>
      )}</Loaded>
    </section>
  );
}
