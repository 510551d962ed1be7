import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, session, setUnauthorizedHandler, type Mailbox, type MessageSummary } from './api';
import { openEvents } from './events';
import { MessageView } from './message';
import './styles.css';

function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e);
}

function Login({ onDone }: { onDone: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true); setError('');
    try { await api.login(username, password); onDone(); } catch (err) { setError(errorText(err)); } finally { setBusy(false); }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Webmail</h1>
      <label>User name<input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required autofocus /></label>
      <label>Password<input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required /></label>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  );
}

/** Mailboxes in tree order (parents before children) with their depth. */
function tree(items: Mailbox[]): { mailbox: Mailbox; depth: number }[] {
  const roleOrder = ['inbox', 'drafts', 'sent', 'archive', 'junk', 'trash'];
  const rank = (m: Mailbox) => { const i = m.role ? roleOrder.indexOf(m.role) : -1; return i < 0 ? roleOrder.length : i; };
  const children = new Map<string | null, Mailbox[]>();
  for (const m of items) {
    const parent = m.parentId && items.some((p) => p.id === m.parentId) ? m.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), m]);
  }
  const out: { mailbox: Mailbox; depth: number }[] = [];
  const walk = (parent: string | null, depth: number) => {
    const list = (children.get(parent) ?? []).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
    for (const m of list) { out.push({ mailbox: m, depth }); walk(m.id, depth + 1); }
  };
  walk(null, 0);
  return out;
}

function Mailboxes({ items, selected, onSelect }: { items: Mailbox[]; selected: string | null; onSelect: (id: string) => void }) {
  return (
    <nav class="mailboxes" aria-label="Mailboxes">
      <ul>
        {tree(items).map(({ mailbox: m, depth }) => (
          <li key={m.id}>
            <button class={m.id === selected ? 'selected' : ''} style={{ paddingLeft: `${0.75 + depth}rem` }}
              aria-current={m.id === selected ? 'true' : undefined} onClick={() => onSelect(m.id)}>
              <span class="name">{m.name}</span>
              {m.role && <span class="role">{m.role}</span>}
              {m.unread > 0 && <span class="unread" aria-label={`${m.unread} unread`}>{m.unread}</span>}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** An inline SVG (no icon font, no emoji font needed: servers and phones without one would show a box). */
function Paperclip() {
  return (
    <svg class="clip" role="img" aria-label="has attachments" viewBox="0 0 24 24" width="14" height="14">
      <path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
    </svg>
  );
}

function sender(m: MessageSummary) { const a = m.from[0]; return a ? (a.name || a.address) : '(no sender)'; }
function when(m: MessageSummary) {
  const d = new Date(m.date ?? m.receivedAt);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString();
}

function Mail({ onLogout }: { onLogout: () => void }) {
  const [mailboxes, setMailboxes] = useState<Mailbox[]>([]);
  const [mailboxId, setMailboxId] = useState<string | null>(null);
  const [messages, setMessages] = useState<MessageSummary[]>([]);
  const [nextPageToken, setNextPageToken] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const [cursor, setCursor] = useState(0);
  const [error, setError] = useState('');
  // The listing's sync point, with the mailbox it belongs to: an event can arrive after another mailbox was selected
  // and before its first page came back, and another mailbox's state is not a state of this one (410).
  const listState = useRef<{ mailboxId: string; state: string } | undefined>(undefined);
  const generation = useRef(0); // drops answers for a mailbox that is no longer selected
  const sentinel = useRef<HTMLLIElement>(null);
  const current = mailboxes.find((m) => m.id === mailboxId);

  const loadMailboxes = useCallback(async () => {
    try { setMailboxes((await api.mailboxes()).items); } catch (e) { setError(errorText(e)); }
  }, []);

  /** A cold mailbox's first page starts the gateway's background cache fill, a moment after the page is answered:
   * read the mailbox again (a few times while its cache status is still `none`) to learn that it is `filling`; the
   * progress bar below then polls until it is `complete`. */
  const watchFillStart = useCallback(async (id: string, gen: number) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const mailbox = await api.mailbox(id);
        if (gen !== generation.current) return;
        setMailboxes((all) => all.map((x) => (x.id === mailbox.id ? mailbox : x)));
        if (mailbox.cache?.status !== 'none' || mailbox.total === 0) return;
      } catch { return; }
      await new Promise((resolve) => window.setTimeout(resolve, 1000));
      if (gen !== generation.current) return;
    }
  }, []);

  const loadFirstPage = useCallback(async (id: string) => {
    const gen = ++generation.current;
    setLoading(true); setError('');
    try {
      const page = await api.messages(id);
      if (gen !== generation.current) return;
      setMessages(page.items); setNextPageToken(page.nextPageToken ?? null); listState.current = page.state ? { mailboxId: id, state: page.state } : undefined;
      void watchFillStart(id, gen);
    } catch (e) { if (gen === generation.current) setError(errorText(e)); } finally { if (gen === generation.current) setLoading(false); }
  }, [watchFillStart]);

  const loadMore = useCallback(async () => {
    if (!mailboxId || !nextPageToken || loading) return;
    const gen = generation.current;
    setLoading(true);
    try {
      const page = await api.messages(mailboxId, nextPageToken);
      if (gen !== generation.current) return;
      setMessages((old) => [...old, ...page.items.filter((m) => !old.some((o) => o.id === m.id))]);
      setNextPageToken(page.nextPageToken ?? null);
    } catch (e) { setError(errorText(e)); } finally { if (gen === generation.current) setLoading(false); }
  }, [mailboxId, nextPageToken, loading]);

  /** Applies what changed since the listing's state: removes destroyed ids, merges the newest page for new/updated ones. */
  const refresh = useCallback(async (id: string) => {
    const since = listState.current?.mailboxId === id ? listState.current.state : undefined;
    if (!since) return loadFirstPage(id);
    const gen = generation.current;
    try {
      const changes = await api.changes(id, since);
      if (gen !== generation.current) return;
      listState.current = { mailboxId: id, state: changes.newState };
      const gone = new Set(changes.destroyed);
      let fresh: MessageSummary[] = [];
      if (changes.created.length || changes.updated.length) fresh = (await api.messages(id)).items;
      if (gen !== generation.current) return;
      setMessages((old) => {
        const byId = new Map(fresh.map((m) => [m.id, m]));
        const kept = old.filter((m) => !gone.has(m.id)).map((m) => byId.get(m.id) ?? m);
        const added = fresh.filter((m) => !old.some((o) => o.id === m.id) && changes.created.includes(m.id));
        return [...added, ...kept];
      });
    } catch { await loadFirstPage(id); }
  }, [loadFirstPage]);

  useEffect(() => { void loadMailboxes(); }, [loadMailboxes]);
  useEffect(() => {
    if (!mailboxId && mailboxes.length) setMailboxId((mailboxes.find((m) => m.role === 'inbox') ?? mailboxes[0]).id);
  }, [mailboxes, mailboxId]);
  useEffect(() => {
    if (!mailboxId) return;
    setMessages([]); setNextPageToken(null); setOpenId(null); setCursor(0); listState.current = undefined;
    void loadFirstPage(mailboxId);
  }, [mailboxId, loadFirstPage]);

  // Live: new mail, flags and expunges in any mailbox arrive as `state` events.
  const selectedRef = useRef(mailboxId); selectedRef.current = mailboxId;
  useEffect(() => openEvents((e) => {
    void loadMailboxes();
    const id = selectedRef.current;
    if (id && (e.mailboxes[id] !== undefined || e.mailboxListChanged)) void refresh(id);
  }, () => { void loadMailboxes(); if (selectedRef.current) void loadFirstPage(selectedRef.current); }), [loadMailboxes, refresh, loadFirstPage]);

  // While the gateway's header cache of this mailbox fills, show its progress and poll it.
  useEffect(() => {
    if (!mailboxId || current?.cache?.status !== 'filling') return;
    const timer = window.setInterval(async () => {
      try { const m = await api.mailbox(mailboxId); setMailboxes((all) => all.map((x) => (x.id === m.id ? m : x))); } catch { /* next tick */ }
    }, 2000);
    return () => window.clearInterval(timer);
  }, [mailboxId, current?.cache?.status]);

  // Infinite scroll: load the next page when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const observer = new IntersectionObserver((entries) => { if (entries.some((x) => x.isIntersecting)) void loadMore(); });
    observer.observe(el);
    return () => observer.disconnect();
  }, [loadMore]);

  const update = (m: MessageSummary) => setMessages((all) => all.map((x) => (x.id === m.id ? { ...x, ...m } : x)));
  const dropFromList = (id: string) => {
    setMessages((all) => {
      const i = all.findIndex((x) => x.id === id);
      const rest = all.filter((x) => x.id !== id);
      if (openId === id) setOpenId(rest[Math.min(i, rest.length - 1)]?.id ?? null);
      return rest;
    });
  };
  const act = async (fn: () => Promise<void>) => {
    try { await fn(); void loadMailboxes(); } catch (e) { setError(errorText(e)); }
  };
  const actions = {
    toggleFlag: (m: MessageSummary) => act(async () => update(await api.patch(m.id, { flagged: !m.flagged }))),
    toggleSeen: (m: MessageSummary) => act(async () => update(await api.patch(m.id, { seen: !m.seen }))),
    markSeen: (m: MessageSummary) => act(async () => { if (!m.seen) update(await api.patch(m.id, { seen: true })); }),
    move: (m: MessageSummary, target: string) => act(async () => { await api.move(m.id, target); dropFromList(m.id); }),
    remove: (m: MessageSummary) => act(async () => { await api.remove(m.id); dropFromList(m.id); }),
  };

  const open = messages.find((m) => m.id === openId) ?? null;

  // Keyboard: j/k or arrows move, Enter/o opens, Escape closes, s flags, u toggles read, # or Delete deletes.
  // One listener for the component's life, reading the latest state from a ref: a listener re-registered after each
  // render would see a stale cursor when keys come faster than renders (j j moved one row).
  const keyState = useRef({ messages, cursor, open, actions, loadMore, more: !!nextPageToken, advance: false });
  keyState.current = { ...keyState.current, messages, cursor, open, actions, loadMore, more: !!nextPageToken };
  // j past the last loaded message while more pages exist: load the next page, then move on to its first message.
  useEffect(() => {
    const state = keyState.current;
    if (state.advance && state.cursor < messages.length - 1) {
      state.advance = false;
      const n = state.cursor + 1;
      state.cursor = n;
      setCursor(n);
      document.getElementById('msg-' + messages[n]?.id)?.scrollIntoView({ block: 'nearest' });
      if (state.open) setOpenId(messages[n]?.id ?? null);
    }
  }, [messages]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.ctrlKey || e.metaKey || e.altKey || t.closest('input, select, textarea')) return;
      if (e.key === 'Enter' && t.closest('button, a')) return; // Enter on a focused button or link is that button's
      const state = keyState.current;
      const list = state.messages;
      const at = list[state.cursor];
      const go = (i: number) => {
        if (i > list.length - 1 && state.more) { state.advance = true; void state.loadMore(); return; }
        if (i >= list.length - 5 && state.more) void state.loadMore(); // read ahead near the end
        state.advance = false;
        const n = Math.max(0, Math.min(list.length - 1, i));
        state.cursor = n; // the next key, before the re-render, continues from here
        setCursor(n);
        document.getElementById('msg-' + list[n]?.id)?.scrollIntoView({ block: 'nearest' });
        if (state.open) setOpenId(list[n]?.id ?? null);
      };
      switch (e.key) {
        case 'j': case 'ArrowDown': go(state.cursor + 1); break;
        case 'k': case 'ArrowUp': go(state.cursor - 1); break;
        case 'Enter': case 'o': if (at) setOpenId(at.id); break;
        case 'Escape': setOpenId(null); break;
        case 's': if (at) void state.actions.toggleFlag(at); break;
        case 'u': if (at) void state.actions.toggleSeen(at); break;
        case '#': case 'Delete': if (at) void state.actions.remove(at); break;
        default: return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const filling = current?.cache?.status === 'filling';
  return (
    <div class={'mail' + (open ? ' reading' : '')}>
      <header class="top">
        <strong>Webmail</strong>
        <span class="spacer" />
        <button onClick={async () => { await api.logout().catch(() => {}); onLogout(); }}>Sign out</button>
      </header>
      <Mailboxes items={mailboxes} selected={mailboxId} onSelect={setMailboxId} />
      <section class="list" aria-label="Messages">
        {filling && current && (
          <div class="progress" role="status">
            Caching headers… {current.cache!.cachedMessages} of {current.total}
            <progress max={current.total || 1} value={current.cache!.cachedMessages} />
          </div>
        )}
        {error && <p class="error" role="alert">{error} <button onClick={() => setError('')}>Dismiss</button></p>}
        <ul role="listbox" aria-label={current?.name}>
          {messages.map((m, i) => (
            <li key={m.id} id={'msg-' + m.id} role="option" aria-selected={m.id === openId}
              class={[m.seen ? '' : 'unseen', i === cursor ? 'cursor' : '', m.id === openId ? 'open' : ''].join(' ')}
              onClick={() => { setCursor(i); setOpenId(m.id); }}>
              <span class="from">{sender(m)}</span>
              <span class="date">{when(m)}</span>
              <span class="subject">{m.flagged && <span class="flag" aria-label="flagged">★ </span>}{m.subject || '(no subject)'}{m.hasAttachments && <Paperclip />}</span>
              {m.preview && <span class="preview">{m.preview}</span>}
            </li>
          ))}
          <li ref={sentinel} class="more">
            {loading ? 'Loading…' : nextPageToken ? <button onClick={() => void loadMore()}>Load more</button> : messages.length ? '' : 'No messages'}
          </li>
        </ul>
      </section>
      <section class="reader" aria-label="Message">
        {open ? (
          <MessageView key={open.id} summary={open} mailboxes={mailboxes} onClose={() => setOpenId(null)}
            onOpened={actions.markSeen} onFlag={actions.toggleFlag} onSeen={actions.toggleSeen} onMove={actions.move} onDelete={actions.remove} />
        ) : <p class="empty">Select a message</p>}
      </section>
    </div>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(!!session.token);
  useEffect(() => setUnauthorizedHandler(() => setSignedIn(false)), []);
  return signedIn ? <Mail onLogout={() => setSignedIn(false)} /> : <Login onDone={() => setSignedIn(true)} />;
}

render(<App />, document.getElementById('root')!);
