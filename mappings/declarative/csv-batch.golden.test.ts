/**
 * The CSV batch example, both ways, against golden files: the covered member's claim → its rows under
 * the header the sandbox reads; a reply file with several claims → one ClaimResponse each.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Bundle, Claim } from '@medplum/fhirtypes';
import { csvBatch, csvHeader, csvLines, csvRows } from './csv-records.js';
import { csvReplyDocuments } from './csv-replies.js';
import { loadMappingSpec } from './load-spec.js';
import { mapClaim } from './map-claim.js';
import { mapReply } from './map-reply.js';
import { ReplyError } from './reply-error.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = `${ROOT}mappings/examples/golden/`;
const spec = loadMappingSpec('examples/csv-batch.mapping.json');
const context = (claimId: string) => ({ claimId, providerId: 'demo-clinic', insurerId: 'demo-mutuelle', settings: { memberSystem: 'urn:passerelle:demo-insurer:member' } });

function bundle(): Bundle {
  return JSON.parse(readFileSync(`${ROOT}test/fixtures/claim-bundle-covered-member.json`, 'utf8').replaceAll('TODAY', '2026-03-14')) as Bundle;
}
const claimOf = (b: Bundle) => b.entry![0]!.resource as Claim;
const goldenText = (name: string) => readFileSync(`${GOLDEN}${name}`, 'utf8');

describe('csv-batch: claim → rows', () => {
  it('has exactly the header the sandbox reads', () => {
    expect(csvHeader(spec).join(';')).toBe('claim_ref;provider_code;member_number;visit_date;diagnosis_code;line_no;act_code;quantity;unit_price;amount');
  });

  it('maps the covered member claim to the golden batch file', () => {
    const { record, issues } = mapClaim(spec, bundle(), context('0a6c7f1e-2d3b-4c5a-8e9f-000000000001'));
    expect(issues).toEqual([]);
    expect(csvBatch(spec, [record])).toBe(goldenText('csv-batch.claims.csv'));
  });

  it('repeats the claim fields on each item row and quotes what needs it (RFC 4180)', () => {
    const record = { claim_ref: 'c1', provider_code: 'a;b', member_number: 'say "hi"', visit_date: '2026-03-14', lines: [{ line_no: 1, act_code: 'X\nY' }, { line_no: 2 }] };
    expect(csvRows(spec, record)).toEqual([
      ['c1', 'a;b', 'say "hi"', '2026-03-14', '', '1', 'X\nY', '', '', ''],
      ['c1', 'a;b', 'say "hi"', '2026-03-14', '', '2', '', '', '', ''],
    ]);
    expect(csvLines(spec, csvRows(spec, record))).toBe('c1;"a;b";"say ""hi""";2026-03-14;;1;"X\nY";;;\nc1;"a;b";"say ""hi""";2026-03-14;;2;;;;\n');
  });
});

describe('csv-batch: reply file → ClaimResponses', () => {
  it('groups a reply file with several claims and maps each to the golden ClaimResponse', () => {
    const documents = csvReplyDocuments(spec, goldenText('csv-batch.replies.csv'), 'csv-batch.replies.csv');
    expect(documents.map((d) => [d.key, d.document.rows.length])).toEqual([
      ['0a6c7f1e-2d3b-4c5a-8e9f-000000000001', 2], ['0a6c7f1e-2d3b-4c5a-8e9f-000000000002', 2],
      ['0a6c7f1e-2d3b-4c5a-8e9f-000000000003', 1], ['0a6c7f1e-2d3b-4c5a-8e9f-000000000004', 1],
    ]);
    const mapped = documents.map((d) => mapReply(spec, d.document, claimOf(bundle()), { claimId: d.key }))
      .map((m) => ({ ...m, claimResponse: { ...m.claimResponse, created: '<created>' } }));
    expect(mapped).toEqual(JSON.parse(goldenText('csv-batch.responses.json')));
  });

  it('round-trips: a reply file built from the rows maps back onto the claim\'s sequences and amounts', () => {
    const claimId = '0a6c7f1e-2d3b-4c5a-8e9f-000000000009';
    const { record } = mapClaim(spec, bundle(), context(claimId));
    const reply = ['claim_ref;status;line_no;amount_claimed;amount_covered;patient_share;reject_code;message',
      ...csvRows(spec, record).map((row) => `${row[0]};ACCEPTED;${row[5]};${row[9]};${Number(row[9]) / 2};${Number(row[9]) / 2};;OK`)].join('\n');
    const [document] = csvReplyDocuments(spec, reply, 'round-trip.csv');
    const { claimResponse } = mapReply(spec, document!.document, claimOf(bundle()), { claimId });
    expect(claimResponse.outcome).toBe('complete');
    expect(claimResponse.item!.map((i) => [i.itemSequence, i.adjudication[0]!.amount!.value])).toEqual(claimOf(bundle()).item!.map((i) => [i.sequence, i.net!.value]));
    expect(claimResponse.total!.map((t) => [t.category.coding![0]!.code, t.amount.value])).toEqual([['submitted', 23000], ['copay', 11500], ['benefit', 11500]]);
  });

  it.each([
    ['lacks the group-by column', 'ref;status\nc1;ACCEPTED\n', /reply file r.csv has no claim_ref column/],
    ['has a row of the wrong width', 'claim_ref;status\nc1;ACCEPTED;extra\n', /reply file r.csv does not parse as CSV/],
    ['has an unclosed quote', 'claim_ref;status\n"c1;ACCEPTED\n', /reply file r.csv does not parse as CSV/],
    ['has a row without claim_ref', 'claim_ref;status\n;ACCEPTED\n', /reply file r.csv: the row ending on line 2 has no claim_ref/],
    ['is empty', '', /reply file r.csv is empty/],
  ])('refuses a reply file that %s', (_what, text, message) => {
    expect(() => csvReplyDocuments(spec, text, 'r.csv')).toThrow(ReplyError);
    expect(() => csvReplyDocuments(spec, text, 'r.csv')).toThrow(message);
  });

  it('refuses a claim whose reply has a line for an item it does not have, or a non-numeric amount', () => {
    const text = 'claim_ref;status;line_no;amount_claimed;amount_covered;patient_share;reject_code;message\nc1;ACCEPTED;3;100;50;50;;OK\nc2;ACCEPTED;1;cent;50;50;;OK\n';
    const [first, second] = csvReplyDocuments(spec, text, 'r.csv');
    expect(() => mapReply(spec, first!.document, claimOf(bundle()), { claimId: 'c1' })).toThrow(/is for item 3, which the claim does not have/);
    expect(() => mapReply(spec, second!.document, claimOf(bundle()), { claimId: 'c2' })).toThrow(/the submitted amount \(amount_claimed\) of line 1 of the reply .* is not a number/);
  });
});
