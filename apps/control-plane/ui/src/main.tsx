import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, session, tryKey, whenUnauthorized } from './api';
import { FleetPage } from './pages/fleet';
import { DevicePage } from './pages/device';
import { FamiliesPage, FamilyPage } from './pages/models';
import { DeploymentPage, DeploymentsPage } from './pages/deployments';
import { DistillationPage, DistillationsPage } from './pages/distillations';
import { RolloutPage } from './pages/rollout';
import './style.css';

/** Hash routes: #/, #/devices/<id>, #/models, #/models/<family>, #/deployments[/<id>], #/rollouts/<id>, #/distillations[/<id>]. */
function route(hash: string) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  switch (parts[0]) {
    case 'devices': return parts[1] ? <DevicePage id={parts[1]} /> : <FleetPage />;
    case 'models': return parts[1] ? <FamilyPage family={parts[1]} /> : <FamiliesPage />;
    case 'deployments': return parts[1] ? <DeploymentPage id={parts[1]} /> : <DeploymentsPage />;
    case 'rollouts': return parts[1] ? <RolloutPage id={parts[1]} /> : <DeploymentsPage />;
    case 'distillations': return parts[1] ? <DistillationPage id={parts[1]} /> : <DistillationsPage />;
    default: return <FleetPage />;
  }
}

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function Login(props: { onLogin: () => void; reason?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(props.reason ?? '');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await tryKey(key.trim());
      session.set(key.trim());
      props.onLogin();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : `Cannot reach the control plane: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>edgefleet</h1>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} required />
        <button type="submit" disabled={busy}>Log in</button>
        {error && <p class="error" role="alert">{error}</p>}
        <p class="hint">A key with the viewer role is enough. It is kept in this tab only (sessionStorage).</p>
      </form>
    </main>
  );
}

function Nav(props: { hash: string; onLogout: () => void }) {
  const first = props.hash.replace(/^#\/?/, '').split('/')[0] || 'devices';
  const section = first === 'rollouts' ? 'deployments' : first;
  const link = (to: string, label: string, match: string) => <a href={to} class={section === match ? 'active' : ''}>{label}</a>;
  return (
    <nav>
      <span class="brand">edgefleet</span>
      {link('#/', 'Fleet', 'devices')}
      {link('#/models', 'Models', 'models')}
      {link('#/deployments', 'Deployments', 'deployments')}
      {link('#/distillations', 'Distillations', 'distillations')}
      <button class="logout" onClick={props.onLogout}>Log out</button>
    </nav>
  );
}

function App() {
  const [loggedIn, setLoggedIn] = useState(session.key() !== null);
  const [reason, setReason] = useState<string>();
  const hash = useHash();
  useEffect(() => whenUnauthorized(() => { session.clear(); setReason('The API key is no longer accepted; log in again.'); setLoggedIn(false); }), []);
  if (!loggedIn) return <Login reason={reason} onLogin={() => { setReason(undefined); setLoggedIn(true); }} />;
  return (
    <>
      <Nav hash={hash} onLogout={() => { session.clear(); setLoggedIn(false); }} />
      <main>{route(hash)}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
