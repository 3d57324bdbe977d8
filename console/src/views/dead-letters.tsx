/** Dead letters (delivery failed for good) with a replay button each, and stuck claims. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { Loaded, Status, Table } from '../components.js';
import { dateTime, t } from '../i18n.js';
import { usePoll } from '../poll.js';

interface Summary { id: string; provider: string; insurer: string; status: string; identifier: { value: string }; attempts: number; replays: number; lastError: string | null; stuckSince: string | null; updatedAt: string }
interface List { total: number; claims: Summary[] }

export function DeadLetters() {
  const dead = usePoll(() => api<List>('/admin/dead-letters?_count=100'), 'dead');
  const stuck = usePoll(() => api<List>('/admin/stuck-claims?_count=100'), 'stuck');
  const [message, setMessage] = useState<string>();
  const replay = async (id: string) => {
    try {
      await api(`/admin/claims/${encodeURIComponent(id)}/replay`, { method: 'POST' });
      setMessage(t('replayed', { id }));
    } catch (err) {
      setMessage(`${t('replayFailed')}: ${err instanceof ApiError ? err.message : String(err)}`);
    }
    dead.reload();
  };
  const link = (c: Summary) => <a href={`#/claims/${c.id}`}>{c.identifier.value}</a>;
  return (
    <section>
      <h2>{t('deadLetters')}</h2>
      {message && <p class="notice" role="status">{message}</p>}
      <Loaded polled={dead}>{(list) => (
        <Table label={t('deadLetters')} headings={['updated', 'identifier', 'provider', 'insurer', 'attempts', 'replays', 'lastError', 'replay']}
          rows={list.claims.map((c) => [dateTime(c.updatedAt), link(c), c.provider, c.insurer, c.attempts, c.replays, c.lastError ?? '',
            <button type="button" class="replay" data-claim={c.id} onClick={() => replay(c.id)}>{t('replay')}</button>])} />
      )}</Loaded>
      <h2>{t('stuckClaims')}</h2>
      <Loaded polled={stuck}>{(list) => (
        <Table label={t('stuckClaims')} headings={['stuckSince', 'identifier', 'provider', 'insurer', 'status']}
          rows={list.claims.map((c) => [dateTime(c.stuckSince), link(c), c.provider, c.insurer, <Status value={c.status} />])} />
      )}</Loaded>
    </section>
  );
}
