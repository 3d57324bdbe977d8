/** The transaction log: claims and eligibility requests, filtered and paged, newest first. */
import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { Loaded, Pager, Status, Table } from '../components.js';
import { dateTime, t } from '../i18n.js';
import { usePoll } from '../poll.js';

interface Transaction {
  kind: 'claim' | 'eligibility'; id: string; provider: string; insurer: string; status: string; identifier: string | null;
  attempts: number | null; lastError: string | null; createdAt: string;
}
interface Page { total: number; limit: number; offset: number; transactions: Transaction[] }

type Filters = Partial<Record<'kind' | 'provider' | 'insurer' | 'status' | 'since' | 'until' | 'identifier', string>>;
const PAGE_SIZE = 25;

export function Transactions() {
  const [draft, setDraft] = useState<Filters>({});
  const [filters, setFilters] = useState<Filters>({});
  const [offset, setOffset] = useState(0);
  const path = `/admin/transactions${query({ ...filters, _count: PAGE_SIZE, _offset: offset })}`;
  const polled = usePoll(() => api<Page>(path), path);
  const onInput = (name: keyof Filters) => (e: { currentTarget: HTMLInputElement }) => setDraft({ ...draft, [name]: e.currentTarget.value });
  const field = (name: keyof Filters) => <label>{t(name)}<input name={name} type="text" value={draft[name] ?? ''} onInput={onInput(name)} /></label>;
  const dateField = (name: keyof Filters) => <label>{t(name)}<input name={name} type="date" value={draft[name] ?? ''} onInput={onInput(name)} /></label>;
  return (
    <section>
      <h2>{t('navTransactions')}</h2>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); setOffset(0); setFilters(draft); }}>
        <label>{t('kind')}
          <select name="kind" value={draft.kind ?? ''} onChange={(e) => setDraft({ ...draft, kind: e.currentTarget.value })}>
            <option value="">{t('kindAll')}</option><option value="claim">{t('kindClaim')}</option><option value="eligibility">{t('kindEligibility')}</option>
          </select>
        </label>
        {field('provider')}{field('insurer')}{field('status')}{dateField('since')}{dateField('until')}{field('identifier')}
        <button type="submit">{t('filter')}</button>
        <button type="button" onClick={() => { setDraft({}); setFilters({}); setOffset(0); }}>{t('clear')}</button>
      </form>
      <Loaded polled={polled}>{(page) => (
        <>
          <Table label={t('navTransactions')} headings={['created', 'kind', 'identifier', 'provider', 'insurer', 'status', 'attempts', 'lastError']}
            rows={page.transactions.map((x) => [
              dateTime(x.createdAt), x.kind === 'claim' ? t('kindClaim') : t('kindEligibility'),
              <a href={`#/${x.kind === 'claim' ? 'claims' : 'eligibility'}/${x.id}`}>{x.identifier ?? x.id}</a>,
              x.provider, x.insurer, <Status value={x.status} />, x.attempts ?? '', x.lastError ?? '',
            ])} />
          <Pager total={page.total} count={PAGE_SIZE} offset={offset} onOffset={setOffset} />
        </>
      )}</Loaded>
    </section>
  );
}
