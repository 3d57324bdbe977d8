/**
 * The mapping adapter's csv-batch transport, end to end on a temporary folder: claims staged, one batch
 * file sent, a reply file written by hand read back and moved aside, garbage rejected.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle, Claim } from '@medplum/fhirtypes';
import { MappingError, type InsurerAdapter } from '../adapter.js';
import { mappingAdapter } from './adapter.js';
import { sendBatch } from './csv-batch-out.js';
import { loadMappingSpec } from './load-spec.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HEADER = 'claim_ref;provider_code;member_number;visit_date;diagnosis_code;line_no;act_code;quantity;unit_price;amount';
const REPLY_HEADER = 'claim_ref;status;line_no;amount_claimed;amount_covered;patient_share;reject_code;message';
const FIRST = '11111111-1111-4111-8111-111111111111';
const SECOND = '22222222-2222-4222-8222-222222222222';

function bundle(claimId: string): Bundle {
  const b = JSON.parse(readFileSync(`${ROOT}test/fixtures/claim-bundle-covered-member.json`, 'utf8').replaceAll('TODAY', '2026-03-14')) as Bundle;
  (b.entry![0]!.resource as Claim).id = claimId;
  return b;
}

let folder: string;
let adapter: InsurerAdapter;
let settings: Record<string, unknown>;

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'csv-batch-'));
  adapter = mappingAdapter({ defaultTimeoutMs: 1000 });
  settings = { mapping: 'examples/csv-batch.mapping.json', memberSystem: 'urn:passerelle:demo-insurer:member', folder };
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

const deliver = (claimId: string, b = bundle(claimId)) => adapter.submitClaim({ claimId, bundle: b, providerId: 'demo-clinic', idempotencyKey: claimId, insurerId: 'demo-mutuelle', settings });
const query = () => ({ insurerId: 'demo-mutuelle', settings });

describe('csv-batch transport', () => {
  it('checks its settings', () => {
    expect(() => adapter.checkSettings(settings)).not.toThrow();
    expect(() => adapter.checkSettings({ ...settings, folder: 'relative/dir' })).toThrow('mapping adapter: settings.folder must be an absolute path');
    expect(() => adapter.checkSettings({ ...settings, memberSystem: undefined })).toThrow('settings.memberSystem must be set (a string): the mapping csv-batch reads %settings.memberSystem');
    expect(() => adapter.checkSettings({ folder })).toThrow('settings.mapping must name a mapping spec');
    expect(() => adapter.checkSettings({ ...settings, mapping: 'examples/none.json' })).toThrow(/mapping spec examples\/none.json: cannot be read/);
  });

  it('stages claims, sends them in one batch file, maps the reply file and moves it aside', async () => {
    const staged = await deliver(FIRST);
    expect(staged).toEqual({ kind: 'answered', claimResponse: expect.objectContaining({ outcome: 'queued', disposition: 'Set aside for the next batch file to Mutuelle Démo.' }) });
    await deliver(SECOND);
    await deliver(SECOND); // a retried delivery replaces its rows
    expect(readdirSync(join(folder, 'staging')).sort()).toEqual([`${FIRST}.csv`, `${SECOND}.csv`]);

    expect(await adapter.sendBatch!(query())).toBe(2);
    const batches = readdirSync(join(folder, 'claims'));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatch(/^claims-\d{8}T\d{9}-[0-9a-f]{4}\.csv$/);
    const lines = readFileSync(join(folder, 'claims', batches[0]!), 'utf8').split('\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1, -1).map((l) => l.split(';').slice(0, 1).concat(l.split(';').slice(5, 7)).join(';'))).toEqual([
      `${FIRST};1;CONS01`, `${FIRST};2;LAB01`, `${SECOND};1;CONS01`, `${SECOND};2;LAB01`,
    ]);
    expect(readdirSync(join(folder, 'staging'))).toEqual([]);
    expect(await adapter.sendBatch!(query())).toBe(0);
    expect(readdirSync(join(folder, 'claims'))).toHaveLength(1);

    mkdirSync(join(folder, 'replies')); // the insurer's side writes there
    writeFileSync(join(folder, 'replies', 'reply-1.csv.tmp'), 'being written');
    writeFileSync(join(folder, 'replies', 'reply-1.csv'), [REPLY_HEADER,
      `${FIRST};PARTIAL;1;15000;7500;7500;;OK`, `${FIRST};PARTIAL;2;8000;0;8000;EXCLUDED;Acte exclu`,
      `${SECOND};REJECTED;;;;;MEMBER_UNKNOWN;Adhérent inconnu`, ''].join('\n'));
    const pending = await adapter.fetchPendingResponses!(query());
    expect(pending.problems).toEqual([]);
    expect(pending.answers.map((a) => [a.claimId, a.claimResponse.outcome, a.source])).toEqual([
      [FIRST, 'partial', `replies/reply-1.csv#${FIRST}`], [SECOND, 'error', `replies/reply-1.csv#${SECOND}`],
    ]);
    expect(pending.answers[0]!.claimResponse.payment?.amount?.value).toBe(7500);
    await pending.acknowledge();
    expect(readdirSync(join(folder, 'replies', 'processed'))).toEqual(['reply-1.csv']);
    expect(existsSync(join(folder, 'replies', 'reply-1.csv'))).toBe(false);
    expect(existsSync(join(folder, 'replies', 'reply-1.csv.tmp'))).toBe(true);
    // Both claims have their final answer: a second reply for one of them is a problem, not an answer.
    expect(readdirSync(join(folder, 'awaiting'))).toEqual([]);
    writeFileSync(join(folder, 'replies', 'reply-2.csv'), `${REPLY_HEADER}\n${FIRST};ACCEPTED;1;15000;7500;7500;;OK\n`);
    const again = await adapter.fetchPendingResponses!(query());
    expect(again.answers).toEqual([]);
    expect(again.problems).toEqual([{ source: `replies/reply-2.csv#${FIRST}`, message: expect.stringContaining('whose final answer it already recorded') }]);
  });

  it('reports a garbage reply file as one problem and moves it to rejected, and a bad claim without losing the others', async () => {
    await deliver(FIRST);
    await deliver(SECOND);
    await adapter.sendBatch!(query());
    mkdirSync(join(folder, 'replies'));
    writeFileSync(join(folder, 'replies', 'a-garbage.csv'), '\u0000\u0001PK binary;"unclosed\n');
    writeFileSync(join(folder, 'replies', 'b-mixed.csv'), [REPLY_HEADER,
      `${FIRST};ACCEPTED;7;100;50;50;;line for an item the claim does not have`,
      `${SECOND};ACCEPTED;1;15000;7500;7500;;OK`, `${SECOND};ACCEPTED;2;8000;4000;4000;;OK`,
      `../../etc;ACCEPTED;1;1;1;0;;path in the reference`, ''].join('\n'));
    const pending = await adapter.fetchPendingResponses!(query());
    expect(pending.answers.map((a) => [a.claimId, a.claimResponse.outcome])).toEqual([[SECOND, 'complete']]);
    expect(pending.problems).toEqual([
      { source: 'replies/a-garbage.csv', message: expect.stringMatching(/^reply file replies\/a-garbage.csv /) },
      { source: `replies/b-mixed.csv#${FIRST}`, message: expect.stringContaining('is for item 7, which the claim does not have') },
      { source: 'replies/b-mixed.csv#../../etc', message: 'the reply names a claim reference that is not a claim id of this gateway' },
    ]);
    await pending.acknowledge();
    expect(readdirSync(join(folder, 'replies', 'rejected'))).toEqual(['a-garbage.csv']);
    expect(readdirSync(join(folder, 'replies', 'processed'))).toEqual(['b-mixed.csv']);
    expect(readdirSync(join(folder, 'awaiting'))).toEqual([`${FIRST}.json`]);
  });

  it('finishes a batch a crashed sender left, never writing one twice, and leaves a sender at work alone', async () => {
    const spec = loadMappingSpec('examples/csv-batch.mapping.json');
    const later = new Date(Date.now() + 11 * 60_000);
    const leftover = (batch: string, claimId: string) => {
      const parts = join(folder, 'staging', `${batch}.parts`);
      mkdirSync(parts, { recursive: true });
      writeFileSync(join(parts, `${claimId}.csv`), `${claimId};demo-clinic;M0001;2026-03-14;;1;CONS01;1;15000;15000\n`);
    };
    leftover('claims-20260314T100000000-abcd', SECOND);
    expect(await sendBatch(spec, folder, later)).toBe(1);
    expect(readdirSync(join(folder, 'claims'))).toEqual(['claims-20260314T100000000-abcd.csv']);
    expect(readFileSync(join(folder, 'claims', 'claims-20260314T100000000-abcd.csv'), 'utf8')).toBe(`${HEADER}\n${SECOND};demo-clinic;M0001;2026-03-14;;1;CONS01;1;15000;15000\n`);

    // Crashed after its file was written: the parts go, the file is not written again.
    leftover('claims-20260314T100000000-abcd', FIRST);
    expect(await sendBatch(spec, folder, later)).toBe(0);
    expect(readdirSync(join(folder, 'staging'))).toEqual([]);
    expect(readFileSync(join(folder, 'claims', 'claims-20260314T100000000-abcd.csv'), 'utf8')).not.toContain(FIRST);

    leftover('claims-20260314T110000000-beef', FIRST);
    expect(await sendBatch(spec, folder)).toBe(0);
    expect(readdirSync(join(folder, 'staging'))).toEqual(['claims-20260314T110000000-beef.parts']);
  });

  it('refuses to stage a claim its format cannot carry, and checks claims at submission', async () => {
    const b = bundle(FIRST);
    (b.entry![0]!.resource as Claim).careTeam = [{ sequence: 1, provider: { reference: 'Practitioner/x' } }];
    await expect(deliver(FIRST, b)).rejects.toThrow(MappingError);
    expect(existsSync(join(folder, 'staging'))).toBe(false);
    const issues = await adapter.checkClaim!({ insurerId: 'demo-mutuelle', providerId: 'demo-clinic', settings, bundle: b });
    expect(issues.map((i) => i.expression)).toEqual(['Claim.careTeam']);
  });

  it('asks nothing of a batch insurer claim by claim', async () => {
    expect(await adapter.fetchClaimResponse!({ claimId: FIRST, insurerId: 'demo-mutuelle', settings, bundle: bundle(FIRST) })).toBeUndefined();
  });
});
