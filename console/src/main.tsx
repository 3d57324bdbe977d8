/**
 * The operator console: a single page served by the gateway at /console/. It talks to the operator API
 * (/admin) with the session cookie set at login; pages are chosen by the URL's hash (#/claims/{id}...).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { api, sessionEnded } from './api.js';
import { language, setLanguage, t, type Language } from './i18n.js';
import { live } from './poll.js';
import { PHI_SCOPE, type NoSession, type Session } from './session.js';
import { useSignal } from './signal.js';
import { Login } from './views/login.js';
import { Transactions } from './views/transactions.js';
import { ClaimView } from './views/claim.js';
import { EligibilityView } from './views/eligibility.js';
import { DeadLetters } from './views/dead-letters.js';
import { InsurerHealth } from './views/health.js';
import { Participants, ParticipantView } from './views/participants.js';

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

function Page({ hash }: { hash: string }) {
  const [, section, id] = hash.replace(/^#\/?/, '/').split('/').map(decodeURIComponent);
  switch (section) {
    case 'claims': return id ? <ClaimView id={id} /> : <Transactions />;
    case 'eligibility': return id ? <EligibilityView id={id} /> : <Transactions />;
    case 'dead-letters': return <DeadLetters />;
    case 'health': return <InsurerHealth />;
    case 'participants': return id ? <ParticipantView id={id} /> : <Participants />;
    default: return <Transactions />;
  }
}

function LanguageSwitch() {
  const current = useSignal(language);
  return (
    <label class="language">{t('language')}
      <select name="language" value={current} onChange={(e) => setLanguage(e.currentTarget.value as Language)}>
        <option value="en">English</option>
        <option value="fr">Français</option>
      </select>
    </label>
  );
}

const NAV = [['#/transactions', 'navTransactions'], ['#/dead-letters', 'navDeadLetters'], ['#/health', 'navHealth'], ['#/participants', 'navParticipants']] as const;

function App() {
  const [session, setSession] = useState<Session | NoSession>();
  const expired = useSignal(sessionEnded);
  const isLive = useSignal(live);
  const hash = useHash();
  useSignal(language); // re-render every text on a language switch
  useEffect(() => {
    api<Session | NoSession>('/console/session').then(setSession, () => setSession({ authenticated: false, clientSecretsEnabled: true }));
  }, []);
  useEffect(() => {
    document.documentElement.lang = language.get();
    document.title = t('appTitle');
  });

  if (!session) return <p>{t('loading')}</p>;
  if (!session.authenticated || expired) {
    return (
      <>
        <header class="bar"><h1>{t('appTitle')}</h1><LanguageSwitch /></header>
        <Login secretsEnabled={session.authenticated || session.clientSecretsEnabled} expired={expired}
          onLogin={(s) => { sessionEnded.set(false); setSession(s); }} />
      </>
    );
  }
  const logout = async () => {
    await api('/console/session', { method: 'DELETE' }).catch(() => undefined);
    setSession({ authenticated: false, clientSecretsEnabled: true });
  };
  const phi = session.scopes.includes(PHI_SCOPE);
  return (
    <>
      <header class="bar">
        <h1>{t('appTitle')}</h1>
        <nav aria-label="main">
          {NAV.map(([href, key]) => <a href={href} class={hash.startsWith(href) ? 'current' : ''}>{t(key)}</a>)}
          <a href="/admin/queues/" target="_blank" rel="noopener">{t('navQueues')}</a>
        </nav>
        <div class="who">
          <span>{t('loggedInAs')} <strong>{session.clientId}</strong> ({phi ? t('phiAllowed') : t('phiHidden')})</span>
          <label class="live"><input type="checkbox" name="live" checked={isLive} onChange={(e) => live.set(e.currentTarget.checked)} /> {t('live')}</label>
          <LanguageSwitch />
          <button type="button" onClick={logout}>{t('logOut')}</button>
        </div>
      </header>
      <main><Page hash={hash} /></main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
