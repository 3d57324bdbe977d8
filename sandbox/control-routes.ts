// The control API under /_control: fault injection, member changes, counters and reset, for tests and
// demos. Mounted only when the sandbox is started with control: true.
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { SandboxContext } from './context.js';
import { FAULT_OPERATIONS, FAULT_REPLIES } from './fault-injection.js';
import { sendFhir } from './fhir-http.js';
import { errorIssue, outcomeAnswer } from './outcomes.js';
import { runPayments } from './payments.js';

const waitMs = z.number().int().min(0).max(600_000);

const faultSchema = z.strictObject({
  insurer: z.string().min(1).optional(),
  operation: z.enum(FAULT_OPERATIONS).optional(),
  // No default here: without a status, a rule with delayMs is a slow but correct insurer (see addFault).
  status: z.number().int().min(400).max(599).optional(),
  count: z.number().int().min(1).max(100_000).default(1),
  hangMs: waitMs.optional(),
  delayMs: waitMs.optional(),
  // A corrupted 200 reply: only the IPM JSON API has a format to corrupt, and a status would replace it.
  reply: z.enum(FAULT_REPLIES).optional(),
})
  .refine((f) => f.reply === undefined || f.operation === 'ipm/claims', { message: 'reply needs operation "ipm/claims"', path: ['reply'] })
  .refine((f) => f.reply === undefined || f.status === undefined, { message: 'give reply or status, not both', path: ['reply'] });

const memberSchema = z.strictObject({
  insurer: z.string().min(1),
  // Coverage ids are cov-<member>, and FHIR ids are at most 64 letters, digits, dashes and dots.
  member: z.string().regex(/^[A-Za-z0-9.-]{1,60}$/, 'member: 1 to 60 letters, digits, dots or dashes'),
  period: z
    .strictObject({ start: z.iso.date(), end: z.iso.date() })
    .refine((p) => p.start <= p.end, { message: 'period.start must not be after period.end' })
    .optional(),
  status: z.enum(['active', 'cancelled']).optional(),
  plan: z.string().min(1).max(64).optional(),
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
  router.post('/members', (req: Request, res: Response) => changeMember(ctx, req, res));
  router.post('/payments', (req: Request, res: Response) => payments(ctx, req, res));
  router.get('/members', (_req: Request, res: Response) => {
    const members = Object.fromEntries(ctx.registry.list().map((i) => [i.id, ctx.registry.overlay.byChange(i.id)]));
    res.json({ members });
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
  // Every openIMIS token issued so far stops working: the next request with one gets 401.
  router.post('/openimis/revoke-tokens', (_req: Request, res: Response) => {
    ctx.openimis.tokens.revokeAll();
    res.status(204).end();
  });
  router.get('/stats', (_req: Request, res: Response) => {
    res.json({ ...ctx.stats.snapshot(), ...ctx.flat.stats() });
  });
  router.post('/reset', (_req: Request, res: Response) => {
    ctx.stats.reset();
    ctx.faults.clear();
    ctx.idempotency.clear();
    ctx.answers.clear();
    ctx.registry.overlay.clear();
    ctx.flat.reset();
    ctx.openimis.claims.clear();
    res.status(204).end();
  });
  return router;
}

function invalidBody(res: Response, error: z.ZodError, root: string): void {
  const issues = error.issues.map((i) => errorIssue('invalid', i.message, [root, ...i.path.map(String)].join('.')));
  sendFhir(res, outcomeAnswer(400, issues));
}

function addFault(ctx: SandboxContext, req: Request, res: Response): void {
  const parsed = faultSchema.safeParse(req.body ?? {});
  if (!parsed.success) {
    invalidBody(res, parsed.error, 'fault');
    return;
  }
  const { insurer, operation, count, hangMs, delayMs, reply } = parsed.data;
  // 503 unless the rule only slows the insurer down (delayMs alone answers normally) or corrupts its reply.
  const status = parsed.data.status ?? (delayMs === undefined && reply === undefined ? 503 : undefined);
  ctx.faults.add({
    count,
    ...(insurer ? { insurer } : {}),
    ...(operation ? { operation } : {}),
    ...(status === undefined ? {} : { status }),
    ...(hangMs === undefined ? {} : { hangMs }),
    ...(delayMs === undefined ? {} : { delayMs }),
    ...(reply === undefined ? {} : { reply }),
  });
  res.status(201).json({ faults: ctx.faults.list() });
}

function changeMember(ctx: SandboxContext, req: Request, res: Response): void {
  const parsed = memberSchema.safeParse(req.body ?? {});
  if (!parsed.success) {
    invalidBody(res, parsed.error, 'member');
    return;
  }
  const { insurer: insurerId, ...change } = parsed.data;
  const insurer = ctx.registry.get(insurerId);
  if (!insurer) {
    sendFhir(res, outcomeAnswer(400, [errorIssue('invalid', `Unknown insurer ${JSON.stringify(insurerId)}.`, 'member.insurer')]));
    return;
  }
  const member = ctx.registry.changeMember(insurer, change);
  res.status(201).json({ insurer: insurer.id, member: member.identifier.value, ...member });
}

const paymentRunSchema = z.strictObject({ insurer: z.string().min(1) });

/** POST /_control/payments: a payment run of one insurer (payments.ts); answers what was paid. */
async function payments(ctx: SandboxContext, req: Request, res: Response): Promise<void> {
  const parsed = paymentRunSchema.safeParse(req.body);
  if (!parsed.success || !ctx.registry.get(parsed.data.insurer)) {
    sendFhir(res, outcomeAnswer(400, [errorIssue('invalid', parsed.success ? `Unknown insurer ${JSON.stringify(parsed.data.insurer)}.` : 'Give {"insurer": "<id>"}.')]));
    return;
  }
  try {
    res.json(await runPayments(ctx, parsed.data.insurer));
  } catch (err) {
    sendFhir(res, outcomeAnswer(502, [errorIssue('exception', `The payment run could not post to the gateway: ${(err as Error).message}`)]));
  }
}
