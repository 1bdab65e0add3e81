import { useEffect, useState } from 'preact/hooks';

/** The console's screens, addressed by the URL fragment (`#/inbox`, `#/tickets/42`, `#/reports/csat`, `#/settings/automations/3/runs`, …). */
export type Route =
  | { name: 'inbox' }
  | { name: 'thread'; ticketId: number }
  | { name: 'log' }
  | { name: 'scheduled' }
  /** Reports → CSAT (the only report so far: `#/reports` shows it too). */
  | { name: 'csatReport' }
  | { name: 'settings' }
  | { name: 'automations' }
  /** The automation editor: `id` null for a new one. */
  | { name: 'automation'; id: number | null }
  | { name: 'automationRuns'; id: number }
  | { name: 'sandbox' }
  | { name: 'notFound'; path: string };

export function parseHash(hash: string): Route {
  const path = (hash.replace(/^#/, '').split('?')[0] ?? '').replace(/\/+$/, '') || '/inbox';
  if (path === '/inbox' || path === '/') return { name: 'inbox' };
  const ticket = /^\/tickets\/(\d{1,9})$/.exec(path);
  if (ticket) return { name: 'thread', ticketId: Number(ticket[1]) };
  if (path === '/log') return { name: 'log' };
  if (path === '/scheduled') return { name: 'scheduled' };
  if (path === '/reports/csat' || path === '/reports') return { name: 'csatReport' };
  if (path === '/settings') return { name: 'settings' };
  if (path === '/settings/automations') return { name: 'automations' };
  if (path === '/settings/automations/new') return { name: 'automation', id: null };
  const automation = /^\/settings\/automations\/(\d{1,9})(\/runs)?$/.exec(path);
  if (automation) return automation[2] ? { name: 'automationRuns', id: Number(automation[1]) } : { name: 'automation', id: Number(automation[1]) };
  if (path === '/sandbox') return { name: 'sandbox' };
  return { name: 'notFound', path };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'inbox':
      return '#/inbox';
    case 'thread':
      return `#/tickets/${route.ticketId}`;
    case 'log':
      return '#/log';
    case 'scheduled':
      return '#/scheduled';
    case 'csatReport':
      return '#/reports/csat';
    case 'settings':
      return '#/settings';
    case 'automations':
      return '#/settings/automations';
    case 'automation':
      return route.id === null ? '#/settings/automations/new' : `#/settings/automations/${route.id}`;
    case 'automationRuns':
      return `#/settings/automations/${route.id}/runs`;
    case 'sandbox':
      return '#/sandbox';
    case 'notFound':
      return `#${route.path}`;
  }
}

export function navigate(to: string): void {
  if (window.location.hash === to) return;
  window.location.hash = to;
}

/** The current route; re-renders on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    update();
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
