/**
 * The outgoing half of the csv-batch transport: a claim's rows are staged when it is delivered, and
 * sendBatch gathers every staged claim into one batch file for the insurer. A batch first takes its
 * staged files by renaming them into its own parts folder (only one sender can win a rename), so two
 * senders never put a claim in two batches; parts left by a crash are finished on the next call.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Claim } from '@medplum/fhirtypes';
import { batchFolder, batchName, exists, writeAtomically } from './batch-folder.js';
import { csvHeader, csvLines, csvRows } from './csv-records.js';
import type { AnsweredClaim } from './map-reply.js';
import type { MappingSpec } from './spec-schema.js';

/** How old a batch's parts folder must be to count as left by a crash. */
const LEFTOVER_AFTER_MS = 10 * 60_000;

/**
 * Stages a mapped claim for the next batch (the same claim again replaces its rows), with what its
 * reply will be checked against: the claim's type, use, patient reference, items and total.
 */
export async function stageClaim(spec: MappingSpec, folder: string, claimId: string, record: Readonly<Record<string, unknown>>, claim: Claim): Promise<void> {
  const paths = batchFolder(folder);
  await mkdir(paths.staging, { recursive: true });
  await mkdir(join(folder, 'awaiting'), { recursive: true });
  const awaiting: AnsweredClaim = {
    type: claim.type, use: claim.use, patient: claim.patient,
    item: (claim.item ?? []).map((i) => ({ sequence: i.sequence, net: i.net, unitPrice: i.unitPrice })),
    ...(claim.total ? { total: claim.total } : {}),
  };
  // The reply's reference first: a batch may go out as soon as the rows are staged.
  await writeAtomically(paths.awaiting(claimId), JSON.stringify(awaiting));
  await writeAtomically(paths.staged(claimId), csvLines(spec, csvRows(spec, record)));
}

/** Writes one batch file with every staged claim; returns how many claims it holds (0: no file written). */
export async function sendBatch(spec: MappingSpec, folder: string, now = new Date()): Promise<number> {
  const paths = batchFolder(folder);
  await mkdir(paths.staging, { recursive: true });
  await mkdir(paths.claims, { recursive: true });
  let sent = 0;
  for (const leftover of (await readdir(paths.staging)).filter((n) => n.endsWith('.parts'))) {
    // A recent parts folder may be another sender's, still at work.
    if ((await stat(join(paths.staging, leftover))).mtimeMs < now.getTime() - LEFTOVER_AFTER_MS) {
      sent += await finishBatch(spec, folder, leftover.slice(0, -'.parts'.length));
    }
  }
  const batch = batchName(now, randomBytes(2).toString('hex'));
  const parts = paths.parts(batch);
  await mkdir(parts);
  let taken = 0;
  for (const name of (await readdir(paths.staging)).filter((n) => n.endsWith('.csv'))) {
    try {
      await rename(join(paths.staging, name), join(parts, name));
      taken++;
    } catch (err) {
      // Another sender took it first.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  if (taken === 0) {
    await rm(parts, { recursive: true, force: true });
    return sent;
  }
  return sent + (await finishBatch(spec, folder, batch));
}

/**
 * Writes the batch file of a parts folder unless it was written already (a crash before the parts were
 * removed), then removes the parts; returns how many claims the file it wrote holds.
 */
async function finishBatch(spec: MappingSpec, folder: string, batch: string): Promise<number> {
  const paths = batchFolder(folder);
  const parts = paths.parts(batch);
  const names = (await readdir(parts)).filter((n) => n.endsWith('.csv')).sort();
  let written = 0;
  if (names.length > 0 && !(await exists(paths.batch(batch)))) {
    const rows = await Promise.all(names.map((n) => readFile(join(parts, n), 'utf8')));
    await writeAtomically(paths.batch(batch), csvLines(spec, [csvHeader(spec)]) + rows.join(''));
    written = names.length;
  }
  await rm(parts, { recursive: true, force: true });
  return written;
}
