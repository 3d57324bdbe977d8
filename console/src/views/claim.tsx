/** One claim: timeline, validation issues, delivery attempts, responses, and the bundles when allowed. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { Json, Loaded, Status, Table } from '../components.js';
import { dateTime, t } from '../i18n.js';
import { usePoll } from '../poll.js';

interface ClaimDetail {
  id: string; provider: string; insurer: string; status: string; identifier: { system: string; value: string };
  attempts: number; replays: number; lastError: string | null; purgedAt: string | null; createdAt: string; phi: boolean;
  bundle: unknown;
  events: Array<{ status: string; at: string; detail: unknown }>;
  validationIssues: Array<{ severity: string; code: string; rule: string | null; expression: string[] }>;
  responses: Array<{ id: string; source: string; outcome: string; createdAt: string; resource: unknown }>;
}

const DELIVERY_EVENTS = new Set(['delivery-retry', 'failed', 'delivered', 'push-retry', 'push-failed', 'pushed']);

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  return typeof detail === 'object' ? Object.entries(detail as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ') : String(detail);
}

export function ClaimView({ id }: { id: string }) {
  const polled = usePoll(() => api<ClaimDetail>(`/admin/claims/${encodeURIComponent(id)}`), id);
  const [message, setMessage] = useState<string>();
  const replay = async () => {
    try {
      await api(`/admin/claims/${encodeURIComponent(id)}/replay`, { method: 'POST' });
      setMessage(t('replayed', { id }));
      polled.reload();
    } catch (err) {
      setMessage(`${t('replayFailed')}: ${err instanceof ApiError ? err.message : String(err)}`);
    }
  };
  return (
    <section>
      <p><a href="#/transactions">← {t('back')}</a></p>
      <Loaded polled={polled}>{(claim) => (
        <>
          <h2>{t('claim')} {claim.identifier.value} <Status value={claim.status} /></h2>
          <dl class="facts">
            <dt>Id</dt><dd>{claim.id}</dd>
            <dt>{t('provider')}</dt><dd>{claim.provider}</dd>
            <dt>{t('insurer')}</dt><dd>{claim.insurer}</dd>
            <dt>{t('created')}</dt><dd>{dateTime(claim.createdAt)}</dd>
            <dt>{t('attempts')}</dt><dd>{claim.attempts}</dd>
            <dt>{t('replays')}</dt><dd>{claim.replays}</dd>
            <dt>{t('lastError')}</dt><dd>{claim.lastError ?? '—'}</dd>
          </dl>
          {claim.status === 'failed' && <button type="button" class="replay" onClick={replay}>{t('replay')}</button>}
          {message && <p class="notice" role="status">{message}</p>}
          <h3>{t('timeline')}</h3>
          <ol class="timeline" aria-label={t('timeline')}>
            {claim.events.map((e) => <li><Status value={e.status} /> <time>{dateTime(e.at)}</time> <span class="muted">{detailText(e.detail)}</span></li>)}
          </ol>
          <h3>{t('validationIssues')}</h3>
          <Table label={t('validationIssues')} headings={['severity', 'rule', 'expression']}
            rows={claim.validationIssues.map((i) => [i.severity, i.rule ?? i.code, i.expression.join(', ')])} />
          <h3>{t('deliveryAttempts')}</h3>
          <Table label={t('deliveryAttempts')} headings={['at', 'event', 'detail']}
            rows={claim.events.filter((e) => DELIVERY_EVENTS.has(e.status)).map((e) => [dateTime(e.at), e.status, detailText(e.detail)])} />
          <h3>{t('responses')}</h3>
          <Table label={t('responses')} headings={['at', 'source', 'outcome']}
            rows={claim.responses.map((r) => [dateTime(r.createdAt), r.source, <Status value={r.outcome} />])} />
          {!claim.phi ? <p class="notice phi-hidden">{t('bundlesHidden')}</p> : claim.purgedAt ? <p class="notice">{t('purged')}</p> : (
            <>
              <h3>{t('requestBundle')}</h3>
              <Json label={t('requestBundle')} value={claim.bundle} />
              {claim.responses.filter((r) => r.resource).map((r) => (
                <><h3>{t('responseBundle')} ({r.source}, {r.outcome})</h3><Json label={t('responseBundle')} value={r.resource} /></>
              ))}
            </>
          )}
        </>
      )}</Loaded>
    </section>
  );
}
