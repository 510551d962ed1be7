import { api } from './api';

export interface StateEvent { mailboxes: Record<string, string>; mailboxListChanged: boolean }

/** Live changes over SSE. EventSource cannot send the bearer token, so each stream starts with a single-use ticket;
 * a ticket works once, so on any error the stream is closed and a new one opened with a new ticket, passing the last
 * event id as ?lastEventId= so missed events are replayed. Returns a function that stops it. */
export function openEvents(onState: (e: StateEvent) => void, onReset: () => void): () => void {
  let lastEventId = '';
  let source: EventSource | null = null;
  let stopped = false;
  let delay = 1000;
  let timer: number | undefined;

  const connect = async () => {
    if (stopped) return;
    try {
      const { ticket } = await api.ticket();
      if (stopped) return;
      source = new EventSource(api.eventsUrl(ticket, lastEventId));
      source.addEventListener('ready', () => { delay = 1000; });
      source.addEventListener('state', (e) => {
        const message = e as MessageEvent<string>;
        lastEventId = message.lastEventId;
        onState(JSON.parse(message.data) as StateEvent);
      });
      source.addEventListener('reset', () => onReset());
      source.onerror = () => { source?.close(); source = null; retry(); };
    } catch {
      retry();
    }
  };
  const retry = () => {
    if (stopped) return;
    timer = window.setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30000);
  };
  void connect();
  return () => { stopped = true; window.clearTimeout(timer); source?.close(); };
}
