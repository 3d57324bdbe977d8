/**
 * The layout of a csv-batch insurer's folder (the sandbox's <batchDir>/<insurerId>), and the file
 * operations on it. Every path is built from the folder and a checked name, so nothing is written
 * outside it whatever a claim id or a reply file says.
 *
 *   staging/<claimId>.csv        rows of a claim waiting for the next batch (no header)
 *   staging/<batch>.parts/       staged files a batch took, until its file is written
 *   awaiting/<claimId>.json      what the reply of a sent claim is checked against (sequences, currency)
 *   claims/<batch>.csv           batch files for the insurer (header + rows)
 *   replies/*.csv                reply files from the insurer; processed/ and rejected/ once read
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A claim id or reply key usable as a file name: no separators, no dot-dot, not hidden. */
export function isSafeName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) && !name.includes('..');
}

/** The paths of one insurer's folder. */
export function batchFolder(folder: string) {
  return {
    staging: join(folder, 'staging'),
    staged: (claimId: string) => join(folder, 'staging', `${checked(claimId)}.csv`),
    parts: (batch: string) => join(folder, 'staging', `${checked(batch)}.parts`),
    awaiting: (claimId: string) => join(folder, 'awaiting', `${checked(claimId)}.json`),
    claims: join(folder, 'claims'),
    batch: (batch: string) => join(folder, 'claims', `${checked(batch)}.csv`),
    replies: join(folder, 'replies'),
    processed: join(folder, 'replies', 'processed'),
    rejected: join(folder, 'replies', 'rejected'),
  };
}

function checked(name: string): string {
  if (!isSafeName(name)) throw new Error(`"${name.slice(0, 64)}" cannot name a file of the batch folder`);
  return name;
}

/** Writes a file whole or not at all: to <file>.tmp, then renamed (readers skip .tmp files). */
export async function writeAtomically(file: string, content: string): Promise<void> {
  await writeFile(`${file}.tmp`, content, 'utf8');
  await rename(`${file}.tmp`, file);
}

/**
 * Moves a file into a folder (created as needed), keeping its name unless one is there already. A file
 * already gone was moved by another reader of the folder: nothing to do.
 */
export async function moveInto(file: string, name: string, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  let target = join(folder, name);
  if (await exists(target)) target = join(folder, `${name}.${Date.now()}`);
  try {
    await rename(file, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** True when the path exists. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** A batch file name: claims-<UTC yyyyMMddTHHmmssSSS>-<4 hex>. */
export function batchName(now: Date, hex: string): string {
  return `claims-${now.toISOString().replace(/[-:.Z]/g, '')}-${hex}`;
}
