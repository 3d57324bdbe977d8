/** One eligibility request: who asked whom, how (synced registry, live, queued) and when it was answered. */
import { Json, Loaded, Status, Table } from '../components.js';
import { dateTime, t } from '../i18n.js';
import { api } from '../api.js';
import { usePoll } from '../poll.js';

interface EligibilityDetail {
  id: string; provider: string; insurer: string; mode: 'live' | 'synced'; status: string; identifier: string | null; purpose: string[];
  createdAt: string; answeredAt: string | null; answerMs: number | null; phi: boolean; request: unknown;
  responses: Array<{ id: string; outcome: string | null; created: string | null; errors: string[]; resource: unknown }>;
}

export function EligibilityView({ id }: { id: string }) {
  const polled = usePoll(() => api<EligibilityDetail>(`/admin/eligibility-requests/${encodeURIComponent(id)}`), id);
  return (
    <section>
      <p><a href="#/transactions">← {t('back')}</a></p>
      <Loaded polled={polled}>{(request) => (
        <>
          <h2>{t('eligibilityRequest')} {request.identifier ?? request.id} <Status value={request.status} /></h2>
          <dl class="facts">
            <dt>Id</dt><dd>{request.id}</dd>
            <dt>{t('provider')}</dt><dd>{request.provider}</dd>
            <dt>{t('insurer')}</dt><dd>{request.insurer}</dd>
            <dt>{t('eligibilityMode')}</dt><dd>{request.mode === 'live' ? t('modeLive') : t('modeSynced')}</dd>
            <dt>{t('purpose')}</dt><dd>{request.purpose.join(', ') || '—'}</dd>
            <dt>{t('created')}</dt><dd>{dateTime(request.createdAt)}</dd>
            <dt>{t('answered')}</dt><dd>{request.answeredAt ? `${dateTime(request.answeredAt)}${request.answerMs === null ? '' : ` (${request.answerMs} ms)`}` : '—'}</dd>
          </dl>
          <h3>{t('responses')}</h3>
          <Table label={t('responses')} headings={['at', 'outcome', 'errors']}
            rows={request.responses.map((r) => [r.created ? dateTime(r.created) : '', r.outcome ? <Status value={r.outcome} /> : '', r.errors.join(', ')])} />
          {!request.phi ? <p class="notice phi-hidden">{t('eligibilityHidden')}</p> : (
            <>
              <h3>{t('requestBundle')}</h3>
              <Json label={t('requestBundle')} value={request.request} />
              {request.responses.filter((r) => r.resource).map((r) => (
                <><h3>{t('responseBundle')} ({r.outcome})</h3><Json label={t('responseBundle')} value={r.resource} /></>
              ))}
            </>
          )}
        </>
      )}</Loaded>
    </section>
  );
}
