// Set by vite.config.ts: true in dev, vitest and the E2E build (`vite build --mode e2e`), false
// in the production build the app ships — so the test hooks (window.__livecardDev) are not in
// its bundle at all (scripts/check-release.sh checks).
declare const __LIVECARD_DEV_HOOKS__: boolean;
