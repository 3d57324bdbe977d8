/** Small building blocks shared by the pages. */
import type { ComponentChildren } from 'preact';
import { t, dateTime, statusLabel, type MessageKey } from './i18n.js';
import type { Polled } from './poll.js';

/** Loading, error or the content, with the time of the last update. */
export function Loaded<T>({ polled, children }: { polled: Polled<T>; children: (data: T) => ComponentChildren }) {
  return (
    <div>
      {polled.error && <p class="error" role="alert">{t('error')}: {polled.error.message}</p>}
      {polled.data === undefined ? (!polled.error && <p>{t('loading')}</p>) : children(polled.data)}
      {polled.updatedAt && <p class="muted updated">{t('updatedAt')} {dateTime(polled.updatedAt.toISOString())}</p>}
    </div>
  );
}

/** A table with translated headings; rows given as cells. */
export function Table({ headings, rows, label }: { headings: MessageKey[]; rows: ComponentChildren[][]; label: string }) {
  if (rows.length === 0) return <p class="muted">{t('none')}</p>;
  return (
    <table aria-label={label}>
      <thead><tr>{headings.map((h) => <th scope="col">{t(h)}</th>)}</tr></thead>
      <tbody>{rows.map((cells) => <tr>{cells.map((c) => <td>{c}</td>)}</tr>)}</tbody>
    </table>
  );
}

/** A status as a coloured badge. */
export function Status({ value }: { value: string }) {
  return <span class={`status status-${value.replace(/[^a-z-]/g, '')}`} title={value}>{statusLabel(value)}</span>;
}

/** Previous / next over a result set paged by _count and _offset. */
export function Pager({ total, count, offset, onOffset }: { total: number; count: number; offset: number; onOffset: (offset: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / count));
  const page = Math.floor(offset / count) + 1;
  return (
    <nav class="pager" aria-label="pager">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - count))}>{t('previous')}</button>
      <span>{t('pageOf', { page, pages })} · {t('total')} {total}</span>
      <button type="button" disabled={offset + count >= total} onClick={() => onOffset(offset + count)}>{t('next')}</button>
    </nav>
  );
}

/** A JSON document, readable. */
export function Json({ value, label }: { value: unknown; label: string }) {
  return <pre class="json" aria-label={label}>{JSON.stringify(value, null, 2)}</pre>;
}
