/** The login page: an operator client's id and secret, sent once to POST /console/session. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { t } from '../i18n.js';
import type { Session } from '../session.js';

export function Login({ secretsEnabled, expired, onLogin }: { secretsEnabled: boolean; expired: boolean; onLogin: (session: Session) => void }) {
  const [clientId, setClientId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onLogin(await api<Session>('/console/session', { method: 'POST', body: { clientId, secret } }));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 429 ? t('loginRateLimited') : t('loginRefused'));
    } finally {
      setSecret('');
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <h1>{t('loginTitle')}</h1>
      {expired && <p class="notice">{t('sessionExpired')}</p>}
      {!secretsEnabled ? <p class="error" role="alert">{t('secretsDisabled')}</p> : (
        <form onSubmit={submit}>
          <p class="muted">{t('loginHelp')}</p>
          <label>{t('clientId')}<input name="clientId" autocomplete="username" required value={clientId} onInput={(e) => setClientId(e.currentTarget.value)} /></label>
          <label>{t('secret')}<input name="secret" type="password" autocomplete="current-password" required value={secret} onInput={(e) => setSecret(e.currentTarget.value)} /></label>
          {error && <p class="error" role="alert">{error}</p>}
          <button type="submit" disabled={busy}>{t('logIn')}</button>
        </form>
      )}
    </main>
  );
}
