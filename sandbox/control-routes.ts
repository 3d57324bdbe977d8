// The control API under /_control: fault injection, counters and reset, for tests and demos.
// Mounted only when the sandbox is started with control: true.
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { sendFhir } from './fhir-http.js';
import { errorIssue, outcomeAnswer } from './outcomes.js';

const faultSchema = z.strictObject({
  insurer: z.string().min(1).optional(),
  status: z.number().int().min(400).max(599).default(503),
  count: z.number().int().min(1).max(100_000).default(1),
  hangMs: z.number().int().min(0).max(600_000).optional(),
});

/** Router for /_control. */
export function controlRouter(ctx: SandboxContext): Router {
  const router = express.Router();
  router.post('/faults', (req: Request, res: Response) => addFault(ctx, req, res));
  router.get('/faults', (_req: Request, res: Response) => {
    res.json({ faults: ctx.faults.list() });
  });
  router.delete('/faults', (_req: Request, res: Response) => {
    ctx.faults.clear();
    res.json({ faults: [] });
  });
  router.post('/pended-posting', (req: Request, res: Response) => {
    const enabled = (req.body as { enabled?: unknown } | undefined)?.enabled;
    if (typeof enabled !== 'boolean') {
      sendFhir(res, outcomeAnswer(400, [errorIssue('invalid', 'Give {"enabled": true|false}', 'enabled')]));
      return;
    }
    ctx.answers.postPended = enabled;
    res.json({ enabled });
  });
  router.get('/stats', (_req: Request, res: Response) => {
    res.json(ctx.stats.snapshot());
  });
  router.post('/reset', (_req: Request, res: Response) => {
    ctx.stats.reset();
    ctx.faults.clear();
    ctx.idempotency.clear();
    ctx.answers.clear();
    res.status(204).end();
  });
  return router;
}

function addFault(ctx: SandboxContext, req: Request, res: Response): void {
  const parsed = faultSchema.safeParse(req.body ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => errorIssue('invalid', i.message, ['fault', ...i.path.map(String)].join('.')));
    sendFhir(res, outcomeAnswer(400, issues));
    return;
  }
  const { insurer, status, count, hangMs } = parsed.data;
  ctx.faults.add({ status, count, ...(insurer ? { insurer } : {}), ...(hangMs === undefined ? {} : { hangMs }) });
  res.status(201).json({ faults: ctx.faults.list() });
}
