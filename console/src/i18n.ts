/**
 * Every text of the console, in English and French. The language is the one the operator chose (kept in
 * localStorage), else the browser's (navigator.languages), else English.
 */
import { signal } from './signal.js';

export type Language = 'en' | 'fr';

const en = {
  appTitle: 'Passerelle operator console',
  language: 'Language',
  loginTitle: 'Operator login',
  loginHelp: 'Log in with the client id and secret of an operator client that holds the admin scope.',
  clientId: 'Client id',
  secret: 'Client secret',
  logIn: 'Log in',
  logOut: 'Log out',
  loginRefused: 'Login refused: unknown client, wrong secret, or not an operator client with the admin scope.',
  loginRateLimited: 'Too many login attempts: wait a minute and try again.',
  secretsDisabled: 'Client secrets are disabled on this gateway, so the console cannot log in. Operators use the operator API with private_key_jwt tokens (see docs/console.md).',
  sessionExpired: 'Your session has ended: log in again.',
  loggedInAs: 'Logged in as',
  phiAllowed: 'patient data visible',
  phiHidden: 'patient data hidden',
  navTransactions: 'Transactions',
  navDeadLetters: 'Dead letters and stuck claims',
  navHealth: 'Insurer health',
  navParticipants: 'Participants',
  navQueues: 'Queue dashboard',
  live: 'Live updates',
  updatedAt: 'Updated at',
  loading: 'Loading…',
  error: 'Error',
  none: 'Nothing to show.',
  kind: 'Type',
  kindAll: 'All',
  kindClaim: 'Claim',
  kindEligibility: 'Eligibility',
  provider: 'Provider',
  insurer: 'Insurer',
  status: 'Status',
  since: 'From',
  until: 'To',
  identifier: 'Identifier',
  filter: 'Filter',
  clear: 'Clear',
  created: 'Created',
  updated: 'Updated',
  attempts: 'Attempts',
  lastError: 'Last error',
  total: 'Total',
  previous: 'Previous',
  next: 'Next',
  pageOf: 'Page {page} of {pages}',
  claim: 'Claim',
  back: 'Back',
  timeline: 'Timeline',
  at: 'At',
  event: 'Event',
  detail: 'Detail',
  validationIssues: 'Validation issues',
  severity: 'Severity',
  rule: 'Rule',
  expression: 'Where',
  deliveryAttempts: 'Delivery attempts',
  responses: 'Responses',
  source: 'Source',
  outcome: 'Outcome',
  requestBundle: 'Request bundle',
  responseBundle: 'Response',
  bundlesHidden: 'The request and response bundles contain patient data: they are shown only to operators holding the admin:phi scope.',
  eligibilityRequest: 'Eligibility request',
  eligibilityMode: 'Answered from',
  modeLive: 'the insurer, live',
  modeSynced: 'the synced member registry',
  purpose: 'Purpose',
  answered: 'Answered',
  errors: 'Errors',
  eligibilityHidden: 'The request and its answers contain patient data (member, coverage): they are shown only to operators holding the admin:phi scope.',
  purged: 'The bundles were purged after the retention period.',
  replay: 'Replay',
  replayed: 'Claim {id} replayed: it is queued again.',
  replayFailed: 'Replay refused',
  deadLetters: 'Dead letters',
  stuckClaims: 'Stuck claims',
  stuckSince: 'Stuck since',
  replays: 'Replays',
  queue: 'Queue',
  waiting: 'Waiting',
  active: 'Active',
  failed: 'Failed',
  delayed: 'Delayed',
  latencyP50: 'Answer time p50',
  latencyP99: 'Answer time p99',
  errorRate: 'Error rate',
  circuit: 'Delivery circuit',
  eligibilityCircuit: 'Eligibility circuit',
  windowNote: 'Latency and error rate over the last {minutes} minutes.',
  circuitOpen: 'open',
  circuitClosed: 'closed',
  circuitHalfOpen: 'half-open',
  name: 'Name',
  participantKind: 'Kind',
  clients: 'Clients',
  scopes: 'Scopes',
  adapter: 'Adapter',
  endpoints: 'Endpoints',
  callbackUrl: 'Callback URL',
  clientActive: 'active',
  clientDisabled: 'disabled',
  authentication: 'Authentication',
  keys: 'keys',
  clientSecret: 'secret',
  notFound: 'Not found.',
  seconds: '{n} s',
};

export type MessageKey = keyof typeof en;

const fr: Record<MessageKey, string> = {
  appTitle: 'Console d’exploitation Passerelle',
  language: 'Langue',
  loginTitle: 'Connexion opérateur',
  loginHelp: 'Connectez-vous avec l’identifiant et le secret d’un client opérateur qui détient le scope admin.',
  clientId: 'Identifiant du client',
  secret: 'Secret du client',
  logIn: 'Se connecter',
  logOut: 'Se déconnecter',
  loginRefused: 'Connexion refusée : client inconnu, secret erroné, ou client qui n’est pas un opérateur avec le scope admin.',
  loginRateLimited: 'Trop de tentatives de connexion : attendez une minute puis réessayez.',
  secretsDisabled: 'Les secrets de client sont désactivés sur cette passerelle : la console ne peut pas s’y connecter. Les opérateurs utilisent l’API d’exploitation avec des jetons private_key_jwt (voir docs/console.md).',
  sessionExpired: 'Votre session a pris fin : reconnectez-vous.',
  loggedInAs: 'Connecté en tant que',
  phiAllowed: 'données patient visibles',
  phiHidden: 'données patient masquées',
  navTransactions: 'Transactions',
  navDeadLetters: 'Lettres mortes et demandes bloquées',
  navHealth: 'Santé des assureurs',
  navParticipants: 'Participants',
  navQueues: 'Tableau des files',
  live: 'Mises à jour en direct',
  updatedAt: 'Mis à jour à',
  loading: 'Chargement…',
  error: 'Erreur',
  none: 'Rien à afficher.',
  kind: 'Type',
  kindAll: 'Tous',
  kindClaim: 'Demande de remboursement',
  kindEligibility: 'Éligibilité',
  provider: 'Prestataire',
  insurer: 'Assureur',
  status: 'Statut',
  since: 'Du',
  until: 'Au',
  identifier: 'Identifiant',
  filter: 'Filtrer',
  clear: 'Effacer',
  created: 'Créée',
  updated: 'Mise à jour',
  attempts: 'Tentatives',
  lastError: 'Dernière erreur',
  total: 'Total',
  previous: 'Précédent',
  next: 'Suivant',
  pageOf: 'Page {page} sur {pages}',
  claim: 'Demande',
  back: 'Retour',
  timeline: 'Chronologie',
  at: 'À',
  event: 'Événement',
  detail: 'Détail',
  validationIssues: 'Problèmes de validation',
  severity: 'Gravité',
  rule: 'Règle',
  expression: 'Où',
  deliveryAttempts: 'Tentatives de livraison',
  responses: 'Réponses',
  source: 'Source',
  outcome: 'Résultat',
  requestBundle: 'Bundle de la demande',
  responseBundle: 'Réponse',
  bundlesHidden: 'Les bundles de la demande et des réponses contiennent des données patient : ils ne sont montrés qu’aux opérateurs qui détiennent le scope admin:phi.',
  eligibilityRequest: 'Demande d’éligibilité',
  eligibilityMode: 'Réponse tirée',
  modeLive: 'de l’assureur, en direct',
  modeSynced: 'du registre des adhérents synchronisé',
  purpose: 'Objet',
  answered: 'Répondue',
  errors: 'Erreurs',
  eligibilityHidden: 'La demande et ses réponses contiennent des données patient (adhérent, couverture) : elles ne sont montrées qu’aux opérateurs qui détiennent le scope admin:phi.',
  purged: 'Les bundles ont été purgés après la durée de conservation.',
  replay: 'Rejouer',
  replayed: 'Demande {id} rejouée : elle est de nouveau en file.',
  replayFailed: 'Rejeu refusé',
  deadLetters: 'Lettres mortes',
  stuckClaims: 'Demandes bloquées',
  stuckSince: 'Bloquée depuis',
  replays: 'Rejeux',
  queue: 'File',
  waiting: 'En attente',
  active: 'En cours',
  failed: 'En échec',
  delayed: 'Différés',
  latencyP50: 'Délai de réponse p50',
  latencyP99: 'Délai de réponse p99',
  errorRate: 'Taux d’erreur',
  circuit: 'Circuit de livraison',
  eligibilityCircuit: 'Circuit d’éligibilité',
  windowNote: 'Délai et taux d’erreur sur les {minutes} dernières minutes.',
  circuitOpen: 'ouvert',
  circuitClosed: 'fermé',
  circuitHalfOpen: 'semi-ouvert',
  name: 'Nom',
  participantKind: 'Nature',
  clients: 'Clients',
  scopes: 'Scopes',
  adapter: 'Adaptateur',
  endpoints: 'Points d’accès',
  callbackUrl: 'URL de rappel',
  clientActive: 'actif',
  clientDisabled: 'désactivé',
  authentication: 'Authentification',
  keys: 'clés',
  clientSecret: 'secret',
  notFound: 'Introuvable.',
  seconds: '{n} s',
};

const messages: Record<Language, Record<MessageKey, string>> = { en, fr };
const STORAGE_KEY = 'passerelle-console-language';

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'fr') return stored;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'fr' || base === 'en') return base;
  }
  return 'en';
}

/** The language in use; pages re-render when it changes. */
export const language = signal<Language>(initialLanguage());

/** Switches the language and remembers the choice. */
export function setLanguage(next: Language): void {
  localStorage.setItem(STORAGE_KEY, next);
  document.documentElement.lang = next;
  language.set(next);
}

/** A message in the current language, with {placeholders} filled in. */
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  return messages[language.get()][key].replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));
}

/** A date and time in the current language. */
export function dateTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(language.get() === 'fr' ? 'fr-FR' : 'en-GB') : '—';
}

/** French names of the statuses the gateway reports (English shows the codes themselves). */
const FRENCH_STATUSES: Readonly<Record<string, string>> = {
  accepted: 'acceptée', queued: 'en file', pended: 'en suspens', complete: 'terminée', partial: 'partielle', error: 'erreur', failed: 'échec',
  'delivery-retry': 'nouvel essai de livraison', delivered: 'livrée', pushed: 'transmise au prestataire', 'push-retry': 'nouvel essai de transmission',
  'push-failed': 'transmission échouée', purged: 'purgée', replayed: 'rejouée', cancelled: 'annulée', active: 'actif', suspended: 'suspendu',
  stuck: 'bloquée', replaced: 'remplacée', 'sent-to-next-payer': 'transmise au payeur suivant', 'coordination-split': 'coordination répartie',
  gateway: 'passerelle', insurer: 'assureur', open: 'ouvert', closed: 'fermé',
};

/** A status code as the operator reads it. */
export function statusLabel(code: string): string {
  return language.get() === 'fr' ? (FRENCH_STATUSES[code] ?? code) : code;
}
