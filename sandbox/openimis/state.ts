// The openIMIS face's in-memory state, one per sandbox: its tokens and its claims.
import { OpenImisClaims } from './claim-store.js';
import { OpenImisTokens } from './tokens.js';

/** Tokens (with their signing secret and revocations) and claims of the openIMIS face. */
export class OpenImisState {
  readonly tokens = new OpenImisTokens();
  readonly claims = new OpenImisClaims();
}
