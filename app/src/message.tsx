import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Address, type Attachment, type Mailbox, type Message, type MessageSummary } from './api';

function addresses(list: Address[] | null | undefined) {
  return (list ?? []).map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ');
}

function blobToDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** The document for the sandboxed iframe. The gateway already sanitized the HTML (no script, no handlers, no remote
 * loads) and rewrote cid: images to attachment URLs; those need the bearer token, so they are fetched here and inlined
 * as data: URLs (the frame has an opaque origin and no token). Links open in a new tab. Parsed with DOMParser, which
 * neither runs scripts nor loads images. */
async function frameDocument(message: Message): Promise<string> {
  const doc = new DOMParser().parseFromString(message.html ?? '', 'text/html');
  await Promise.all(Array.from(doc.querySelectorAll<HTMLImageElement>('img[src^="/api/"]')).map(async (img) => {
    try { img.src = await blobToDataUrl(await api.blob(img.getAttribute('src')!)); } catch { img.removeAttribute('src'); }
  }));
  const base = doc.createElement('base');
  base.target = '_blank';
  doc.head.prepend(base);
  const style = doc.createElement('style');
  style.textContent = 'body{font-family:system-ui,sans-serif;margin:0.5rem;overflow-wrap:anywhere}img{max-width:100%;height:auto}';
  doc.head.prepend(style);
  return '<!doctype html>' + doc.documentElement.outerHTML;
}

async function download(messageId: string, a: Attachment) {
  const blob = await api.blob(api.attachmentUrl(messageId, a.id));
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = a.filename || 'attachment';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function size(n: number) { return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1048576).toFixed(1)} MB`; }

export function MessageView(props: {
  summary: MessageSummary; mailboxes: Mailbox[]; onClose: () => void; onOpened: (m: MessageSummary) => void;
  onFlag: (m: MessageSummary) => void; onSeen: (m: MessageSummary) => void;
  onMove: (m: MessageSummary, mailboxId: string) => void; onDelete: (m: MessageSummary) => void;
}) {
  const { summary: s } = props;
  const [message, setMessage] = useState<Message | null>(null);
  const [srcdoc, setSrcdoc] = useState<string | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const m = await api.message(s.id);
        if (!live) return;
        setMessage(m);
        props.onOpened(s); // reading never sets \Seen on the server; the app marks it read when shown
        if (m.html) { const d = await frameDocument(m); if (live) setSrcdoc(d); }
      } catch (e) { if (live) setError(e instanceof ApiError ? e.message : String(e)); }
    })();
    return () => { live = false; };
  }, [s.id]);

  return (
    <article class="message">
      <div class="toolbar">
        <button class="back" onClick={props.onClose} aria-label="Back to the list">←</button>
        <button onClick={() => props.onFlag(s)} aria-pressed={s.flagged}>{s.flagged ? 'Unflag' : 'Flag'}</button>
        <button onClick={() => props.onSeen(s)}>{s.seen ? 'Mark unread' : 'Mark read'}</button>
        <select aria-label="Move to" value="" onChange={(e) => { const v = e.currentTarget.value; if (v) props.onMove(s, v); }}>
          <option value="">Move to…</option>
          {props.mailboxes.filter((m) => m.id !== s.mailboxId).map((m) => <option key={m.id} value={m.id}>{m.path}</option>)}
        </select>
        <button onClick={() => props.onDelete(s)}>Delete</button>
      </div>
      <h2>{s.subject || '(no subject)'}</h2>
      <dl class="headers">
        <dt>From</dt><dd>{addresses(s.from)}</dd>
        <dt>To</dt><dd>{addresses(s.to)}</dd>
        {message?.cc?.length ? <><dt>Cc</dt><dd>{addresses(message.cc)}</dd></> : null}
        <dt>Date</dt><dd>{new Date(s.date ?? s.receivedAt).toLocaleString()}</dd>
      </dl>
      {error && <p class="error" role="alert">{error}</p>}
      {message && message.attachments.length > 0 && (
        <ul class="attachments">
          {message.attachments.map((a) => (
            <li key={a.id}>
              <button onClick={() => download(s.id, a).catch((e) => setError(String(e)))}>
                ⬇ {a.filename || a.contentType} ({size(a.size)})
              </button>
            </li>
          ))}
        </ul>
      )}
      {!message && !error && <p>Loading…</p>}
      {message && (message.html
        ? (srcdoc !== null && <iframe class="body" title="Message body" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc={srcdoc} />)
        : <pre class="body text">{message.text ?? ''}</pre>)}
    </article>
  );
}
