/**
 * The incoming half of the csv-batch transport: the insurer's reply files, each claim in them mapped to
 * a ClaimResponse. A file that cannot be read is one problem (and goes to replies/rejected/ when
 * acknowledged); a claim that cannot be mapped is one problem, the file's other claims still answered.
 * Acknowledged files go to replies/processed/, and claims finally answered stop awaiting.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { PendingResponses } from '../adapter.js';
import { batchFolder, isSafeName, moveInto } from './batch-folder.js';
import { csvReplyDocuments, type CsvReplyDocument } from './csv-replies.js';
import { mapReply, type AnsweredClaim } from './map-reply.js';
import { ReplyError } from './reply-error.js';
import type { MappingSpec } from './spec-schema.js';

type Answer = PendingResponses['answers'][number];
type Problem = PendingResponses['problems'][number];

/** Reads every reply file of the folder (not .tmp files, not those already moved aside). */
export async function readReplies(spec: MappingSpec, folder: string): Promise<PendingResponses> {
  const paths = batchFolder(folder);
  await mkdir(paths.replies, { recursive: true });
  const entries = await readdir(paths.replies, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.csv')).map((e) => e.name).sort();
  const answers: Answer[] = [];
  const problems: Problem[] = [];
  const read: string[] = [];
  const rejected: string[] = [];
  for (const name of files) {
    const source = `replies/${name}`;
    const documents = await documentsOf(spec, join(paths.replies, name), source);
    if ('problem' in documents) {
      problems.push({ source, message: documents.problem });
      rejected.push(name);
      continue;
    }
    for (const { key, document } of documents.found) {
      try {
        answers.push({ ...(await answerOf(spec, paths, key, document)), source: `${source}#${key}` });
      } catch (err) {
        if (!(err instanceof ReplyError)) throw err;
        problems.push({ source: `${source}#${key}`, message: err.message });
      }
    }
    read.push(name);
  }
  const finished = answers.filter((a) => a.claimResponse.outcome !== 'queued').map((a) => a.claimId);
  return {
    answers, problems,
    async acknowledge() {
      for (const name of read) await moveInto(join(paths.replies, name), name, paths.processed);
      for (const name of rejected) await moveInto(join(paths.replies, name), name, paths.rejected);
      // A claim with its final answer recorded no longer awaits one.
      for (const claimId of finished) await rm(paths.awaiting(claimId), { force: true });
    },
  };
}

/** The claims' documents of a reply file, or why the file cannot be read. */
async function documentsOf(spec: MappingSpec, file: string, source: string): Promise<{ found: CsvReplyDocument[] } | { problem: string }> {
  try {
    return { found: csvReplyDocuments(spec, await readFile(file, 'utf8'), source) };
  } catch (err) {
    if (err instanceof ReplyError) return { problem: err.message };
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    return { problem: `reply file ${source} cannot be read (${code})` };
  }
}

/** One claim's reply, read against the claim as it was sent. */
async function answerOf(spec: MappingSpec, paths: ReturnType<typeof batchFolder>, key: string, document: unknown): Promise<Omit<Answer, 'source'>> {
  if (!isSafeName(key)) throw new ReplyError(`the reply names a claim reference that is not a claim id of this gateway`);
  let claim: AnsweredClaim;
  try {
    claim = JSON.parse(await readFile(paths.awaiting(key), 'utf8')) as AnsweredClaim;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ReplyError(`the reply is for claim ${key}, which this gateway did not send to the insurer or whose final answer it already recorded`);
    }
    throw new ReplyError(`the gateway's record of claim ${key} (awaiting/${key}.json) cannot be read`, { cause: err });
  }
  const { claimId, claimResponse } = mapReply(spec, document, claim, { claimId: key });
  return { claimId, claimResponse };
}
