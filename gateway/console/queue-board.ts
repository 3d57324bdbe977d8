/**
 * The BullMQ dashboard (bull-board) under /admin/queues for operators, behind the operator API's
 * authentication (bearer token or console session) and the admin scope. Read-only: replays go through
 * the operator API, which checks and audits them; the dashboard shows queues and jobs (ids, never
 * patient data: jobs carry ids only). The queue list follows the registry's insurers.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { ADMIN_SCOPE } from '../auth/tokens.js';
import { gatewayError } from '../fhir/outcomes.js';
import type { QueueRegistry } from '../queue/queues.js';
import type { ParticipantRegistry } from '../participants/registry.js';
import { CALLBACK_QUEUE, deliveryQueueName, ELIGIBILITY_QUEUE, INSURER_EXCHANGE_QUEUE, INSURER_POLL_QUEUE, REGISTRY_SYNC_QUEUE } from '../../workers/jobs.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** The dashboard's handler; mount it at QUEUE_BOARD_PATH after authentication. */
export function queueBoard(queues: QueueRegistry, registry: ParticipantRegistry): RequestHandler {
  const server = new ExpressAdapter().setBasePath(QUEUE_BOARD_PATH);
  const board = createBullBoard({ queues: [], serverAdapter: server, options: { uiConfig: { boardTitle: 'Passerelle' } } });
  const handler = server.getRouter() as RequestHandler;
  let shown = '';
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!req.caller?.scopes.has(ADMIN_SCOPE)) throw gatewayError('insufficient-scope', { en: `The queue dashboard needs the scope ${ADMIN_SCOPE}`, fr: `Le tableau des files demande le scope ${ADMIN_SCOPE}` });
    const names = [...(await registry.insurers()).map((i) => deliveryQueueName(i.id)), CALLBACK_QUEUE, ELIGIBILITY_QUEUE, INSURER_EXCHANGE_QUEUE, INSURER_POLL_QUEUE, REGISTRY_SYNC_QUEUE];
    if (names.join() !== shown) {
      shown = names.join();
      board.replaceQueues(names.map((name) => new BullMQAdapter(queues.get(name), { readOnlyMode: true, allowRetries: false })));
    }
    handler(req, res, next);
  };
}
