/**
 * Signed replies from insurers: an insurer whose OAuth client registered public keys signs every
 * ClaimResponse it posts with a detached JWS over the exact body bytes (header Passerelle-JWS, the same
 * form as the gateway's own pushes). The gateway checks it against those keys; an insurer without
 * registered keys is not asked for one. A missing, forged or stale signature is refused.
 */
import { errors as joseErrors, flattenedVerify } from 'jose';
import { gatewayError, type Bilingual } from '../fhir/outcomes.js';
import type { ClientStore } from './clients.js';
import type { ClientKeySets } from './client-assertion.js';

export const REPLY_JWS_HEADER = 'Passerelle-JWS';
const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384'];
/** How far the signature's iat may be from now, in seconds (replay window). */
const MAX_AGE_S = 300;

/** Throws 401 signature-invalid unless the body carries a valid signature, when the client registered keys. */
export async function verifyReplySignature(
  clientId: string, rawBody: Buffer, jws: string | undefined, deps: { clients: ClientStore; keySets: ClientKeySets },
): Promise<void> {
  const client = await deps.clients.find(clientId);
  if (!client?.jwks && !client?.jwksUrl) return;
  const refuse = (why: Bilingual) => gatewayError('signature-invalid', {
    en: `${why.en}: an insurer with registered keys signs each reply with a detached JWS over the body, in ${REPLY_JWS_HEADER}`,
    fr: `${why.fr} : un assureur dont les clés sont enregistrées signe chaque réponse d'un JWS détaché portant sur le corps, dans ${REPLY_JWS_HEADER}`,
  });
  const [encodedHeader, payload, signature, ...extra] = (jws ?? '').split('.');
  if (!jws) throw refuse({ en: 'The reply is not signed', fr: "La réponse n'est pas signée" });
  if (!encodedHeader || payload !== '' || !signature || extra.length > 0) throw refuse({ en: 'The signature is not a detached compact JWS (header..signature)', fr: "La signature n'est pas un JWS compact détaché (header..signature)" });
  let iat: unknown;
  try {
    const verified = await flattenedVerify({ protected: encodedHeader, payload: rawBody.toString('base64url'), signature }, deps.keySets.keysOf(client), { algorithms: ALGORITHMS });
    iat = verified.protectedHeader?.iat;
  } catch (err) {
    if (err instanceof joseErrors.JOSEError) throw refuse({ en: `The signature does not verify with this insurer's registered keys (${err.code})`, fr: `La signature ne se vérifie pas avec les clés enregistrées de cet assureur (${err.code})` });
    throw err;
  }
  if (typeof iat !== 'number' || Math.abs(Date.now() / 1000 - iat) > MAX_AGE_S) throw refuse({
    en: `The signature's protected header needs an iat (seconds) within ${MAX_AGE_S} s of now`,
    fr: `L'en-tête protégé de la signature doit porter un iat (en secondes) à moins de ${MAX_AGE_S} s de l'heure actuelle`,
  });
}
