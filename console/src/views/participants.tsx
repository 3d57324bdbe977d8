/** The participant registry: the list, and one participant with its clients (never a secret). */
import { api } from '../api.js';
import { Json, Loaded, Status, Table } from '../components.js';
import { t } from '../i18n.js';
import { usePoll } from '../poll.js';

interface Participant {
  id: string; kind: string; name: string; status: string; adapter: string | null; callbackUrl: string | null;
  endpoints: unknown; clients: Array<{ clientId: string; active: boolean; scopes: string[]; hasSecret: boolean; keys: Array<string | null>; jwksUrl: string | null }>;
}

export function Participants() {
  const polled = usePoll(() => api<{ participants: Participant[] }>('/admin/participants'), 'participants');
  return (
    <section>
      <h2>{t('navParticipants')}</h2>
      <Loaded polled={polled}>{(list) => (
        <Table label={t('navParticipants')} headings={['identifier', 'name', 'participantKind', 'status', 'adapter', 'clients']}
          rows={list.participants.map((p) => [<a href={`#/participants/${p.id}`}>{p.id}</a>, p.name, p.kind, <Status value={p.status} />, p.adapter ?? '—', p.clients.length])} />
      )}</Loaded>
    </section>
  );
}

export function ParticipantView({ id }: { id: string }) {
  const polled = usePoll(() => api<Participant>(`/admin/participants/${encodeURIComponent(id)}`), id);
  return (
    <section>
      <p><a href="#/participants">← {t('back')}</a></p>
      <Loaded polled={polled}>{(p) => (
        <>
          <h2>{p.name} <Status value={p.status} /></h2>
          <dl class="facts">
            <dt>Id</dt><dd>{p.id}</dd>
            <dt>{t('participantKind')}</dt><dd>{p.kind}</dd>
            <dt>{t('adapter')}</dt><dd>{p.adapter ?? '—'}</dd>
            <dt>{t('callbackUrl')}</dt><dd>{p.callbackUrl ?? '—'}</dd>
          </dl>
          <h3>{t('clients')}</h3>
          <Table label={t('clients')} headings={['clientId', 'status', 'authentication', 'scopes']}
            rows={p.clients.map((c) => [c.clientId, c.active ? t('clientActive') : t('clientDisabled'),
              [c.hasSecret ? t('clientSecret') : '', c.keys.length || c.jwksUrl ? t('keys') : ''].filter(Boolean).join(', '), c.scopes.join(' ')])} />
          <h3>{t('endpoints')}</h3>
          <Json label={t('endpoints')} value={p.endpoints} />
        </>
      )}</Loaded>
    </section>
  );
}
