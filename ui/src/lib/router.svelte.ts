// A tiny in-memory router: the app has a handful of screens and no URLs to share between
// them (share links come in through the deep-link plugin, not the webview's location).

export type Route =
  | { name: 'onboarding' }
  | { name: 'me' }
  | { name: 'editor'; seedFrom?: string }
  | { name: 'cards' }
  | { name: 'detail'; id: string }
  | { name: 'add' }
  | { name: 'settings' };

const state = $state<{ stack: Route[] }>({ stack: [{ name: 'cards' }] });

export const router = {
  get current(): Route {
    return state.stack[state.stack.length - 1];
  },
  get canGoBack(): boolean {
    return state.stack.length > 1;
  },
  /** Go to a top-level screen (tab): the history starts again from it. */
  reset(route: Route) {
    state.stack = [route];
  },
  push(route: Route) {
    state.stack = [...state.stack, route];
  },
  back() {
    if (state.stack.length > 1) state.stack = state.stack.slice(0, -1);
  },
  /** Replace the current screen (e.g. editor → my card after saving). */
  replace(route: Route) {
    state.stack = [...state.stack.slice(0, -1), route];
  },
};
