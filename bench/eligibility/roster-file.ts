/**
 * The benchmark's synthetic roster: a million members of a Senegalese IPM as its own CSV export would
 * list them (fake names, DD/MM/YYYY dates, families of four sharing a subscriber). The same members
 * feed the baseline, already in the registry's shape, so both sides write identical rows.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { RegistryCoverage } from '../../gateway/eligibility/member-store.js';

export const BENCH_MEMBER_SYSTEM = 'urn:bench:ipm:member';
const FAMILY_NAMES = ['Diop', 'Ndiaye', 'Fall', 'Sow', 'Ba', 'Gueye', 'Faye', 'Sarr', 'Diallo', 'Mbaye', 'Thiam', 'Seck'];
const GIVEN_NAMES = ['Awa', 'Moussa', 'Fatou', 'Mamadou', 'Aminata', 'Ousmane', 'Khady', 'Cheikh', 'Coumba', 'Ibrahima'];
const PLANS = ['IPM-STANDARD', 'IPM-PLUS', 'IPM-FAMILLE'];
const RELATIONSHIPS = ['self', 'spouse', 'child', 'child'];

/** The member number of member i (0-based). */
export function benchMemberId(i: number): string {
  return `SN${String(i).padStart(7, '0')}`;
}

/** Member i as the registry stores it. */
export function benchCoverage(i: number): RegistryCoverage {
  const principal = i - (i % 4);
  const month = (i % 12) + 1;
  const cancelled = i % 50 === 49;
  return {
    coverageId: `COV-${String(i).padStart(7, '0')}`, memberSystem: BENCH_MEMBER_SYSTEM, memberId: benchMemberId(i),
    ...(i % 4 === 0 ? {} : { subscriberId: benchMemberId(principal) }), relationship: RELATIONSHIPS[i % 4]!,
    plan: PLANS[principal % PLANS.length]!, status: cancelled ? 'cancelled' : 'active',
    periodStart: `${2023 + (i % 3)}-${String(month).padStart(2, '0')}-01`, ...(i % 3 === 0 ? { periodEnd: `${2027 + (i % 2)}-12-31` } : {}),
  };
}

const HEADER = 'member_id,coverage_id,nom,prenom,date_naissance,plan,start,end,status,relationship,subscriber_id\n';

/** DD/MM/YYYY, as the insurer's export writes dates. */
function french(date: string | undefined): string {
  if (!date) return '';
  const [y, m, d] = date.split('-');
  return `${d}/${m}/${y}`;
}

function csvLine(i: number): string {
  const c = benchCoverage(i);
  const birth = `${String((i % 28) + 1).padStart(2, '0')}/${String((i % 12) + 1).padStart(2, '0')}/${1950 + (i % 60)}`;
  return `${c.memberId},${c.coverageId},${FAMILY_NAMES[i % FAMILY_NAMES.length]},${GIVEN_NAMES[i % GIVEN_NAMES.length]},${birth},${c.plan},`
    + `${french(c.periodStart)},${french(c.periodEnd)},${c.status},${c.relationship ?? ''},${c.subscriberId ?? ''}\n`;
}

/** Writes the roster of members 0..count-1 to a file, streamed; returns its size in bytes. */
export async function writeBenchRoster(path: string, count: number): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(HEADER);
  for (let i = 0; i < count; i += 1000) {
    let chunk = '';
    for (let j = i; j < Math.min(count, i + 1000); j++) chunk += csvLine(j);
    await write(chunk);
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}
