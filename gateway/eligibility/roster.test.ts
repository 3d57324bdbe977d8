import { Readable } from 'node:stream';
import {
  RosterFormatError, detectDelimiter, parseCsvRoster, parseNdjsonRoster, rosterDate, type RosterOptions, type RosterRow,
} from './roster.js';

const SYSTEM = 'urn:test:member';

/** The text as a stream of Buffers of chunkSize bytes (small sizes cut lines, quotes and UTF-8 characters). */
function stream(text: string, chunkSize = 64 * 1024): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

async function rows(generator: AsyncGenerator<RosterRow>): Promise<RosterRow[]> {
  const all: RosterRow[] = [];
  for await (const row of generator) all.push(row);
  return all;
}

const csv = (text: string, options: Partial<RosterOptions> = {}, chunkSize?: number) =>
  rows(parseCsvRoster(stream(text, chunkSize), { memberSystem: SYSTEM, ...options }));
const ndjson = (lines: readonly unknown[], chunkSize?: number) =>
  rows(parseNdjsonRoster(stream(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'), chunkSize), { memberSystem: SYSTEM }));

/** "line: message" of the invalid rows, in English (or French). */
const errors = (all: RosterRow[], language: 'en' | 'fr' = 'en') => all.flatMap((r) => ('error' in r ? [`${r.line}: ${r.error[language]}`] : []));
const coverages = (all: RosterRow[]) => all.flatMap((r) => ('coverage' in r ? [{ line: r.line, ...r.coverage }] : []));

describe('CSV rosters', () => {
  it('reads every column, fills the defaults and ignores columns it does not know', async () => {
    const all = await csv([
      'member_id,nom,coverage_id,plan,start,end,status,relationship,subscriber_id',
      'M0001,Diop,COV-1,GOLD,2025-01-01,2025-12-31,active,self,',
      'M0002,Fall,,,2025-02-01,,,,',
      'M0003,Sow,COV-3,BASIC,2025-03-01,,cancelled,Child,M0001',
    ].join('\n'));
    expect(coverages(all)).toEqual([
      { line: 2, coverageId: 'COV-1', memberSystem: SYSTEM, memberId: 'M0001', plan: 'GOLD', periodStart: '2025-01-01', periodEnd: '2025-12-31', status: 'active', relationship: 'self' },
      { line: 3, coverageId: 'M0002', memberSystem: SYSTEM, memberId: 'M0002', periodStart: '2025-02-01', status: 'active' },
      { line: 4, coverageId: 'COV-3', memberSystem: SYSTEM, memberId: 'M0003', plan: 'BASIC', periodStart: '2025-03-01', status: 'cancelled', relationship: 'child', subscriberId: 'M0001' },
    ]);
    expect(errors(all)).toEqual([]);
  });

  it('reports each bad row with its physical line and a message naming the column, and goes on', async () => {
    const all = await csv([
      'member_id,start,end,status,relationship', // 1
      'M1,2026-13-01,,,', // 2
      '', // 3: blank, skipped
      'M2,2025-01-01,2024-12-31,,', // 4
      ',2025-01-01,,,', // 5
      'M4,2025-01-01,,lapsed,', // 6
      'M5,2025-01-01,,,cousin', // 7
      'M6,,,,', // 8
      'M7,2025-01-01', // 9
      '"M8","2025-01-01","2025-06-30","active","self"', // 10
      'M9,31/02/2025,,,', // 11
      ',,,,', // 12: nothing in it, skipped like a blank line
      'M10,2025-01-01,not a date,,', // 13
    ].join('\n'));
    expect(errors(all)).toEqual([
      '2: start "2026-13-01" is not a date (YYYY-MM-DD or DD/MM/YYYY)',
      '4: end 2024-12-31 is before start 2025-01-01',
      '5: member_id is missing',
      '6: status "lapsed" is not active or cancelled',
      '7: relationship "cousin" is not a subscriber-relationship code (self, spouse, child, parent, common, injured, other)',
      '8: start is missing',
      '9: has 2 fields where the header has 5',
      '11: start "31/02/2025" is not a date (YYYY-MM-DD or DD/MM/YYYY)',
      '13: end "not a date" is not a date (YYYY-MM-DD or DD/MM/YYYY)',
    ]);
    // The same facts in French: the same columns and values, never the member number.
    expect(errors(all, 'fr')).toEqual([
      '2: start "2026-13-01" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)',
      '4: end 2024-12-31 précède start 2025-01-01',
      '5: member_id : valeur absente',
      '6: status "lapsed" n\'est ni active ni cancelled',
      '7: relationship "cousin" n\'est pas un code de subscriber-relationship (self, spouse, child, parent, common, injured, other)',
      '8: start : valeur absente',
      '9: a 2 champs alors que l\'en-tête en a 5',
      '11: start "31/02/2025" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)',
      '13: end "not a date" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)',
    ]);
    expect(errors(all, 'fr').join('\n')).not.toMatch(/M1|M2|M4|M5|M6|M7|M9|M10/);
    expect(coverages(all).map((c) => [c.line, c.memberId])).toEqual([[10, 'M8']]);
    // A refused row still names its coverage, so a full import can keep it rather than end it.
    expect(all.find((r) => r.line === 2)).toEqual({ line: 2, error: { en: expect.any(String), fr: expect.any(String) }, coverageId: 'M1' });
  });

  it('takes a BOM, CRLF, semicolons (detected), DD/MM/YYYY dates and quoted fields spanning lines', async () => {
    const text = '\uFEFFmember_id;plan;start;end;note\r\nM1;"Plan; famille";1/2/2025;31/12/2025;"deux\r\nlignes"\r\n\r\nM2;B;15/03/2025;;x\r\n'
      + 'M3;C;2025-04-01;;"trois\n\nlignes"\r\nM4;D;xx;;\r\n';
    for (const chunkSize of [3, 65_536]) {
      const all = await csv(text, {}, chunkSize);
      expect(errors(all)).toEqual(['9: start "xx" is not a date (YYYY-MM-DD or DD/MM/YYYY)']);
      expect(coverages(all)).toEqual([
        { line: 2, coverageId: 'M1', memberSystem: SYSTEM, memberId: 'M1', plan: 'Plan; famille', periodStart: '2025-02-01', periodEnd: '2025-12-31', status: 'active' },
        { line: 5, coverageId: 'M2', memberSystem: SYSTEM, memberId: 'M2', plan: 'B', periodStart: '2025-03-15', status: 'active' },
        { line: 6, coverageId: 'M3', memberSystem: SYSTEM, memberId: 'M3', plan: 'C', periodStart: '2025-04-01', status: 'active' },
      ]);
    }
  });

  it("maps the insurer's own headers (case-insensitively) and names them in messages", async () => {
    const columns = { member_id: 'MATRICULE', start: 'DEBUT', end: 'Fin', plan: 'FORMULE' };
    const all = await csv('Matricule;NOM;DEBUT;FIN;FORMULE\nS-001;Ndiaye;01/01/2025;31/12/2025;IPM-A\nS-002;Ba;32/01/2025;;IPM-A\n', { columns });
    expect(coverages(all)).toEqual([
      { line: 2, coverageId: 'S-001', memberSystem: SYSTEM, memberId: 'S-001', plan: 'IPM-A', periodStart: '2025-01-01', periodEnd: '2025-12-31', status: 'active' },
    ]);
    expect(errors(all)).toEqual(['3: DEBUT "32/01/2025" is not a date (YYYY-MM-DD or DD/MM/YYYY)']);
    expect(errors(all, 'fr')).toEqual(['3: DEBUT "32/01/2025" n\'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)']);
  });

  it('uses the delimiter it is given over the detected one', async () => {
    const text = 'member_id,start,remarks;a;b;c\nM1,2025-01-01,x;y;z;w\n';
    await expect(csv(text)).rejects.toThrow('The header has no member_id column. Columns found: member_id,start,remarks, a, b, c.');
    expect(coverages(await csv(text, { delimiter: ',' })).map((c) => c.memberId)).toEqual(['M1']);
  });

  it('refuses a file it cannot read as a roster, saying why', async () => {
    await expect(csv('')).rejects.toThrow('The file is empty: a CSV roster starts with a header row (member_id, coverage_id, plan, start, end, status, relationship, subscriber_id)');
    await expect(csv('')).rejects.toBeInstanceOf(RosterFormatError);
    await expect(csv('MATRICULE,DEBUT\nM1,2025-01-01\n')).rejects.toThrow(
      'The header has no member_id column. Columns found: MATRICULE, DEBUT. Name yours with a column mapping (--column member_id=<your header>)');
    await expect(csv('member_id,start\n', { columns: { plan: 'FORMULE' } })).rejects.toThrow('The header has no "FORMULE" (mapped to plan) column');
    await expect(csv('member_id,start\n', { columns: { name: 'NOM' } as never })).rejects.toThrow('Unknown column "name" in the column mapping');
    await expect(csv('member_id,start,start\n')).rejects.toThrow('The header has 2 columns named "start"');
    await expect(csv('member_id,start\nM1,2025-01-01\n"M2,2025-01-01\nM3,2025-01-01\n')).rejects.toThrow(
      /^line 3 or after: a quoted field is never closed \(a missing quote\); the rest of the file cannot be read reliably$/);
  });

  it('says why a file is no roster in French too, the file\'s headers as they are', async () => {
    const french = async (text: string, options: Partial<RosterOptions> = {}) => {
      const failure: unknown = await csv(text, options).then(() => undefined, (err: unknown) => err);
      expect(failure).toBeInstanceOf(RosterFormatError);
      return (failure as RosterFormatError).text.fr;
    };
    expect(await french('')).toBe("Le fichier est vide : un fichier d'adhérents CSV commence par une ligne d'en-tête "
      + '(member_id, coverage_id, plan, start, end, status, relationship, subscriber_id)');
    expect(await french('MATRICULE,DEBUT\nM1,2025-01-01\n')).toBe("L'en-tête n'a pas de colonne member_id. Colonnes trouvées : MATRICULE, DEBUT. "
      + 'Nommez la vôtre avec une correspondance de colonnes (--column member_id=<votre en-tête>)');
    expect(await french('member_id,start\n', { columns: { plan: 'FORMULE' } })).toMatch(/^L'en-tête n'a pas de colonne « FORMULE » \(associée à plan\)\./);
    expect(await french('member_id,start\n', { columns: { name: 'NOM' } as never })).toMatch(/^Colonne « name » inconnue dans la correspondance des colonnes/);
    expect(await french('member_id,start,start\n')).toBe("L'en-tête a 2 colonnes nommées « start »");
    expect(await french('member_id,start\nM1,2025-01-01\n"M2,2025-01-01\nM3,2025-01-01\n'))
      .toBe("ligne 3 ou suivante : un champ entre guillemets n'est jamais fermé (il manque un guillemet) ; la suite du fichier ne peut pas être lue de façon fiable");
  });

  it('says a file without a header is one, quoting none of its first row (a member\'s data)', async () => {
    const headerless = 'M0042,2025-01-01,2025-12-31,DIOP Awa\nM0043,2025-01-01,2025-12-31,FALL Moussa\n';
    const refused = await csv(headerless).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RosterFormatError);
    const { text } = refused as RosterFormatError;
    expect(text.en).toBe("The first line holds a date, so it is a member's row, not a header: the file needs a header line naming its columns (member_id at least), e.g. member_id,start,end");
    expect(text.fr).toMatch(/^La première ligne contient une date : c'est la ligne d'un adhérent, pas un en-tête/);
    expect(JSON.stringify(text)).not.toMatch(/M0042|DIOP/);
  });

  it('takes a stray quote inside a field literally (names like O"Brien in columns it ignores)', async () => {
    const all = await csv('member_id,nom,start\nM1,O"Brien,2025-01-01\nM2,"Ba" junior,2025-01-01\n');
    expect(errors(all)).toEqual([]);
    expect(coverages(all).map((c) => c.memberId)).toEqual(['M1', 'M2']);
  });

  it('passes on an error of the input stream', async () => {
    async function* failing() {
      yield Buffer.from('member_id,start\nM1,2025-01-01\n');
      throw new Error('disk gone');
    }
    await expect(rows(parseCsvRoster(failing(), { memberSystem: SYSTEM }))).rejects.toThrow('disk gone');
  });
});

describe('the delimiter and date helpers', () => {
  it('detects the separator of the header line, outside quotes', () => {
    expect(detectDelimiter('member_id,start,end\n1;2;3;4;5;6\n')).toBe(',');
    expect(detectDelimiter('"member_id";"start"')).toBe(';');
    expect(detectDelimiter('"a,b,c";"start";"x"\n')).toBe(';');
    expect(detectDelimiter('member_id\n')).toBe(',');
  });

  it('normalises YYYY-MM-DD and DD/MM/YYYY calendar dates only', () => {
    expect(['2025-01-31', '31/01/2025', '1/2/2025', '29/02/2024'].map(rosterDate)).toEqual(['2025-01-31', '2025-01-31', '2025-02-01', '2024-02-29']);
    expect(['2025-02-29', '2025-1-31', '31/13/2025', '01/01/25', '2025/01/31', '0999-01-01', ' 2025-01-01'].map(rosterDate)).toEqual(Array(7).fill(undefined));
  });
});

describe('NDJSON rosters', () => {
  const patient = (id: string, member?: string) => ({ resourceType: 'Patient', id, name: [{ family: 'Diop' }], ...(member ? { identifier: [{ system: SYSTEM, value: member }] } : {}) });
  const coverage = (id: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'Coverage', id, status: 'active', beneficiary: { reference: `Patient/pat-${id}` },
    period: { start: '2025-01-01', end: '2025-12-31T23:59:59+00:00' },
    class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'group' }] }, value: 'G1' },
      { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'plan' }] }, value: 'GOLD' }],
    relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'spouse' }] },
    subscriberId: 'M0000',
    ...extra,
  });

  it("takes the member number from the Coverage's identifier, else from its beneficiary Patient on an earlier line", async () => {
    const all = await ndjson([
      patient('pat-c1', 'M0001'),
      coverage('c1'),
      '',
      coverage('c2', { identifier: [{ system: 'urn:other', value: 'X' }, { system: SYSTEM, value: 'M0002' }], beneficiary: { reference: 'Patient/unknown' } }),
      coverage('c3', { status: 'cancelled', period: { start: '2024-06' }, beneficiary: { identifier: { system: SYSTEM, value: 'M0003' } } }),
    ], 5);
    expect(errors(all)).toEqual([]);
    const common = { memberSystem: SYSTEM, relationship: 'spouse', subscriberId: 'M0000', plan: 'GOLD' };
    expect(coverages(all)).toEqual([
      { line: 2, coverageId: 'c1', memberId: 'M0001', status: 'active', periodStart: '2025-01-01', periodEnd: '2025-12-31', ...common },
      { line: 4, coverageId: 'c2', memberId: 'M0002', status: 'active', periodStart: '2025-01-01', periodEnd: '2025-12-31', ...common },
      { line: 5, coverageId: 'c3', memberId: 'M0003', status: 'cancelled', periodStart: '2024-06-01', ...common },
    ]);
  });

  it('forgets a Patient once its Coverage came, except for a second Coverage right after', async () => {
    const all = await ndjson([
      patient('pat-c1', 'M0001'),
      coverage('c1'),
      coverage('c1-dental', { beneficiary: { reference: 'Patient/pat-c1' } }),
      patient('pat-c2', 'M0002'),
      coverage('c2'),
      coverage('c1-late', { beneficiary: { reference: 'Patient/pat-c1' } }),
    ]);
    expect(coverages(all).map((c) => [c.coverageId, c.memberId])).toEqual([['c1', 'M0001'], ['c1-dental', 'M0001'], ['c2', 'M0002']]);
    expect(errors(all)).toEqual(['6: Coverage has no identifier with system urn:test:member and its beneficiary Patient is not on an earlier line']);
  });

  it('holds a bounded number of Patients waiting for their Coverage', async () => {
    const lines = [patient('pat-first', 'M0')];
    for (let i = 1; i <= 100_000; i++) lines.push(patient(`pat-${i}`, `M${i}`));
    const all = await ndjson([...lines, coverage('first'), coverage('100000')]);
    expect(coverages(all).map((c) => c.memberId)).toEqual(['M100000']);
    expect(errors(all)).toEqual(['100002: Coverage has no identifier with system urn:test:member and its beneficiary Patient is not on an earlier line']);
  });

  it('reports each bad line with its number and the element at fault', async () => {
    const all = await ndjson([
      { resourceType: 'Claim', id: 'x' }, // 1
      '{"resourceType": "Coverage",', // 2
      '[1, 2]', // 3
      coverage('c4', { id: undefined }), // 4
      coverage('c5', { status: 'draft', identifier: [{ system: SYSTEM, value: 'M5' }] }), // 5
      coverage('c6', { identifier: [{ system: SYSTEM, value: 'M6' }], period: { start: '2025-02-30' } }), // 6
      coverage('c7', { identifier: [{ system: SYSTEM, value: 'M7' }], period: { start: '2025-03-01', end: '2025-02-01' } }), // 7
      patient('pat-c8'), // 8: no member identifier
      coverage('c8'), // 9
      { resourceType: 'Patient', identifier: [{ system: SYSTEM, value: 'M9' }] }, // 10
      coverage('c11', { identifier: [{ system: SYSTEM, value: 'M11' }], relationship: { coding: [{ code: 'cousin' }] } }), // 11
      coverage('c12', { beneficiary: undefined }), // 12
      coverage('c13', { identifier: [{ system: SYSTEM, value: 'M13' }], status: undefined }), // 13
    ]);
    expect(errors(all)).toEqual([
      '1: unsupported resourceType "Claim" (only Patient and Coverage)',
      '2: is not valid JSON',
      '3: is not a FHIR resource (a JSON object)',
      '4: Coverage has no id',
      '5: Coverage.status "draft" is not active or cancelled',
      '6: Coverage.period.start "2025-02-30" is not a FHIR date or dateTime',
      '7: Coverage.period.end 2025-02-01 is before Coverage.period.start 2025-03-01',
      '9: Coverage has no identifier with system urn:test:member and neither has its beneficiary Patient',
      '10: Patient has no id: no Coverage can refer to it',
      '11: Coverage.relationship "cousin" is not a subscriber-relationship code (self, spouse, child, parent, common, injured, other)',
      '12: Coverage has no identifier with system urn:test:member and no beneficiary',
      '13: Coverage.status is missing',
    ]);
    expect(errors(all, 'fr')).toEqual([
      '1: resourceType "Claim" non pris en charge (seulement Patient et Coverage)',
      "2: n'est pas du JSON valide",
      "3: n'est pas une ressource FHIR (un objet JSON)",
      "4: la Coverage n'a pas d'id",
      '5: Coverage.status "draft" n\'est ni active ni cancelled',
      '6: Coverage.period.start "2025-02-30" n\'est pas une date FHIR (date ou dateTime)',
      '7: Coverage.period.end 2025-02-01 précède Coverage.period.start 2025-03-01',
      "9: la Coverage n'a pas d'identifiant du système urn:test:member et son Patient bénéficiaire non plus",
      "10: le Patient n'a pas d'id : aucune Coverage ne peut y renvoyer",
      '11: Coverage.relationship "cousin" n\'est pas un code de subscriber-relationship (self, spouse, child, parent, common, injured, other)',
      "12: la Coverage n'a pas d'identifiant du système urn:test:member et pas de bénéficiaire",
      '13: Coverage.status : valeur absente',
    ]);
    expect(all.find((r) => r.line === 5)).toMatchObject({ coverageId: 'c5' });
  });

  it('skips a line longer than a record may be, whole, and reads on', async () => {
    const long = JSON.stringify(coverage('big', { note: 'x'.repeat(1_100_000) }));
    for (const chunkSize of [4096, 2_000_000]) {
      const all = await ndjson([coverage('a', { identifier: [{ system: SYSTEM, value: 'A' }] }), long, coverage('b', { identifier: [{ system: SYSTEM, value: 'B' }] })], chunkSize);
      expect(errors(all)).toEqual(['2: is longer than 1048576 bytes']);
      expect(errors(all, 'fr')).toEqual(['2: dépasse 1048576 octets']);
      expect(coverages(all).map((c) => c.memberId)).toEqual(['A', 'B']);
    }
  });
});
