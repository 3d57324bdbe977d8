// Routes under /{insurerId}/export: the member registry as files for the gateway's synced mode (see
// member-exports.ts). Answers are streamed in chunks, waiting for the socket to drain, and stop as soon
// as the client goes away or the sandbox closes.
import { once } from 'node:events';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import express, { type Request, type Response, type Router } from 'express';
import type { SandboxContext } from './context.js';
import { sendFhir } from './fhir-http.js';
import { membersByNumber } from './member-listing.js';
import { csvLines, ndjsonLines, take } from './member-exports.js';
import type { RegistryMember } from './members.js';
import { errorIssue, notFound, outcomeAnswer } from './outcomes.js';
import type { InsurerSeed } from './seed.js';

type InsurerRequest = Request<{ insurerId: string }>;
type Lines = (insurer: InsurerSeed, members: Iterable<RegistryMember>) => Iterable<string>;

/** Bytes (roughly: UTF-16 units) gathered before each write. */
const CHUNK_SIZE = 64 * 1024;

/** Router for every insurer, mounted at /:insurerId/export. */
export function exportRouter(ctx: SandboxContext): Router {
  const router = express.Router({ mergeParams: true });
  router.get('/members.ndjson', exportRoute(ctx, 'application/fhir+ndjson', ndjsonLines));
  router.get('/members.csv', exportRoute(ctx, 'text/csv; charset=utf-8', csvLines));
  return router;
}

/** Reads `?limit=N`, the only parameter; anything else is refused so a typo is not silently ignored. */
function readLimit(query: Record<string, unknown>): { limit?: number } | { issue: OperationOutcomeIssue } {
  const unknown = Object.keys(query).find((k) => k !== 'limit');
  if (unknown !== undefined) {
    return { issue: errorIssue('not-supported', `Unknown parameter ${JSON.stringify(unknown)}; the export takes limit only.`) };
  }
  const { limit } = query;
  if (limit === undefined) return {};
  if (typeof limit !== 'string' || !/^\d{1,9}$/.test(limit)) {
    return { issue: errorIssue('invalid', 'limit must be a whole number of members.') };
  }
  return { limit: Number(limit) };
}

function exportRoute(ctx: SandboxContext, contentType: string, lines: Lines) {
  return async (req: InsurerRequest, res: Response): Promise<void> => {
    const insurer = ctx.registry.get(req.params.insurerId);
    if (!insurer) {
      sendFhir(res, notFound(`Unknown insurer ${JSON.stringify(req.params.insurerId)}.`));
      return;
    }
    const read = readLimit(req.query as Record<string, unknown>);
    if ('issue' in read) {
      sendFhir(res, outcomeAnswer(400, [read.issue]));
      return;
    }
    res.status(200).type(contentType);
    await stream(res, lines(insurer, take(membersByNumber(ctx.registry, insurer), read.limit)), ctx.closing);
  };
}

/** Writes lines in chunks, honouring back-pressure; gives up quietly when the client or server goes. */
async function stream(res: Response, lines: Iterable<string>, closing: AbortSignal): Promise<void> {
  const gone = new AbortController();
  res.once('close', () => gone.abort());
  const signal = AbortSignal.any([gone.signal, closing]);
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length < CHUNK_SIZE) continue;
    const flushed = res.write(chunk);
    chunk = '';
    const drained = flushed || (await once(res, 'drain', { signal }).then(() => true, () => false));
    if (!drained || signal.aborted) {
      // The client went away (nothing left to do) or the sandbox is closing (drop the connection).
      res.destroy();
      return;
    }
  }
  res.end(chunk);
}
