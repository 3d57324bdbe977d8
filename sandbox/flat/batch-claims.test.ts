// Reading a claims file into claims: grouping by claim_ref and the per-claim checks, worded with the
// file's own column names and rows.
import { batchClaims } from './batch-claims.js';
import { BatchFileError, CLAIM_COLUMNS, readClaimsFile } from './batch-csv.js';

const HEADER = CLAIM_COLUMNS.join(';');

function claimsOf(...rows: string[]) {
  return batchClaims(readClaimsFile(Buffer.from([HEADER, ...rows].join('\r\n'))));
}

describe('batch claims', () => {
  test('groups rows by claim_ref in order of first appearance, interleaved or not', () => {
    const claims = claimsOf(
      'c-1;clinic;M0042;2025-03-14;;1;CONS01;1;15000;15000',
      'c-2;clinic;M0043;2025-03-14;;1;CONS01;1;15000;15000',
      'c-1;clinic;M0042;2025-03-14;;2;LAB01;1.5;2000;3000',
    );

    expect(claims.map((c) => c.claimRef)).toEqual(['c-1', 'c-2']);
    expect(claims[0]).toMatchObject({
      record: { memberNumber: 'M0042', totalAmount: 18000, lines: [{ lineNo: 1 }, { lineNo: 2, quantity: 1.5, amount: 3000 }] },
    });
  });

  test('an invalid claim names each column at fault with its row; the others are unaffected', () => {
    const claims = claimsOf(
      'c-1;clinic;M0042;2025-03-14;;1;CONS01;1;15000;15000',
      'c-1;other-clinic;M0042;2025-03-14;;1;CONS01;1,5;15 000;15000',
      'c-2;clinic;M0043;2025-03-14;;1;CONS01;1;15000;15000',
    );

    expect(claims[0]).toEqual({
      claimRef: 'c-1',
      invalid:
        "Invalid record: provider_code differs between the claim's rows, quantity on row 3 must be a number above 0, " +
        'unit_price on row 3 must be a whole number of francs (0 or more), line_no on row 3 must be unique within the claim.',
    });
    expect(claims[1]).toHaveProperty('record');
  });

  test('a file without a header, or with a repeated column, cannot be read', () => {
    expect(() => readClaimsFile(Buffer.from(''))).toThrow(BatchFileError);
    expect(() => readClaimsFile(Buffer.from(`${HEADER};amount\r\n`))).toThrow(/repeats the column\(s\) amount/);
    expect(() => readClaimsFile(Buffer.from([0xff, 0xfe, 0x41]))).toThrow(/not valid UTF-8/);
  });

  test('diagnosis_code may be left out of the header; extra columns are ignored', () => {
    const header = CLAIM_COLUMNS.filter((c) => c !== 'diagnosis_code').join(';') + ';note';
    const claims = batchClaims(readClaimsFile(Buffer.from(`${header}\r\nc-1;clinic;M0042;2025-03-14;1;CONS01;1;15000;15000;hello\r\n`)));

    expect(claims).toEqual([expect.objectContaining({ claimRef: 'c-1', record: expect.not.objectContaining({ diagnosisCode: expect.anything() }) })]);
  });
});
