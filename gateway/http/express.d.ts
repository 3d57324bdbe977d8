import type { Caller } from '../auth/tokens.js';

declare global {
  namespace Express {
    interface Request {
      /** The authenticated participant (set by authenticate()). */
      caller?: Caller;
      /** The request body's bytes (set by fhirJsonBody()). */
      rawBody?: Buffer;
    }
  }
}

export {};
