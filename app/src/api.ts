// A thin typed client for the gateway's /api/v1 (same origin). Types are written by hand for the fields the app uses;
// the OpenAPI document (/swagger/v1/swagger.json) is the full contract.

export interface Address { name: string | null; address: string }
export interface MailboxCache { status: 'none' | 'filling' | 'complete'; cachedMessages: number }
export interface Mailbox {
  id: string; name: string; path: string; parentId: string | null; role: string | null;
  total: number; unread: number; subscribed: boolean; cache?: MailboxCache;
}
export interface MessageSummary {
  id: string; mailboxId: string; subject: string | null; from: Address[]; to: Address[];
  date: string | null; receivedAt: string; seen: boolean; flagged: boolean; answered: boolean;
  hasAttachments: boolean; preview: string | null; size: number;
}
export interface Attachment {
  id: string; filename: string | null; contentType: string; size: number; disposition: string | null; contentId: string | null;
}
export interface Message extends MessageSummary {
  cc: Address[]; text: string | null; html: string | null; attachments: Attachment[];
}
export interface Page<T> { items: T[]; nextPageToken?: string | null; state?: string }
export interface Changes { oldState: string; newState: string; hasMoreChanges: boolean; created: string[]; updated: string[]; destroyed: string[] }

export class ApiError extends Error {
  constructor(public status: number, public code: string | undefined, message: string) { super(message); }
}

const TOKEN_KEY = 'gateway.token';
const BASE = '/api/v1';
const ME = BASE + '/accounts/me';

export const session = {
  get token(): string | null { return sessionStorage.getItem(TOKEN_KEY); },
  set(token: string) { sessionStorage.setItem(TOKEN_KEY, token); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

/** Called when the gateway answers 401 to a call with a token (expired or revoked): the app shows the login. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void) { onUnauthorized = handler; }

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = session.token;
  if (token) headers.set('Authorization', 'Bearer ' + token);
  if (init.body && typeof init.body === 'string' && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  const response = await fetch(path, { ...init, headers, cache: 'no-store' });
  if (response.ok) return response;
  let detail = response.statusText;
  let code: string | undefined;
  try {
    const problem = await response.json();
    detail = problem.detail || problem.title || detail;
    code = problem.code;
  } catch { /* not a problem document */ }
  if (response.status === 401 && token) { session.clear(); onUnauthorized(); }
  throw new ApiError(response.status, code, detail);
}

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  return (await request(path, init)).json() as Promise<T>;
}

const enc = encodeURIComponent;

export const api = {
  async login(username: string, password: string): Promise<void> {
    const r = await json<{ token: string }>(BASE + '/sessions', { method: 'POST', body: JSON.stringify({ username, password }) });
    session.set(r.token);
  },
  async logout(): Promise<void> {
    try { await request(BASE + '/sessions/current', { method: 'DELETE' }); } finally { session.clear(); }
  },
  mailboxes: () => json<Page<Mailbox>>(ME + '/mailboxes'),
  mailbox: (id: string) => json<Mailbox>(ME + '/mailboxes/' + enc(id)),
  messages(mailboxId: string, pageToken?: string | null, pageSize = 50) {
    const q = new URLSearchParams({ pageSize: String(pageSize) });
    if (pageToken) q.set('pageToken', pageToken);
    return json<Page<MessageSummary>>(ME + '/mailboxes/' + enc(mailboxId) + '/messages?' + q);
  },
  changes: (mailboxId: string, since: string) =>
    json<Changes>(ME + '/mailboxes/' + enc(mailboxId) + '/changes?since=' + enc(since)),
  message: (id: string) => json<Message>(ME + '/messages/' + enc(id)),
  patch: (id: string, change: { seen?: boolean; flagged?: boolean }) =>
    json<MessageSummary>(ME + '/messages/' + enc(id), { method: 'PATCH', body: JSON.stringify(change) }),
  move: (id: string, mailboxId: string) =>
    json<{ id: string }>(ME + '/messages/' + enc(id) + '/move', { method: 'POST', body: JSON.stringify({ mailboxId }) }),
  async remove(id: string): Promise<void> { await request(ME + '/messages/' + enc(id), { method: 'DELETE' }); },
  /** Any same-origin API URL (attachment links, cid: images rewritten by the gateway) as a Blob, with the token. */
  async blob(url: string): Promise<Blob> { return (await request(url)).blob(); },
  attachmentUrl: (messageId: string, attachmentId: string) => ME + '/messages/' + enc(messageId) + '/attachments/' + enc(attachmentId),
  ticket: () => json<{ ticket: string }>(ME + '/events/ticket', { method: 'POST' }),
  eventsUrl: (ticket: string, lastEventId: string) =>
    ME + '/events?ticket=' + enc(ticket) + (lastEventId ? '&lastEventId=' + enc(lastEventId) : ''),
};
