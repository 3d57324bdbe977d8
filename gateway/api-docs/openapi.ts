/**
 * The OpenAPI 3 description of every endpoint, served at /openapi.json and browsable at /docs. A test
 * checks it against the routes the app really has, both ways. Every text a person reads is in English
 * and French ({ en, fr }); the document is built once per language (openApiDocument(url, language)).
 */
import type { Bilingual } from '../fhir/outcomes.js';
import type { Language } from '../validation/rules.js';

export type Operation = { summary: Bilingual; tag: Tag; auth?: 'bearer' | 'none'; scope?: string; body?: 'fhir' | 'form' | 'json'; query?: string[]; ok: string; errors?: number[] };

/** The groups of operations (their names stay the same in both languages: code generators name classes after them). */
const TAGS = {
  Operations: { en: 'Health, readiness, metrics and this description', fr: 'Santé, disponibilité, métriques et cette description' },
  Security: { en: 'Public keys, SMART discovery and access tokens', fr: "Clés publiques, découverte SMART et jetons d'accès" },
  Claims: { en: 'Claims, their answers, polling and tasks', fr: 'Demandes de remboursement, leurs réponses, relève (polling) et tâches' },
  Lifecycle: {
    en: 'What follows a claim: information requests, providers\' messages, payments; and FHIR messaging',
    fr: "La suite d'une demande de remboursement : demandes d'informations, messages des prestataires, paiements ; et la messagerie FHIR",
  },
  Eligibility: { en: 'Eligibility: is a member covered, and for what?', fr: "Éligibilité (prise en charge) : l'assuré est-il couvert, et pour quoi ?" },
  Validation: {
    en: 'Validation, the CapabilityStatement and the published profiles, value sets and code systems',
    fr: 'Validation, le CapabilityStatement et les profils, jeux de valeurs et systèmes de codes publiés',
  },
  Audit: { en: 'The audit trail', fr: "Le journal d'audit" },
  Operator: {
    en: 'For operators (admin scope): dead letters, stuck claims, transactions, insurer health, console session',
    fr: 'Pour les opérateurs (portée admin) : lettres mortes, demandes bloquées, transactions, santé des assureurs, session de la console',
  },
  Registry: {
    en: "For operators (admin scope): participants and their clients, insurers' member registries",
    fr: 'Pour les opérateurs (portée admin) : participants et leurs clients, fichiers des assurés des assureurs',
  },
} as const satisfies Record<string, Bilingual>;

export type Tag = keyof typeof TAGS;

/** What each exchange is (gateway/exchanges/): its POST, search by claim and read share one shape. */
const EXCHANGES: Record<string, Bilingual> = {
  CommunicationRequest: {
    en: "An insurer's request for information about claims addressed to it (about = Claim/{id}), for their provider",
    fr: "Demande d'informations d'un assureur sur des demandes de remboursement qui lui sont adressées (about = Claim/{id}), destinée à leur prestataire",
  },
  Communication: {
    en: "A provider's message about its claims (about = Claim/{id}), usually answering an information request (basedOn = CommunicationRequest/{id}), with attachments; sent on to the insurer",
    fr: "Message d'un prestataire au sujet de ses demandes de remboursement (about = Claim/{id}), le plus souvent en réponse à une demande d'informations (basedOn = CommunicationRequest/{id}), avec pièces jointes ; transmis à l'assureur",
  },
  PaymentReconciliation: {
    en: "An insurer's payment of claims addressed to it (detail.request = Claim/{id}), for their provider; the details add up to the payment",
    fr: 'Paiement par un assureur de demandes de remboursement qui lui sont adressées (detail.request = Claim/{id}), destiné à leur prestataire ; la somme des lignes de détail est égale au montant du paiement',
  },
  PaymentNotice: {
    en: "An insurer's notice of a payment (payment = PaymentReconciliation/{id}, request = Claim/{id}), for the provider",
    fr: 'Avis de paiement d\'un assureur (payment = PaymentReconciliation/{id}, request = Claim/{id}), destiné au prestataire',
  },
};

function exchangeRoutes(): Record<string, Record<string, Operation>> {
  return Object.fromEntries(Object.entries(EXCHANGES).flatMap(([type, summary]) => [
    [`/fhir/${type}`, {
      get: {
        summary: {
          en: `The ${type} resources about a claim the caller is a party to: ?claim=Claim/{id}`,
          fr: `Les ressources ${type} d'une demande de remboursement à laquelle l'appelant est partie : ?claim=Claim/{id}`,
        },
        tag: 'Lifecycle', scope: `system/${type}.read`, query: ['claim'], ok: '200', errors: [400, 401, 403],
      },
      post: {
        summary: {
          en: `${summary.en}. 201 with the stored resource (200 when the same resource was sent before). Honours Idempotency-Key`,
          fr: `${summary.fr}. 201 avec la ressource enregistrée (200 si la même ressource a déjà été envoyée). Respecte l'en-tête Idempotency-Key`,
        },
        tag: 'Lifecycle', scope: `system/${type}.write`, body: 'fhir', ok: '201', errors: [401, 403, 413, 415, 422],
      },
    }],
    [`/fhir/${type}/{id}`, {
      get: {
        summary: { en: `A ${type} the caller sent or received`, fr: `Une ressource ${type} envoyée ou reçue par l'appelant` },
        tag: 'Lifecycle', scope: `system/${type}.read`, ok: '200', errors: [401, 403, 404, 410],
      },
    }],
  ]));
}

const FHIR = 'application/fhir+json';
const ops: Record<string, Record<string, Operation>> = {
  '/healthz': { get: { summary: { en: 'The process is alive', fr: 'Le processus est en vie' }, tag: 'Operations', auth: 'none', ok: '200' } },
  '/readyz': { get: { summary: { en: 'Database (migrated) and Redis reachable', fr: 'Base de données (migrée) et Redis joignables' }, tag: 'Operations', auth: 'none', ok: '200', errors: [503] } },
  '/metrics': { get: { summary: { en: 'Prometheus metrics (counts only)', fr: 'Métriques Prometheus (des comptages uniquement)' }, tag: 'Operations', auth: 'none', ok: '200' } },
  '/openapi.json': {
    get: {
      summary: {
        en: 'This description, in English or French: Accept-Language, or ?lang=en|fr',
        fr: 'Cette description, en français ou en anglais : Accept-Language, ou ?lang=fr|en',
      },
      tag: 'Operations', auth: 'none', query: ['lang'], ok: '200',
    },
  },
  '/.well-known/jwks.json': {
    get: {
      summary: {
        en: "The gateway's public keys: signing (callbacks) and encryption (use enc)",
        fr: 'Les clés publiques de la passerelle : signature (notifications de rappel, callbacks) et chiffrement (use enc)',
      },
      tag: 'Security', auth: 'none', ok: '200',
    },
  },
  '/.well-known/smart-configuration': { get: { summary: { en: 'SMART Backend Services discovery', fr: 'Découverte de la configuration SMART Backend Services' }, tag: 'Security', auth: 'none', ok: '200' } },
  '/auth/token': {
    post: {
      summary: {
        en: 'OAuth2 client credentials: private_key_jwt (client_assertion) or, where enabled, a client secret',
        fr: "OAuth2 client credentials : private_key_jwt (client_assertion) ou, là où c'est activé, un secret client",
      },
      tag: 'Security', auth: 'none', body: 'form', ok: '200', errors: [400, 401],
    },
  },
  '/fhir/Claim/$submit': {
    post: {
      summary: {
        en: 'Submit a claim Bundle (collection, Claim first); 202 with a queued ClaimResponse. Honours Idempotency-Key',
        fr: "Soumettre une demande de remboursement : un Bundle (collection, la Claim en premier) ; 202 avec une ClaimResponse « queued » (en file d'attente). Respecte l'en-tête Idempotency-Key",
      },
      tag: 'Claims', scope: 'system/Claim.write', body: 'fhir', ok: '202', errors: [400, 401, 403, 409, 413, 415, 422, 429],
    },
  },
  '/fhir/Claim/{id}': {
    get: {
      summary: {
        en: 'A claim with its processing status (extension claim-processing-status)',
        fr: 'Une demande de remboursement et son état de traitement (extension claim-processing-status)',
      },
      tag: 'Claims', scope: 'system/Claim.read', ok: '200', errors: [401, 404, 410],
    },
  },
  '/fhir/ClaimResponse': {
    get: {
      summary: { en: 'The responses of a claim: ?request=Claim/{id}', fr: 'Les réponses à une demande de remboursement : ?request=Claim/{id}' },
      tag: 'Claims', scope: 'system/ClaimResponse.read', query: ['request'], ok: '200', errors: [400, 401],
    },
    post: {
      summary: {
        en: "An insurer's answer to a claim addressed to it (signed with Passerelle-JWS when it registered keys). Honours Idempotency-Key",
        fr: "La réponse d'un assureur à une demande de remboursement qui lui est adressée (signée avec Passerelle-JWS s'il a enregistré des clés). Respecte l'en-tête Idempotency-Key",
      },
      tag: 'Claims', scope: 'system/ClaimResponse.write', body: 'fhir', ok: '201', errors: [401, 404, 422],
    },
  },
  '/fhir/$poll': {
    get: {
      summary: {
        en: "Endpoint-wide polling for participants that cannot receive pushes: the messages waiting for the caller, oldest first, at most _count (default 50, up to 500); total says how many wait. A provider gets its claims' ClaimResponses (after the first queued one), the final answers of its eligibility requests answered queued, information requests and payments; an insurer the providers' Communications. Each kind only with its read scope. They come again until acknowledged",
        fr: "Relève (polling) globale pour les participants qui ne peuvent pas recevoir de notifications poussées : les messages en attente pour l'appelant, du plus ancien au plus récent, au plus _count (50 par défaut, jusqu'à 500) ; total indique combien sont en attente. Un prestataire reçoit les ClaimResponses de ses demandes de remboursement (après la première, « queued »), les réponses définitives de ses demandes d'éligibilité d'abord mises en attente (queued), les demandes d'informations et les paiements ; un assureur, les Communications des prestataires. Chaque type uniquement avec sa portée (scope) de lecture. Ils sont renvoyés tant qu'ils ne sont pas acquittés",
      },
      tag: 'Claims', scope: 'any participant', query: ['_count'], ok: '200', errors: [400, 401, 403],
    },
  },
  '/fhir/$poll-ack': {
    post: {
      summary: {
        en: 'Acknowledges polled messages: a Parameters resource with a parameter "message" (valueReference ClaimResponse/{id}, CommunicationRequest/{id}, PaymentNotice/{id}, ...) per message; 200 with how many were waiting. Messages of other participants are ignored',
        fr: 'Acquitte les messages relevés : une ressource Parameters avec un paramètre "message" (valueReference ClaimResponse/{id}, CommunicationRequest/{id}, PaymentNotice/{id}, ...) par message ; 200 avec le nombre de messages qui étaient en attente. Les messages des autres participants sont ignorés',
      },
      tag: 'Claims', scope: 'any participant', body: 'fhir', ok: '200', errors: [400, 401, 403, 415, 422],
    },
  },
  ...exchangeRoutes(),
  '/fhir/$process-message': {
    post: {
      summary: {
        en: "FHIR messaging: a Bundle of type message (MessageHeader first: eventCoding from the gateway's event table or NPHIES's, focus the resource of the interaction) runs the same interaction as its REST call, with its scope. 200 with the response message (MessageHeader.response.identifier = the request's header id; code ok, or fatal-error / transient-error with an OperationOutcome). Processed once per Bundle.id",
        fr: "Messagerie FHIR : un Bundle de type message (MessageHeader en premier : eventCoding tiré de la table des événements de la passerelle ou de celle de NPHIES, focus sur la ressource de l'interaction) exécute la même interaction que l'appel REST correspondant, avec la même portée (scope). 200 avec le message de réponse (MessageHeader.response.identifier = l'id de l'en-tête de la requête ; code ok, ou fatal-error / transient-error avec un OperationOutcome). Traité une seule fois par Bundle.id",
      },
      tag: 'Lifecycle', scope: 'the event\'s', body: 'fhir', ok: '200', errors: [401, 403, 409, 413, 415, 422],
    },
  },
  '/fhir/Task': {
    post: {
      summary: {
        en: "A provider's Task about one of its claims (financial task codes, focus Claim/{id}): status (the claim's processing status as businessStatus and its latest ClaimResponse as output; the insurer is asked first when the claim waits for its answer) or cancel (409 when too late or the insurer takes no cancellations). 200 with the Task completed; other codes refused (422 task-unsupported)",
        fr: "Une Task d'un prestataire sur l'une de ses demandes de remboursement (codes de tâche financiers, focus Claim/{id}) : status (l'état de traitement de la demande dans businessStatus et sa dernière ClaimResponse dans output ; l'assureur est d'abord interrogé quand la demande attend sa réponse) ou cancel (409 s'il est trop tard ou si l'assureur n'accepte pas les annulations). 200 avec la Task terminée (completed) ; les autres codes sont refusés (422 task-unsupported)",
      },
      tag: 'Claims', scope: 'system/Task.write', body: 'fhir', ok: '200', errors: [400, 401, 403, 404, 409, 413, 415, 422, 503],
    },
  },
  '/fhir/ClaimResponse/{id}': { get: { summary: { en: 'One ClaimResponse', fr: 'Une ClaimResponse' }, tag: 'Claims', scope: 'system/ClaimResponse.read', ok: '200', errors: [401, 404, 410] } },
  '/fhir/CoverageEligibilityRequest/$submit': {
    post: {
      summary: {
        en: "Is a member covered, and for what? A CoverageEligibilityRequest (alone or first in a collection Bundle with its Patient and Coverage); 200 with a CoverageEligibilityResponse from the insurer's synced registry or live API, 202 with a queued one when the insurer is slower than the budget (the answer follows by pull and push), 503 when the insurer is unavailable. Honours Idempotency-Key",
        fr: "L'assuré est-il couvert, et pour quoi ? Une CoverageEligibilityRequest (seule, ou en premier dans un Bundle collection avec son Patient et sa Coverage) ; 200 avec une CoverageEligibilityResponse tirée du fichier des assurés synchronisé de l'assureur ou de son API interrogée en direct, 202 avec une réponse « queued » (en attente) quand l'assureur dépasse le délai imparti (la réponse suit, à relever ou poussée), 503 quand l'assureur est indisponible. Respecte l'en-tête Idempotency-Key",
      },
      tag: 'Eligibility', scope: 'system/CoverageEligibilityRequest.write', body: 'fhir', ok: '200', errors: [400, 401, 403, 409, 413, 415, 422, 429, 503],
    },
  },
  '/fhir/CoverageEligibilityRequest/{id}': {
    get: {
      summary: { en: 'An eligibility request as the gateway received it', fr: "Une demande d'éligibilité, telle que la passerelle l'a reçue" },
      tag: 'Eligibility', scope: 'system/CoverageEligibilityResponse.read', ok: '200', errors: [401, 404],
    },
  },
  '/fhir/CoverageEligibilityResponse': {
    get: {
      summary: {
        en: 'The answers to an eligibility request (queued, then final): ?request=CoverageEligibilityRequest/{id}',
        fr: "Les réponses à une demande d'éligibilité (« queued », puis définitive) : ?request=CoverageEligibilityRequest/{id}",
      },
      tag: 'Eligibility', scope: 'system/CoverageEligibilityResponse.read', query: ['request'], ok: '200', errors: [400, 401],
    },
  },
  '/fhir/CoverageEligibilityResponse/{id}': {
    get: { summary: { en: 'One CoverageEligibilityResponse', fr: 'Une CoverageEligibilityResponse' }, tag: 'Eligibility', scope: 'system/CoverageEligibilityResponse.read', ok: '200', errors: [401, 404] },
  },
  '/fhir/$validate': {
    post: {
      summary: {
        en: 'Validate a resource or Bundle (or Parameters with resource and profile) against FHIR R4, the base pack and, with ?insurer=, that insurer\'s packs in force; ?profile= adds a profile. 200 with every issue',
        fr: "Valider une ressource ou un Bundle (ou un Parameters avec resource et profile) selon FHIR R4, le pack de base et, avec ?insurer=, les packs en vigueur de cet assureur ; ?profile= ajoute un profil. 200 avec tous les problèmes relevés",
      },
      tag: 'Validation', scope: 'any participant', body: 'fhir', query: ['profile', 'insurer'], ok: '200', errors: [400, 401, 413, 415, 422],
    },
  },
  '/fhir/{type}/$validate': {
    post: {
      summary: { en: 'Validate a resource of this type (as /fhir/$validate)', fr: 'Valider une ressource de ce type (comme /fhir/$validate)' },
      tag: 'Validation', scope: 'any participant', body: 'fhir', query: ['profile', 'insurer'], ok: '200', errors: [400, 401, 404, 413, 415, 422],
    },
  },
  '/fhir/metadata': {
    get: {
      summary: {
        en: 'The CapabilityStatement: resources, operations, supported profiles, security; its texts in English or French (Accept-Language, or ?lang=en|fr), the other language in the translation extension',
        fr: "Le CapabilityStatement : ressources, opérations, profils pris en charge, sécurité ; ses textes en français ou en anglais (Accept-Language, ou ?lang=fr|en), l'autre langue dans l'extension de traduction",
      },
      tag: 'Validation', auth: 'none', query: ['lang'], ok: '200',
    },
  },
  '/fhir/StructureDefinition': {
    get: {
      summary: { en: 'Published profiles of the packs, by url (url|version accepted), version or name', fr: 'Les profils publiés des packs, par url (url|version accepté), version ou name' },
      tag: 'Validation', auth: 'none', query: ['url', 'version', 'name'], ok: '200',
    },
  },
  '/fhir/StructureDefinition/{id}': {
    get: { summary: { en: 'A published profile (newest version)', fr: 'Un profil publié (sa version la plus récente)' }, tag: 'Validation', auth: 'none', ok: '200', errors: [404] },
  },
  '/fhir/ValueSet': {
    get: {
      summary: { en: 'Published value sets of the packs, by url, version or name', fr: 'Les jeux de valeurs (ValueSet) publiés des packs, par url, version ou name' },
      tag: 'Validation', auth: 'none', query: ['url', 'version', 'name'], ok: '200',
    },
  },
  '/fhir/ValueSet/{id}': {
    get: { summary: { en: 'A published value set (newest version)', fr: 'Un jeu de valeurs publié (sa version la plus récente)' }, tag: 'Validation', auth: 'none', ok: '200', errors: [404] },
  },
  '/fhir/CodeSystem': {
    get: {
      summary: { en: 'Published code systems of the packs, by url, version or name', fr: 'Les systèmes de codes (CodeSystem) publiés des packs, par url, version ou name' },
      tag: 'Validation', auth: 'none', query: ['url', 'version', 'name'], ok: '200',
    },
  },
  '/fhir/CodeSystem/{id}': {
    get: { summary: { en: 'A published code system (newest version)', fr: 'Un système de codes publié (sa version la plus récente)' }, tag: 'Validation', auth: 'none', ok: '200', errors: [404] },
  },
  '/fhir/AuditEvent': {
    get: {
      summary: {
        en: 'The audit trail (operators: everything; participants: their own records)',
        fr: "Le journal d'audit (opérateurs : tout ; participants : leurs propres enregistrements)",
      },
      tag: 'Audit', scope: 'system/AuditEvent.read', query: ['entity', 'agent', 'date', '_count', '_offset'], ok: '200', errors: [400, 401],
    },
  },
  '/admin/dead-letters': {
    get: { summary: { en: 'Dead letters, most recent first', fr: "Les lettres mortes, les plus récentes d'abord" }, tag: 'Operator', scope: 'admin', query: ['insurer', '_count', '_offset'], ok: '200' },
  },
  '/admin/dead-letters/replay': {
    post: {
      summary: {
        en: 'Replay dead letters in bulk: {"claims": [...]} or {"all": true, "insurer"?}',
        fr: 'Rejouer des lettres mortes en masse : {"claims": [...]} ou {"all": true, "insurer"?}',
      },
      tag: 'Operator', scope: 'admin', body: 'json', ok: '200',
    },
  },
  '/admin/stuck-claims': {
    get: {
      summary: {
        en: "Claims without an insurer answer past their insurer's deadline",
        fr: "Les demandes de remboursement restées sans réponse de l'assureur au-delà du délai fixé pour celui-ci",
      },
      tag: 'Operator', scope: 'admin', query: ['insurer', '_count', '_offset'], ok: '200',
    },
  },
  '/admin/claims/{id}': {
    get: {
      summary: {
        en: 'A claim with its timeline, validation issues and responses; the request and response bundles (patient data) only with the admin:phi scope',
        fr: 'Une demande de remboursement avec sa chronologie, ses problèmes de validation et ses réponses ; les bundles de la requête et des réponses (données de patients) uniquement avec la portée admin:phi',
      },
      tag: 'Operator', scope: 'admin', ok: '200', errors: [404],
    },
  },
  '/admin/transactions': {
    get: {
      summary: {
        en: 'The transaction log: claims and eligibility requests, newest first, filtered by kind (claim, eligibility), provider, insurer, status, since/until (date or instant) and identifier (id or business identifier)',
        fr: "Le journal des transactions : demandes de remboursement et demandes d'éligibilité, les plus récentes d'abord, filtrées par type (kind : claim, eligibility), prestataire (provider), assureur (insurer), statut (status), période (since/until : date ou instant) et identifiant (identifier : id ou identifiant métier)",
      },
      tag: 'Operator', scope: 'admin', query: ['kind', 'provider', 'insurer', 'status', 'since', 'until', 'identifier', '_count', '_offset'], ok: '200', errors: [400],
    },
  },
  '/admin/eligibility-requests/{id}': {
    get: {
      summary: {
        en: 'An eligibility request: provider, insurer, answered from the synced registry or live, when, outcome and error codes; the request and its answers (patient data) only with the admin:phi scope',
        fr: "Une demande d'éligibilité : prestataire, assureur, réponse tirée du fichier des assurés synchronisé ou obtenue en direct, date, résultat et codes d'erreur ; la demande et ses réponses (données de patients) uniquement avec la portée admin:phi",
      },
      tag: 'Operator', scope: 'admin', ok: '200', errors: [404],
    },
  },
  '/admin/insurer-health': {
    get: {
      summary: {
        en: "Each insurer's health: delivery queue depth (waiting, active, failed, delayed), answer latency p50/p99 and error rate over the last 15 minutes, dead letters, stuck claims, circuit state",
        fr: "L'état de santé de chaque assureur : profondeur de la file d'envoi (waiting, active, failed, delayed), latence de réponse p50/p99 et taux d'erreur sur les 15 dernières minutes, lettres mortes, demandes bloquées, état du disjoncteur (circuit)",
      },
      tag: 'Operator', scope: 'admin', ok: '200',
    },
  },
  '/console/session': {
    get: {
      summary: {
        en: 'The operator console session of this browser (cookie), or {"authenticated": false} and whether client secrets are enabled',
        fr: 'La session de la console opérateur de ce navigateur (cookie), ou {"authenticated": false} et si les secrets clients sont activés',
      },
      tag: 'Operator', auth: 'none', ok: '200',
    },
    post: {
      summary: {
        en: 'Console login: {"clientId", "secret"} of an operator client with the admin scope (where client secrets are enabled); sets the HttpOnly session cookie. Needs the X-Passerelle-CSRF header; rate-limited per address',
        fr: 'Connexion à la console : {"clientId", "secret"} d\'un client opérateur doté de la portée admin (là où les secrets clients sont activés) ; pose le cookie de session HttpOnly. Exige l\'en-tête X-Passerelle-CSRF ; nombre de tentatives limité par adresse',
      },
      tag: 'Operator', auth: 'none', body: 'json', ok: '200', errors: [400, 401, 403, 415, 429],
    },
    delete: {
      summary: {
        en: 'Console logout: ends the session on the server (no token of it is accepted again) and clears the cookie. Needs the X-Passerelle-CSRF header',
        fr: "Déconnexion de la console : met fin à la session côté serveur (aucun de ses jetons n'est plus accepté) et efface le cookie. Exige l'en-tête X-Passerelle-CSRF",
      },
      tag: 'Operator', auth: 'none', ok: '204', errors: [403],
    },
  },
  '/admin/claims/{id}/replay': {
    post: {
      summary: { en: 'Replay one dead letter (same insurer idempotency key)', fr: "Rejouer une lettre morte (avec la même clé d'idempotence auprès de l'assureur)" },
      tag: 'Operator', scope: 'admin', ok: '200', errors: [404, 409],
    },
  },
  '/admin/registries': {
    get: {
      summary: {
        en: "Insurers' registries: mode, policy, coverages by status, last imports, incremental sync, circuit",
        fr: 'Les fichiers des assurés des assureurs : mode, politique, couvertures par statut, derniers imports, synchronisation incrémentale, disjoncteur (circuit)',
      },
      tag: 'Registry', scope: 'admin', ok: '200',
    },
  },
  '/admin/registries/{id}': { get: { summary: { en: "One insurer's registry", fr: "Le fichier des assurés d'un assureur" }, tag: 'Registry', scope: 'admin', ok: '200', errors: [404] } },
  '/admin/registries/{id}/$sync': {
    post: {
      summary: { en: 'Run the incremental sync of a synced registry now', fr: "Lancer tout de suite la synchronisation incrémentale d'un fichier des assurés synchronisé" },
      tag: 'Registry', scope: 'admin', ok: '202', errors: [404, 422],
    },
  },
  '/admin/participants': {
    get: { summary: { en: 'The participant registry', fr: 'Le registre des participants' }, tag: 'Registry', scope: 'admin', ok: '200' },
    post: {
      summary: { en: 'Register a participant (strict body: no server-owned fields)', fr: 'Enregistrer un participant (corps strict : aucun champ géré par le serveur)' },
      tag: 'Registry', scope: 'admin', body: 'json', ok: '201', errors: [409, 422],
    },
  },
  '/admin/participants/{id}': {
    get: {
      summary: { en: 'One participant, its clients and key ids (never secrets)', fr: 'Un participant, ses clients et les identifiants de leurs clés (jamais de secrets)' },
      tag: 'Registry', scope: 'admin', ok: '200', errors: [404],
    },
    put: {
      summary: { en: "Replace a participant's editable fields (id and kind never change)", fr: "Remplacer les champs modifiables d'un participant (id et kind ne changent jamais)" },
      tag: 'Registry', scope: 'admin', body: 'json', ok: '200', errors: [404, 422],
    },
  },
  '/admin/participants/{id}/$suspend': {
    post: {
      summary: { en: 'Suspend: no token, no call, no claim addressed to it', fr: 'Suspendre : plus de jeton, plus d\'appel, plus de demande de remboursement qui lui soit adressée' },
      tag: 'Registry', scope: 'admin', ok: '200', errors: [404],
    },
  },
  '/admin/participants/{id}/$reactivate': { post: { summary: { en: 'Reactivate', fr: 'Réactiver' }, tag: 'Registry', scope: 'admin', ok: '200', errors: [404] } },
  '/admin/participants/{id}/clients': {
    post: {
      summary: {
        en: 'Register an OAuth client: public keys (jwks or jwksUrl), or a secret where enabled',
        fr: "Enregistrer un client OAuth : clés publiques (jwks ou jwksUrl), ou un secret là où c'est activé",
      },
      tag: 'Registry', scope: 'admin', body: 'json', ok: '201', errors: [404, 409, 422],
    },
  },
  '/admin/participants/{id}/clients/{clientId}': { delete: { summary: { en: 'Disable a client', fr: 'Désactiver un client' }, tag: 'Registry', scope: 'admin', ok: '200', errors: [404] } },
};

const statusText: Record<number, Bilingual> = {
  400: { en: 'Unreadable request', fr: 'Requête illisible' },
  401: { en: 'Not authenticated', fr: 'Non authentifié' },
  403: { en: 'Scope missing', fr: 'Portée (scope) manquante' },
  404: { en: 'Not found (or not yours)', fr: 'Introuvable (ou ne vous appartient pas)' },
  409: { en: 'Conflict', fr: 'Conflit' },
  410: { en: 'Purged after the retention period', fr: 'Purgé après la durée de conservation' },
  413: { en: 'Body too large', fr: 'Corps de requête trop volumineux' },
  415: { en: 'Content type not accepted', fr: 'Type de contenu non accepté' },
  422: { en: 'Not acceptable: every issue with its FHIRPath', fr: 'Irrecevable : chaque problème avec son chemin FHIRPath' },
  429: { en: 'Rate limited (Retry-After)', fr: 'Trop de requêtes (Retry-After)' },
  503: { en: 'Not ready, or the insurer unavailable (Retry-After)', fr: "Pas prêt, ou l'assureur est indisponible (Retry-After)" },
};

const SUCCESS: Bilingual = { en: 'Success', fr: 'Succès' };
const ERROR: Bilingual = { en: 'Error', fr: 'Erreur' };

/** What the query parameters are, where one means the same on every route that takes it. */
const queryText: Record<string, Bilingual> = {
  lang: { en: 'The language of the texts (else Accept-Language)', fr: "La langue des textes (sinon Accept-Language)" },
  _count: { en: 'How many at most', fr: 'Nombre maximal de résultats' },
  _offset: { en: 'How many to skip (paging)', fr: 'Nombre de résultats à sauter (pagination)' },
};

const INFO: Bilingual = {
  en: 'FHIR R4 claims gateway between care providers and insurers. Errors are FHIR OperationOutcomes with a stable gateway error code (docs/errors.md). This description is in English; in French with Accept-Language: fr or ?lang=fr.',
  fr: "Passerelle FHIR R4 de demandes de remboursement entre prestataires de soins et assureurs. Les erreurs sont des OperationOutcome FHIR portant un code d'erreur stable de la passerelle (docs/errors.md). Cette description est en français ; en anglais avec Accept-Language: en ou ?lang=en.",
};
const BEARER: Bilingual = { en: 'From POST /auth/token (SMART Backend Services)', fr: 'Obtenu par POST /auth/token (SMART Backend Services)' };

function operation(path: string, method: string, op: Operation, language: Language) {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query = (op.query ?? []).map((name) => ({
    name, in: 'query', required: false,
    ...(queryText[name] ? { description: queryText[name][language] } : {}),
    schema: name === 'lang' ? { type: 'string', enum: ['en', 'fr'] } : { type: 'string' },
  }));
  const idempotent = method === 'post' && (path.startsWith('/fhir') || path.startsWith('/admin'));
  const headers = idempotent ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }] : [];
  const bodyType = op.body === 'form' ? 'application/x-www-form-urlencoded' : op.body === 'fhir' ? FHIR : 'application/json';
  return {
    summary: op.summary[language], tags: [op.tag], operationId: `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    ...(op.auth === 'none' ? { security: [] } : { security: [{ bearer: [op.scope ?? ''] }] }),
    parameters: [...params, ...query, ...headers],
    ...(op.body ? { requestBody: { required: true, content: { [bodyType]: { schema: { type: 'object' } } } } } : {}),
    responses: {
      [op.ok]: { description: SUCCESS[language], content: { [path.startsWith('/fhir') ? FHIR : 'application/json']: { schema: { type: 'object' } } } },
      ...Object.fromEntries((op.errors ?? []).map((s) => [String(s), {
        description: (statusText[s] ?? ERROR)[language], content: { [FHIR]: { schema: { $ref: '#/components/schemas/OperationOutcome' } } },
      }])),
    },
  };
}

/** Every described route (the CapabilityStatement is derived from the FHIR ones). */
export function describedRoutes(): Array<{ readonly path: string; readonly method: string; readonly operation: Operation }> {
  return Object.entries(ops).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));
}

/** Every text of the description in both languages (for the test that keeps the French complete). */
export function describedTexts(): Array<{ readonly where: string; readonly text: Bilingual }> {
  return [
    { where: 'info.description', text: INFO },
    { where: 'securitySchemes.bearer', text: BEARER },
    ...Object.entries(TAGS).map(([name, text]) => ({ where: `tag ${name}`, text })),
    ...describedRoutes().map(({ path, method, operation: op }) => ({ where: `${method.toUpperCase()} ${path}`, text: op.summary })),
    ...Object.entries(statusText).map(([status, text]) => ({ where: `status ${status}`, text })),
    { where: 'success', text: SUCCESS }, { where: 'error', text: ERROR },
    ...Object.entries(queryText).map(([name, text]) => ({ where: `query ${name}`, text })),
  ];
}

/** The OpenAPI document, its texts in the given language. */
export function openApiDocument(serverUrl = '/', language: Language = 'en') {
  return {
    openapi: '3.0.3',
    info: { title: 'Passerelle', version: '0.1.0', description: INFO[language] },
    servers: [{ url: serverUrl }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description: description[language] })),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER[language] } },
      schemas: { OperationOutcome: { type: 'object', required: ['resourceType', 'issue'], properties: { resourceType: { type: 'string', enum: ['OperationOutcome'] }, issue: { type: 'array', items: { type: 'object' } } } } },
    },
    paths: Object.fromEntries(Object.entries(ops).map(([path, methods]) => [path, Object.fromEntries(Object.entries(methods).map(([m, op]) => [m, operation(path, m, op, language)]))])),
  };
}
