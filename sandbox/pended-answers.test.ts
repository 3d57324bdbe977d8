import { jest } from '@jest/globals';
import type { ClaimResponse } from '@medplum/fhirtypes';
import { pino } from 'pino';
import { PendedAnswers, type PendedAnswersDeps } from './pended-answers.js';

// Jest's fake timers make the delay deterministic: no real waiting and no race with the clock.
const finalAnswer = { resourceType: 'ClaimResponse', id: 'response-1', outcome: 'complete' } as ClaimResponse;

function scheduler(deliver: PendedAnswersDeps['deliver']): { answers: PendedAnswers; posted: jest.Mock<() => void> } {
  const posted = jest.fn<() => void>();
  const answers = new PendedAnswers({ delayMs: 2000, deliver, onPosted: posted, record: () => undefined, posting: () => true, logger: pino({ level: 'silent' }) });
  return { answers, posted };
}

const pendedClaim = { insurerId: 'demo-insurer', claimId: 'claim-1', adjudicate: () => finalAnswer };

describe('pended answers', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('delivers the final answer once the delay is over, not before', async () => {
    const deliver = jest.fn<PendedAnswersDeps['deliver']>().mockResolvedValue(undefined);
    const { answers, posted } = scheduler(deliver);
    answers.schedule(pendedClaim);

    await jest.advanceTimersByTimeAsync(1999);
    expect(deliver).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(deliver).toHaveBeenCalledWith('demo-insurer', finalAnswer, expect.any(AbortSignal));
    expect(posted).toHaveBeenCalledTimes(1);
    await answers.close();
  });

  test('a failed delivery is logged, not counted, and does not throw', async () => {
    const deliver = jest.fn<PendedAnswersDeps['deliver']>().mockRejectedValue(new Error('gateway unreachable'));
    const { answers, posted } = scheduler(deliver);
    answers.schedule(pendedClaim);

    await jest.advanceTimersByTimeAsync(2000);
    expect(deliver).toHaveBeenCalledTimes(1);
    expect(posted).not.toHaveBeenCalled();
    await answers.close();
  });

  test('close() cancels waiting answers and ignores later ones', async () => {
    const deliver = jest.fn<PendedAnswersDeps['deliver']>().mockResolvedValue(undefined);
    const { answers } = scheduler(deliver);
    answers.schedule(pendedClaim);
    await jest.advanceTimersByTimeAsync(1000);

    await answers.close();
    answers.schedule(pendedClaim);
    // Judged by behaviour, not by the process-wide timer count (other libraries own timers too):
    // had close() left the first answer or taken the second, the clock would now deliver one.
    await jest.advanceTimersByTimeAsync(10_000);
    expect(deliver).not.toHaveBeenCalled();
  });

  test('close() aborts a delivery in flight and waits for it to settle', async () => {
    let seen: AbortSignal | undefined;
    const deliver = jest.fn<PendedAnswersDeps['deliver']>(
      (_insurer, _response, signal) =>
        new Promise<void>((_resolve, reject) => {
          seen = signal;
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    );
    const { answers, posted } = scheduler(deliver);
    answers.schedule(pendedClaim);
    await jest.advanceTimersByTimeAsync(2000);

    await answers.close();
    expect(seen?.aborted).toBe(true);
    expect(posted).not.toHaveBeenCalled();
  });
});
